package nodeimages

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestDirAndAvailable(t *testing.T) {
	d := t.TempDir()
	t.Setenv(DirEnv, d)
	if got, err := Dir(); err != nil || got != d {
		t.Fatalf("Dir() = %q, %v; want %s from %s", got, err, d, DirEnv)
	}
	if _, _, err := Available(); !errors.Is(err, ErrNotBuilt) {
		t.Fatalf("empty cache: %v, want ErrNotBuilt", err)
	}
	var want []Image
	for _, r := range recipes() {
		f := filepath.Join(d, r.Name+".tar")
		if err := os.WriteFile(f, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
		// The index may name another directory: only the base name counts,
		// so a moved cache still works.
		want = append(want, Image{Name: r.Name, Ref: r.Ref, File: "/elsewhere/" + r.Name + ".tar", Size: 1})
	}
	b, _ := json.Marshal(want)
	if err := os.WriteFile(filepath.Join(d, indexFile), b, 0o644); err != nil {
		t.Fatal(err)
	}
	_, imgs, err := Available()
	if err != nil || len(imgs) != len(want) {
		t.Fatalf("Available: %v, %v", imgs, err)
	}
	im, ok := Find(imgs, Nginx)
	if !ok || im.File != filepath.Join(d, "nginx.tar") {
		t.Errorf("Find(Nginx) = %+v, %v", im, ok)
	}
	if err := os.Remove(filepath.Join(d, "nginx.tar")); err != nil {
		t.Fatal(err)
	}
	if _, _, err := Available(); !errors.Is(err, ErrNotBuilt) {
		t.Errorf("a tarball missing: %v, want ErrNotBuilt", err)
	}
}

// TestKeyCoversTheRecipes checks that the cache key changes with what
// goes into the images, so a changed recipe is built anew.
func TestKeyCoversTheRecipes(t *testing.T) {
	k := Key()
	if len(k) != 16 || k != Key() {
		t.Fatalf("Key() = %q: want 16 stable hex digits", k)
	}
	d, err := Dir()
	if err != nil {
		t.Fatal(err)
	}
	if os.Getenv(DirEnv) == "" && filepath.Base(d) != "images-"+Suite+"-"+k {
		t.Errorf("Dir() = %s, want it named by the key %s", d, k)
	}
	for _, f := range []string{"files/setup/nginx.sh", "files/rabbitmq/docker-entrypoint.sh", "standin/main.go"} {
		if _, err := embedded.Open(f); err != nil {
			t.Errorf("%s is not embedded, so not in the key: %v", f, err)
		}
	}
}
