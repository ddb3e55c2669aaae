package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
)

// table is what an operator's command prints: aligned columns for people, or, with
// --json, the value behind them for scripts.
type table struct {
	header []string
	rows   [][]string
}

func (t *table) add(cells ...string) { t.rows = append(t.rows, cells) }

// write prints the table with its columns aligned; an empty table prints its header.
func (t *table) write(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(t.header, "\t"))
	for _, r := range t.rows {
		fmt.Fprintln(tw, strings.Join(r, "\t"))
	}
	return tw.Flush()
}

// output prints v as indented JSON when asJSON is set, else the table t.
func output(w io.Writer, asJSON bool, v any, t *table) error {
	if asJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	}
	return t.write(w)
}

// stamp prints a time for a table: UTC, to the second; "-" for the zero time.
func stamp(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format("2006-01-02 15:04:05Z")
}

// jsonTime is a time for --json output: RFC 3339 in UTC, or null for the zero time.
func jsonTime(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := t.UTC().Format(time.RFC3339)
	return &s
}

// parseCommand parses a command's flags wherever they stand among its arguments
// (`users show ana --json` as well as `users show --json ana`), and checks that it got
// between min and max positional arguments. An argument that starts with "-" but names
// no flag is positional: session ids may start with one. "--" ends the flags.
func parseCommand(fs *flag.FlagSet, args []string, min, max int, usage string) ([]string, error) {
	fs.SetOutput(io.Discard)
	var flags, pos []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			pos = append(pos, args[i+1:]...)
			break
		}
		name, _, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		f := fs.Lookup(name)
		if !strings.HasPrefix(a, "-") || f == nil {
			pos = append(pos, a)
			continue
		}
		flags = append(flags, a)
		if b, ok := f.Value.(interface{ IsBoolFlag() bool }); !hasValue && !(ok && b.IsBoolFlag()) && i+1 < len(args) {
			flags = append(flags, args[i+1])
			i++
		}
	}
	if err := fs.Parse(flags); err != nil {
		return nil, usageError(fs.Name() + ": " + err.Error() + " (usage: " + usage + ")")
	}
	if len(pos) < min || len(pos) > max {
		return nil, usageError(fs.Name() + ": usage: " + usage)
	}
	return pos, nil
}
