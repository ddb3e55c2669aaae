// Package openapi holds authme's OpenAPI 3.1 description, openapi.yaml, embedded: the
// server serves it as JSON at /api/openapi.json and the tests validate every answer they
// receive against it.
package openapi

import (
	_ "embed"
	"encoding/json"
	"fmt"

	"go.yaml.in/yaml/v4"
)

//go:embed openapi.yaml
var document string

// YAML returns the document as written.
func YAML() []byte { return []byte(document) }

// JSON returns the document converted to JSON, keys in the YAML's order lost (JSON
// objects are unordered) but every value kept.
func JSON() ([]byte, error) {
	var v any
	if err := yaml.Unmarshal([]byte(document), &v); err != nil {
		return nil, fmt.Errorf("parse openapi.yaml: %w", err)
	}
	v, err := stringKeys(v)
	if err != nil {
		return nil, err
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("openapi.yaml as JSON: %w", err)
	}
	return b, nil
}

// stringKeys turns the maps YAML may decode with other keys (a status code written
// without quotes is an integer) into JSON objects.
func stringKeys(v any) (any, error) {
	switch t := v.(type) {
	case map[string]any:
		for k, e := range t {
			e, err := stringKeys(e)
			if err != nil {
				return nil, err
			}
			t[k] = e
		}
		return t, nil
	case map[any]any:
		m := make(map[string]any, len(t))
		for k, e := range t {
			e, err := stringKeys(e)
			if err != nil {
				return nil, err
			}
			m[fmt.Sprint(k)] = e
		}
		return m, nil
	case []any:
		for i, e := range t {
			e, err := stringKeys(e)
			if err != nil {
				return nil, err
			}
			t[i] = e
		}
		return t, nil
	}
	return v, nil
}
