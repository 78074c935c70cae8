package nodeimages

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// TestWriteLayer checks the layer tarball of a directory: hard links,
// symbolic links, numeric owners, emptied /dev, and (as root, who can make
// them) overlay whiteouts turned into OCI ones.
func TestWriteLayer(t *testing.T) {
	src := t.TempDir()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.MkdirAll(filepath.Join(src, "etc/app"), 0o755))
	must(os.MkdirAll(filepath.Join(src, "dev"), 0o755))
	must(os.WriteFile(filepath.Join(src, "dev/leftover"), nil, 0o644))
	must(os.WriteFile(filepath.Join(src, "etc/app/a.conf"), []byte("a=1\n"), 0o640))
	must(os.Link(filepath.Join(src, "etc/app/a.conf"), filepath.Join(src, "etc/app/b.conf")))
	must(os.Symlink("/etc/app/a.conf", filepath.Join(src, "etc/link")))
	root := os.Geteuid() == 0
	if root {
		must(syscall.Mknod(filepath.Join(src, "etc/gone"), syscall.S_IFCHR, 0))
		must(syscall.Setxattr(filepath.Join(src, "etc/app"), "trusted.overlay.opaque", []byte("y"), 0))
	}
	dst := filepath.Join(t.TempDir(), "layer.tar.gz")
	must(writeLayer(context.Background(), src, dst))

	f, err := os.Open(dst)
	must(err)
	defer f.Close()
	zr, err := gzip.NewReader(f)
	must(err)
	got := map[string]*tar.Header{}
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		must(err)
		got[h.Name] = h
	}
	if h := got["etc/app/a.conf"]; h == nil || h.Typeflag != tar.TypeReg || h.Size != 4 || h.Mode&0o777 != 0o640 || h.Uname != "" {
		t.Errorf("etc/app/a.conf: %+v", h)
	}
	if h := got["etc/app/b.conf"]; h == nil || h.Typeflag != tar.TypeLink || h.Linkname != "etc/app/a.conf" {
		t.Errorf("etc/app/b.conf: want a hard link to etc/app/a.conf, got %+v", h)
	}
	if h := got["etc/link"]; h == nil || h.Typeflag != tar.TypeSymlink || h.Linkname != "/etc/app/a.conf" {
		t.Errorf("etc/link: %+v", h)
	}
	if got["dev/"] == nil || got["dev/leftover"] != nil {
		t.Error("dev/ must be in the layer, empty")
	}
	if root {
		if got["etc/.wh.gone"] == nil || got["etc/gone"] != nil {
			t.Error("the overlay whiteout etc/gone did not become etc/.wh.gone")
		}
		if got["etc/app/.wh..wh..opq"] == nil {
			t.Error("the opaque directory etc/app has no .wh..wh..opq")
		}
	} else {
		t.Log("not root: whiteouts not checked")
	}
}
