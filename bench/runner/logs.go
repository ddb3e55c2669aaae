package main

import (
	"fmt"
	"os"
	"regexp"
	"sort"
	"strings"
)

// logSummary is what a server logged during the run. With LOG_LEVEL=warn every line
// authme writes is a warning or an error, so any line is worth a look.
type logSummary struct {
	Lines int       `json:"lines"`
	Kinds []logKind `json:"kinds,omitempty"` // most frequent first
}

// logKind is one message and how often it came, whatever the request.
type logKind struct {
	Message string `json:"message"`
	Count   int    `json:"count"`
}

var (
	logClock     = regexp.MustCompile(`^\d\d:\d\d:\d\d(\.\d+)? `)
	logRequestID = regexp.MustCompile(` request_id=\S+`)
)

// summarizeLog groups a development-format log's lines by message, ignoring the clock
// and the request id, which make every line unique.
func summarizeLog(file string) logSummary {
	b, _ := os.ReadFile(file)
	counts := map[string]int{}
	var s logSummary
	for _, l := range strings.Split(string(b), "\n") {
		if strings.TrimSpace(l) == "" {
			continue
		}
		s.Lines++
		l = logRequestID.ReplaceAllString(logClock.ReplaceAllString(l, ""), "")
		counts[l]++
	}
	for m, n := range counts {
		s.Kinds = append(s.Kinds, logKind{m, n})
	}
	sort.Slice(s.Kinds, func(i, j int) bool {
		if s.Kinds[i].Count != s.Kinds[j].Count {
			return s.Kinds[i].Count > s.Kinds[j].Count
		}
		return s.Kinds[i].Message < s.Kinds[j].Message
	})
	return s
}

// logLines describes the summary in a few lines for the report.
func (s logSummary) logLines(name string, max int) []string {
	if s.Lines == 0 {
		return []string{name + " logged no warnings or errors"}
	}
	out := []string{fmt.Sprintf("%s logged %d warning or error lines, by message:", name, s.Lines)}
	for i, k := range s.Kinds {
		if i == max {
			out = append(out, fmt.Sprintf("  … and %d other messages", len(s.Kinds)-max))
			break
		}
		out = append(out, fmt.Sprintf("  %d× %s", k.Count, k.Message))
	}
	return out
}
