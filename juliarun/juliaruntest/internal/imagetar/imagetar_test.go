package imagetar

import (
	"archive/tar"
	"io"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// TestWriteReadsBack writes an image and reads it back the way an importer
// does: by its tag, with the configuration and files it was given.
func TestWriteReadsBack(t *testing.T) {
	path := filepath.Join(t.TempDir(), "img.tar")
	files := []File{
		{Path: "bin", Dir: true},
		{Path: "bin/hello", Data: []byte("#!/bin/sh\necho hi\n"), Mode: 0o755},
		{Path: "bin/hi", Link: "hello"},
	}
	cfg := Config{Entrypoint: []string{"/bin/hello"}, User: "1000:1000", Env: []string{"A=b"}}
	if err := Write(path, "juliaruntest.local/hello:v1", files, cfg); err != nil {
		t.Fatal(err)
	}
	tag, _ := name.NewTag("juliaruntest.local/hello:v1")
	img, err := tarball.ImageFromPath(path, &tag)
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if cf.OS != "linux" || cf.Architecture != "amd64" {
		t.Errorf("platform %s/%s, want linux/amd64", cf.OS, cf.Architecture)
	}
	if diff := cmp.Diff(cfg.Entrypoint, cf.Config.Entrypoint); diff != "" || cf.Config.User != "1000:1000" {
		t.Errorf("entrypoint (-want +got):\n%s; user %q", diff, cf.Config.User)
	}
	tr := tar.NewReader(mutate.Extract(img))
	got := map[string]string{}
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		data, _ := io.ReadAll(tr)
		got[h.Name] = string(data) + h.Linkname
	}
	want := map[string]string{"bin": "", "bin/hello": "#!/bin/sh\necho hi\n", "bin/hi": "hello"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("layer (-want +got):\n%s", diff)
	}
}

func TestWriteRefusesAbsolutePaths(t *testing.T) {
	err := Write(filepath.Join(t.TempDir(), "x.tar"), "x.local/x:v1", []File{{Path: "/etc/passwd"}}, Config{})
	if err == nil {
		t.Error("Write with an absolute path: nil error")
	}
}
