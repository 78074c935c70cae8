package nodeimages

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
)

// aptSource is one Debian archive and suite this machine's apt uses.
type aptSource struct {
	URI   string
	Suite string
}

// aptSourcesDir is where apt reads its sources; a parameter of readSources
// so that tests can give their own.
const aptSourcesDir = "/etc/apt"

// readSources returns the sources for suite (and its -updates and -security
// suites) that apt under root reads: sources.list and sources.list.d/*.list
// in one-line format, sources.list.d/*.sources in deb822 format. Only
// binary ("deb") sources with the main component count; disabled entries
// and files with other extensions are skipped, as apt skips them.
func readSources(root, suite string) ([]aptSource, error) {
	var files []string
	if _, err := os.Stat(filepath.Join(root, "sources.list")); err == nil {
		files = append(files, filepath.Join(root, "sources.list"))
	}
	more, _ := filepath.Glob(filepath.Join(root, "sources.list.d", "*"))
	sort.Strings(more)
	files = append(files, more...)
	seen := map[aptSource]bool{}
	var out []aptSource
	add := func(s aptSource) {
		s.URI = strings.TrimRight(s.URI, "/")
		if (s.Suite == suite || strings.HasPrefix(s.Suite, suite+"-")) && !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		switch {
		case strings.HasSuffix(f, ".list"):
			for _, s := range parseOneLine(string(b)) {
				add(s)
			}
		case strings.HasSuffix(f, ".sources"):
			for _, s := range parseDeb822(string(b)) {
				add(s)
			}
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no apt source for Debian %s (main) in %s", suite, root)
	}
	return out, nil
}

// mirror returns the URI of the suite itself, which debootstrap needs.
func mirror(srcs []aptSource, suite string) (string, error) {
	for _, s := range srcs {
		if s.Suite == suite {
			return s.URI, nil
		}
	}
	return "", fmt.Errorf("no apt source for the suite %s itself", suite)
}

// sourcesList renders srcs as a one-line-format sources.list.
func sourcesList(srcs []aptSource) string {
	var b strings.Builder
	b.WriteString("# Written by juliarun's node image build from the build machine's apt sources.\n")
	for _, s := range srcs {
		fmt.Fprintf(&b, "deb %s %s main\n", s.URI, s.Suite)
	}
	return b.String()
}

// parseOneLine reads "deb [options] URI SUITE COMPONENT..." lines.
func parseOneLine(text string) []aptSource {
	var out []aptSource
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		line, _, _ := strings.Cut(sc.Text(), "#")
		f := strings.Fields(line)
		if len(f) < 4 || f[0] != "deb" {
			continue
		}
		f = f[1:]
		if strings.HasPrefix(f[0], "[") {
			// Options, possibly spread over several fields.
			for len(f) > 0 && !strings.HasSuffix(f[0], "]") {
				f = f[1:]
			}
			if len(f) > 0 {
				f = f[1:]
			}
		}
		if len(f) < 3 || !slices.Contains(f[2:], "main") {
			continue
		}
		out = append(out, aptSource{URI: f[0], Suite: f[1]})
	}
	return out
}

// parseDeb822 reads stanzas of Types/URIs/Suites/Components/Enabled fields.
func parseDeb822(text string) []aptSource {
	var out []aptSource
	flush := func(st map[string]string) {
		if len(st) == 0 || strings.EqualFold(st["enabled"], "no") {
			return
		}
		if !slices.Contains(strings.Fields(st["types"]), "deb") || !slices.Contains(strings.Fields(st["components"]), "main") {
			return
		}
		for _, u := range strings.Fields(st["uris"]) {
			for _, s := range strings.Fields(st["suites"]) {
				out = append(out, aptSource{URI: u, Suite: s})
			}
		}
	}
	st := map[string]string{}
	last := ""
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.TrimSpace(line) == "":
			flush(st)
			st, last = map[string]string{}, ""
		case strings.HasPrefix(line, "#"):
		case line[0] == ' ' || line[0] == '\t':
			if last != "" {
				st[last] += " " + strings.TrimSpace(line)
			}
		default:
			k, v, ok := strings.Cut(line, ":")
			if !ok {
				continue
			}
			last = strings.ToLower(strings.TrimSpace(k))
			st[last] = strings.TrimSpace(v)
		}
	}
	flush(st)
	return out
}
