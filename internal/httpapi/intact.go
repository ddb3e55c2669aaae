package httpapi

import (
	"bytes"
	"encoding/json"
	"net/http"
	"reflect"
	"strings"
	"unicode/utf8"

	"authme/internal/auth"
)

// Decoding never fails on text that is not text: encoding/json turns invalid UTF-8 and
// unpaired surrogate escapes (\ud800) into U+FFFD, and so does json.Marshal when a form
// is re-encoded. Two different passwords would then hash alike, and a name would be
// stored other than it was sent. These checks find such values before they are decoded,
// so they are refused instead; a U+FFFD the client really sent is left alone.

// alteredMessage is the error for a field whose text decoding would change.
const alteredMessage = " must be valid UTF-8 text (no invalid bytes or unpaired surrogate escapes)"

// alteredText reports whether decoding the JSON text b would change some string in it:
// invalid UTF-8, or a \u escape of a surrogate that is not half of a pair.
func alteredText(b []byte) bool {
	return !utf8.Valid(b) || loneSurrogate(b)
}

// loneSurrogate reports whether b holds a \uD800–\uDFFF escape that is not a high
// surrogate directly followed by a low one. A body without a backslash costs one scan.
func loneSurrogate(b []byte) bool {
	for {
		i := bytes.IndexByte(b, '\\')
		if i < 0 || i+1 >= len(b) {
			return false
		}
		if b[i+1] != 'u' {
			b = b[i+2:] // \\, \" and the like: the escaped character is not an escape
			continue
		}
		r, ok := hex4(b[i+2:])
		if !ok {
			b = b[i+2:] // not an escape the decoder accepts; it refuses the body itself
			continue
		}
		b = b[i+6:]
		switch {
		case r >= 0xDC00 && r <= 0xDFFF:
			return true
		case r >= 0xD800 && r <= 0xDBFF:
			if len(b) < 6 || b[0] != '\\' || b[1] != 'u' {
				return true
			}
			if lo, ok := hex4(b[2:]); !ok || lo < 0xDC00 || lo > 0xDFFF {
				return true
			}
			b = b[6:]
		}
	}
}

// hex4 reads the four hex digits of a \u escape.
func hex4(b []byte) (rune, bool) {
	if len(b) < 4 {
		return 0, false
	}
	var r rune
	for _, c := range b[:4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c -= 'a' - 10
		case c >= 'A' && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

// alteredJSONFields builds the 400 for a JSON object in which decoding would change some
// text: each top-level field holding such text is named as dst names it (matched as
// encoding/json matches, exactly or ignoring case); text elsewhere, in a key or in a
// field dst does not have, is blamed on the body.
func alteredJSONFields(b []byte, dst any) error {
	fields := map[string]string{}
	blame := func(key string) {
		if name := fieldNamed(dst, key); name != "" {
			fields[name] = name + alteredMessage
		} else {
			fields["body"] = "the body" + alteredMessage
		}
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	depth, atKey, key := 0, false, ""
	var prev int64
	for {
		tok, err := dec.Token()
		if err != nil {
			break
		}
		off := dec.InputOffset()
		raw := b[prev:off] // the token, after the separators before it
		prev = off
		switch v := tok.(type) {
		case json.Delim:
			if v == '{' || v == '[' {
				depth++
			} else {
				depth--
			}
			atKey = depth == 1
			continue
		case string:
			if depth == 1 && atKey {
				key, atKey = v, false
				if alteredText(raw) {
					blame("") // a key that is not text names no field
				}
				continue
			}
		}
		if depth == 1 {
			atKey = true
		}
		if alteredText(raw) {
			blame(key)
		}
	}
	if len(fields) == 0 {
		fields["body"] = "the body" + alteredMessage
	}
	return &httpError{status: http.StatusBadRequest, message: auth.MsgBadRequest, fields: fields}
}

// alteredFormFields returns the 400 for form values that are not UTF-8, named as in
// alteredJSONFields, or nil when every key and value is.
func alteredFormFields(vals map[string][]string, dst any) error {
	var fields map[string]string
	for k, vs := range vals {
		bad := !utf8.ValidString(k)
		for _, v := range vs {
			bad = bad || !utf8.ValidString(v)
		}
		if !bad {
			continue
		}
		if fields == nil {
			fields = map[string]string{}
		}
		name := ""
		if utf8.ValidString(k) {
			name = fieldNamed(dst, k)
		}
		if name != "" {
			fields[name] = name + alteredMessage
		} else {
			fields["body"] = "the body" + alteredMessage
		}
	}
	if fields == nil {
		return nil
	}
	return &httpError{status: http.StatusBadRequest, message: auth.MsgBadRequest, fields: fields}
}

// fieldNamed returns the JSON name of dst's field that encoding/json would fill from
// key: an exact match, else one ignoring case; "" when there is none.
func fieldNamed(dst any, key string) string {
	if key == "" {
		return ""
	}
	t := reflect.TypeOf(dst)
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil || t.Kind() != reflect.Struct {
		return ""
	}
	folded := ""
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		if name == "" || name == "-" {
			continue
		}
		if name == key {
			return name
		}
		if folded == "" && strings.EqualFold(name, key) {
			folded = name
		}
	}
	return folded
}
