// Package openapi holds authme's OpenAPI 3.1 description: openapi.yaml, as written, and
// openapi.json, the same document as JSON (made from the YAML by `go generate`; a test
// fails when they differ). The server serves the JSON at /api/openapi.json and the tests
// validate every answer they receive against the document.
package openapi

import _ "embed"

//go:generate go run ./gen

//go:embed openapi.yaml
var document []byte

//go:embed openapi.json
var documentJSON []byte

// YAML returns a copy of the document as written.
func YAML() []byte { return append([]byte(nil), document...) }

// JSON returns the document as JSON; it is shared and must not be changed.
func JSON() []byte { return documentJSON }
