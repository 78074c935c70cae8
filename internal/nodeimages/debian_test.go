package nodeimages

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestReadSources(t *testing.T) {
	root := t.TempDir()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.MkdirAll(filepath.Join(root, "sources.list.d"), 0o755))
	must(os.WriteFile(filepath.Join(root, "sources.list"), []byte(
		"# comment\ndeb [arch=amd64 signed-by=/k.gpg] http://one.example/debian/ bookworm main contrib\n"+
			"deb-src http://one.example/debian bookworm main\n"+
			"deb http://one.example/debian bullseye main\n"), 0o644))
	must(os.WriteFile(filepath.Join(root, "sources.list.d", "debian.sources"), []byte(
		"Types: deb\nURIs: http://two.example/debian\nSuites: bookworm bookworm-updates\nComponents: main\n\n"+
			"Types: deb\n# a comment inside\nURIs: http://two.example/debian-security\nSuites: bookworm-security\nComponents: main\n\n"+
			"Types: deb\nURIs: http://off.example/debian\nSuites: bookworm\nComponents: main\nEnabled: no\n\n"+
			"Types: deb\nURIs: http://contrib.example/debian\nSuites: bookworm\nComponents: contrib\n"), 0o644))
	must(os.WriteFile(filepath.Join(root, "sources.list.d", "other.sources.disabled"), []byte(
		"Types: deb\nURIs: http://disabled.example/debian\nSuites: bookworm\nComponents: main\n"), 0o644))
	srcs, err := readSources(root, "bookworm")
	if err != nil {
		t.Fatal(err)
	}
	want := []aptSource{
		{"http://one.example/debian", "bookworm"},
		{"http://two.example/debian", "bookworm"},
		{"http://two.example/debian", "bookworm-updates"},
		{"http://two.example/debian-security", "bookworm-security"},
	}
	if !slices.Equal(srcs, want) {
		t.Errorf("sources %v, want %v", srcs, want)
	}
	if m, err := mirror(srcs, "bookworm"); err != nil || m != "http://one.example/debian" {
		t.Errorf("mirror %q, %v", m, err)
	}
	list := sourcesList(srcs)
	if !strings.Contains(list, "deb http://two.example/debian-security bookworm-security main\n") {
		t.Errorf("sources.list:\n%s", list)
	}
	if _, err := readSources(t.TempDir(), "bookworm"); err == nil {
		t.Error("no sources: want an error")
	}
}
