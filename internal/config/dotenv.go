package config

import (
	"errors"
	"fmt"
	"io/fs"

	"github.com/joho/godotenv"
)

// WithDotenv returns a getenv that answers from lookup (the real environment) first and
// from the .env file at path second, so the real environment always wins. A missing file
// is not an error: .env is optional.
func WithDotenv(lookup func(string) (string, bool), path string) (func(string) string, error) {
	file, err := godotenv.Read(path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return func(key string) string {
		if v, ok := lookup(key); ok {
			return v
		}
		return file[key]
	}, nil
}
