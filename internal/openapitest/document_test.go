package openapitest_test

import (
	"testing"

	"authme/internal/openapitest"
)

// TestDocumentIsValid is the document's lint: it must load and validate as OpenAPI 3.1
// with the validator the other tests use.
func TestDocumentIsValid(t *testing.T) {
	t.Parallel()
	d, err := openapitest.Load()
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Operations()) == 0 {
		t.Fatal("the document has no operations")
	}
}
