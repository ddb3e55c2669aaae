// Command gen writes openapi.json, the JSON form of openapi.yaml, which the binary
// embeds and serves. Run it with `go generate ./internal/httpapi/openapi`.
package main

import (
	"fmt"
	"os"

	"authme/internal/httpapi/openapi/convert"
)

func main() {
	y, err := os.ReadFile("openapi.yaml")
	if err == nil {
		var b []byte
		if b, err = convert.ToJSON(y); err == nil {
			err = os.WriteFile("openapi.json", b, 0o644)
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}
