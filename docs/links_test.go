// Package docs holds authme's reference documentation; its test checks that every
// relative link in the repository's Markdown files leads somewhere.
package docs

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode"
)

// repoRoot is the repository, seen from this package's directory.
const repoRoot = ".."

var (
	linkPattern   = regexp.MustCompile(`\]\(([^)\s]+)(?:\s+"[^"]*")?\)`)
	inlineCode    = regexp.MustCompile("`[^`]*`")
	headingPrefix = regexp.MustCompile(`^#{1,6}\s+`)
)

// TestMarkdownLinks follows every relative link in every Markdown file: the file it
// names must exist, and an anchor (#…) must be a heading of that file, slugged as
// GitHub does. Moving a section from one file to another breaks links silently; this
// says which.
func TestMarkdownLinks(t *testing.T) {
	files := markdownFiles(t)
	if len(files) == 0 {
		t.Fatal("no Markdown files found under the repository root")
	}
	anchors := map[string]map[string]bool{}
	for _, f := range files {
		anchors[f] = headingAnchors(t, f)
	}
	for _, f := range files {
		t.Run(filepath.ToSlash(relToRoot(t, f)), func(t *testing.T) {
			for _, l := range relativeLinks(t, f) {
				if problem := checkLink(f, l.target, anchors); problem != "" {
					t.Errorf("line %d: [..](%s): %s", l.line, l.target, problem)
				}
			}
		})
	}
}

// TestSlug pins the GitHub heading slugs the link check relies on.
func TestSlug(t *testing.T) {
	cases := []struct{ heading, want string }{
		{"Password rules", "password-rules"},
		{"How the CSRF dance works (for frontend authors)", "how-the-csrf-dance-works-for-frontend-authors"},
		{"`AuthmeMigrations` and `AuthmeSeeds`", "authmemigrations-and-authmeseeds"},
		{"Set-up", "set-up"},
		{"Health checks for the load balancer", "health-checks-for-the-load-balancer"},
		{"A five-minute tour", "a-five-minute-tour"},
	}
	for _, c := range cases {
		if got := slug(c.heading); got != c.want {
			t.Errorf("slug(%q) = %q, want %q", c.heading, got, c.want)
		}
	}
}

type link struct {
	line   int
	target string
}

// checkLink says what is wrong with target as written in file, or "" when it resolves.
func checkLink(file, target string, anchors map[string]map[string]bool) string {
	path, anchor, _ := strings.Cut(target, "#")
	dest := file
	if path != "" {
		dest = filepath.Join(filepath.Dir(file), filepath.FromSlash(path))
		if _, err := os.Stat(dest); err != nil {
			return "no such file"
		}
	}
	if anchor == "" {
		return ""
	}
	known, ok := anchors[filepath.Clean(dest)]
	if !ok {
		return "anchor into a file that is not Markdown"
	}
	if !known[anchor] {
		return "no heading with anchor #" + anchor
	}
	return ""
}

// markdownFiles lists the repository's Markdown files, cleaned paths from repoRoot.
func markdownFiles(t *testing.T) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(repoRoot, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && skippedDir(d.Name()) {
			return filepath.SkipDir
		}
		if !d.IsDir() && strings.HasSuffix(d.Name(), ".md") {
			files = append(files, filepath.Clean(p))
		}
		return nil
	})
	if err != nil {
		t.Fatalf("walk %s: %v", repoRoot, err)
	}
	return files
}

// proseLines returns the file's lines with fenced code blocks blanked, so neither
// headings nor links are looked for inside code.
func proseLines(t *testing.T, file string) []string {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("read %s: %v", file, err)
	}
	lines := strings.Split(string(b), "\n")
	fenced := false
	for i, l := range lines {
		trimmed := strings.TrimSpace(l)
		if strings.HasPrefix(trimmed, "```") || strings.HasPrefix(trimmed, "~~~") {
			fenced = !fenced
			lines[i] = ""
			continue
		}
		if fenced {
			lines[i] = ""
		}
	}
	return lines
}

// headingAnchors returns the anchors GitHub gives the file's headings, with -1, -2 …
// for repeated ones.
func headingAnchors(t *testing.T, file string) map[string]bool {
	t.Helper()
	anchors := map[string]bool{}
	seen := map[string]int{}
	for _, l := range proseLines(t, file) {
		if !headingPrefix.MatchString(l) {
			continue
		}
		s := slug(headingPrefix.ReplaceAllString(l, ""))
		if n := seen[s]; n > 0 {
			anchors[s+"-"+strconv.Itoa(n)] = true
		} else {
			anchors[s] = true
		}
		seen[s]++
	}
	return anchors
}

// relativeLinks returns the links of the file that point into the repository: not
// those with a scheme (https:, mailto:) and not those inside code.
func relativeLinks(t *testing.T, file string) []link {
	t.Helper()
	var links []link
	for i, l := range proseLines(t, file) {
		for _, m := range linkPattern.FindAllStringSubmatch(inlineCode.ReplaceAllString(l, ""), -1) {
			target := m[1]
			if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
				continue
			}
			links = append(links, link{line: i + 1, target: target})
		}
	}
	return links
}

// slug is GitHub's anchor for a heading: lower case, letters, digits, marks, '_' and
// '-' kept, each space made '-', everything else dropped.
func slug(heading string) string {
	var b strings.Builder
	for _, r := range strings.TrimSpace(heading) {
		switch {
		case r == ' ':
			b.WriteRune('-')
		case r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsNumber(r) || unicode.IsMark(r):
			b.WriteRune(unicode.ToLower(r))
		}
	}
	return b.String()
}

// skippedDir says whether a folder's Markdown is not the project's documentation.
func skippedDir(name string) bool {
	switch name {
	case ".git", "node_modules", "e2e-screenshots":
		return true
	}
	return false
}

func relToRoot(t *testing.T, file string) string {
	t.Helper()
	r, err := filepath.Rel(repoRoot, file)
	if err != nil {
		t.Fatalf("relative path of %s: %v", file, err)
	}
	return r
}
