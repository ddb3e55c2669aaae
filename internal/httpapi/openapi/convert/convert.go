// Package convert turns the OpenAPI document's YAML into the JSON the server embeds. It
// is used by go generate and by the test that keeps the two in step, never by the
// server, which links no YAML parser.
package convert

import (
	"bytes"
	"encoding/json"
	"fmt"

	"go.yaml.in/yaml/v4"
)

// ToJSON converts the YAML document to indented JSON, every value kept (object keys
// come out sorted: JSON objects are unordered).
func ToJSON(y []byte) ([]byte, error) {
	var v any
	if err := yaml.Unmarshal(y, &v); err != nil {
		return nil, fmt.Errorf("parse openapi.yaml: %w", err)
	}
	v, err := stringKeys(v)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("openapi.yaml as JSON: %w", err)
	}
	return buf.Bytes(), nil
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
