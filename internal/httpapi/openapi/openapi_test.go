package openapi_test

import (
	"bytes"
	"testing"

	"authme/internal/httpapi/openapi"
	"authme/internal/httpapi/openapi/convert"
)

// TestJSONIsTheYAML: the JSON the server serves is the YAML as written; after editing
// openapi.yaml, run `go generate ./internal/httpapi/openapi`.
func TestJSONIsTheYAML(t *testing.T) {
	want, err := convert.ToJSON(openapi.YAML())
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(openapi.JSON(), want) {
		t.Fatal("openapi.json is not openapi.yaml converted: run go generate ./internal/httpapi/openapi")
	}
}
