package nodeimages

import (
	"archive/tar"
	"bufio"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// requireEnv is juliaruntest.RequireEnv (not imported: juliaruntest may
// import this package). Set, tests build missing images or fail; unset,
// they skip loudly.
const requireEnv = "JULIARUN_REQUIRE_CLUSTER"

// builtImages returns the images, building them under requireEnv.
func builtImages(tb testing.TB) (string, []Image) {
	tb.Helper()
	dir, imgs, err := Available()
	if err == nil {
		return dir, imgs
	}
	if os.Getenv(requireEnv) == "" {
		tb.Skipf("SKIPPING NODE IMAGE TEST: %v. %s=1 (./hack/test.sh) builds them, as root.", err, requireEnv)
	}
	dir, imgs, err = Ensure(context.Background(), testWriter{tb})
	if err != nil {
		tb.Fatalf("building the node images: %v", err)
	}
	return dir, imgs
}

type testWriter struct{ tb testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.tb.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// imageFS is an image's flattened file system, read from its tarball.
type imageFS struct {
	cfg     *v1.ConfigFile
	layers  []v1.Hash              // layer digests, base first
	headers map[string]*tar.Header // by path without leading slash
	small   map[string]string      // contents of regular files up to 64 KiB
	dir     string                 // where it was unpacked; "" if not
}

// loadImage reads the image ref from its tarball with go-containerregistry
// and flattens its layers, applying OCI whiteouts. With dir, it also
// unpacks the file system there (owners and modes included; needs root).
// Layers are gunzipped by a gzip process: inflating hundreds of megabytes
// in Go under the race detector takes minutes, this takes seconds.
func loadImage(tb testing.TB, im Image, dir string) *imageFS {
	tb.Helper()
	tag, err := name.NewTag(im.Ref)
	if err != nil {
		tb.Fatal(err)
	}
	img, err := tarball.ImageFromPath(im.File, &tag)
	if err != nil {
		tb.Fatalf("%s does not hold %s: %v", im.File, im.Ref, err)
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		tb.Fatal(err)
	}
	layers, err := img.Layers()
	if err != nil {
		tb.Fatal(err)
	}
	f := &imageFS{cfg: cfg, headers: map[string]*tar.Header{}, small: map[string]string{}, dir: dir}
	from := map[string]int{} // path => index of the layer that wrote it
	for i, l := range layers {
		d, err := l.Digest()
		if err != nil {
			tb.Fatal(err)
		}
		f.layers = append(f.layers, d)
		if err := f.apply(l, i, from); err != nil {
			tb.Fatalf("reading layer %d (%s) of %s: %v", i, d, im.File, err)
		}
	}
	return f
}

// apply adds layer i to the flattened file system.
func (f *imageFS) apply(l v1.Layer, i int, from map[string]int) error {
	rc, err := l.Compressed()
	if err != nil {
		return err
	}
	defer rc.Close()
	gz := exec.Command("gzip", "-dc")
	gz.Stdin = rc
	out, err := gz.StdoutPipe()
	if err != nil {
		return err
	}
	if err := gz.Start(); err != nil {
		return err
	}
	err = f.readTar(tar.NewReader(out), i, from)
	_, _ = io.Copy(io.Discard, out)
	if werr := gz.Wait(); err == nil {
		err = werr
	}
	return err
}

func (f *imageFS) readTar(tr *tar.Reader, i int, from map[string]int) error {
	// remove deletes p and everything below it that lower layers wrote.
	remove := func(p string, self bool) error {
		for q, li := range from {
			if li < i && ((self && q == p) || strings.HasPrefix(q, p+"/")) {
				delete(f.headers, q)
				delete(f.small, q)
				delete(from, q)
			}
		}
		if f.dir == "" {
			return nil
		}
		if self {
			return os.RemoveAll(filepath.Join(f.dir, p))
		}
		ents, _ := os.ReadDir(filepath.Join(f.dir, p))
		for _, e := range ents {
			if err := os.RemoveAll(filepath.Join(f.dir, p, e.Name())); err != nil {
				return err
			}
		}
		return nil
	}
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		p := strings.TrimSuffix(strings.TrimPrefix(path.Clean("/"+h.Name), "/"), "/")
		dir, base := path.Split(p)
		dir = strings.TrimSuffix(dir, "/")
		switch {
		case base == opaqueWhiteout:
			if err := remove(dir, false); err != nil {
				return err
			}
			continue
		case strings.HasPrefix(base, whiteoutPrefix):
			if err := remove(path.Join(dir, strings.TrimPrefix(base, whiteoutPrefix)), true); err != nil {
				return err
			}
			continue
		}
		f.headers[p], from[p] = h, i
		var content []byte
		if h.Typeflag == tar.TypeReg && (h.Size <= 64<<10 || f.dir != "") {
			if content, err = io.ReadAll(tr); err != nil {
				return err
			}
			if h.Size <= 64<<10 {
				f.small[p] = string(content)
			}
		}
		if f.dir != "" {
			if err := unpackEntry(f.dir, p, h, content); err != nil {
				return err
			}
		}
	}
}

// unpackEntry writes one entry under dir, owners and modes included.
func unpackEntry(dir, p string, h *tar.Header, content []byte) error {
	target := filepath.Join(dir, p)
	if h.Typeflag != tar.TypeDir {
		if err := os.RemoveAll(target); err != nil {
			return err
		}
	}
	switch h.Typeflag {
	case tar.TypeDir:
		if err := os.MkdirAll(target, 0o755); err != nil {
			return err
		}
	case tar.TypeReg:
		if err := os.WriteFile(target, content, 0o600); err != nil {
			return err
		}
	case tar.TypeSymlink:
		return errors.Join(os.Symlink(h.Linkname, target), os.Lchown(target, h.Uid, h.Gid))
	case tar.TypeLink:
		return os.Link(filepath.Join(dir, path.Clean("/"+h.Linkname)), target)
	default:
		return nil // devices and fifos: none in these images
	}
	if err := os.Lchown(target, h.Uid, h.Gid); err != nil {
		return err
	}
	return os.Chmod(target, os.FileMode(h.Mode&0o777)|modeBits(h.Mode))
}

// modeBits turns a tar header's setuid, setgid and sticky bits into Go's.
func modeBits(m int64) os.FileMode {
	var fm os.FileMode
	if m&0o4000 != 0 {
		fm |= os.ModeSetuid
	}
	if m&0o2000 != 0 {
		fm |= os.ModeSetgid
	}
	if m&0o1000 != 0 {
		fm |= os.ModeSticky
	}
	return fm
}

// resolve follows symbolic links in p (absolute) as the kernel would in
// the image, and returns the final path without its leading slash.
func (f *imageFS) resolve(p string) (string, bool) {
	parts := strings.Split(strings.Trim(p, "/"), "/")
	cur := ""
	for hops := 0; len(parts) > 0; {
		next := path.Join(cur, parts[0])
		parts = parts[1:]
		h, ok := f.headers[next]
		if !ok {
			return next, false
		}
		if h.Typeflag == tar.TypeSymlink {
			if hops++; hops > 40 {
				return next, false
			}
			target := h.Linkname
			if !strings.HasPrefix(target, "/") {
				target = path.Join("/", cur, target)
			}
			parts = append(strings.Split(strings.Trim(path.Clean(target), "/"), "/"), parts...)
			cur = ""
			continue
		}
		cur = next
	}
	return cur, true
}

// header returns the header of the file p resolves to; the test fails if
// there is none.
func (f *imageFS) header(tb testing.TB, p string) *tar.Header {
	tb.Helper()
	r, ok := f.resolve(p)
	if !ok {
		tb.Fatalf("%s: not in the image", p)
	}
	return f.headers[r]
}

// content returns the content of the small regular file p resolves to.
func (f *imageFS) content(tb testing.TB, p string) string {
	tb.Helper()
	r, _ := f.resolve(p)
	c, ok := f.small[r]
	if !ok {
		tb.Fatalf("%s: not a small regular file in the image", p)
	}
	return c
}

// link returns the target of the symbolic link p (not followed).
func (f *imageFS) link(tb testing.TB, p string) string {
	tb.Helper()
	dir, _ := f.resolve(path.Dir(p))
	h, ok := f.headers[path.Join(dir, path.Base(p))]
	if !ok || h.Typeflag != tar.TypeSymlink {
		tb.Fatalf("%s: not a symbolic link in the image", p)
	}
	return h.Linkname
}

func (f *imageFS) exists(p string) bool {
	_, ok := f.resolve(p)
	return ok
}

// user is one /etc/passwd entry.
type user struct {
	name       string
	uid, gid   int
	home, shel string
}

func (f *imageFS) users(tb testing.TB) map[string]user {
	tb.Helper()
	out := map[string]user{}
	sc := bufio.NewScanner(strings.NewReader(f.content(tb, "/etc/passwd")))
	for sc.Scan() {
		x := strings.Split(sc.Text(), ":")
		if len(x) != 7 {
			continue
		}
		uid, _ := strconv.Atoi(x[2])
		gid, _ := strconv.Atoi(x[3])
		out[x[0]] = user{name: x[0], uid: uid, gid: gid, home: x[5], shel: x[6]}
	}
	return out
}

// groups returns /etc/group as name => gid.
func (f *imageFS) groups(tb testing.TB) map[string]int {
	tb.Helper()
	out := map[string]int{}
	for _, l := range strings.Split(f.content(tb, "/etc/group"), "\n") {
		x := strings.Split(l, ":")
		if len(x) == 4 {
			out[x[0]], _ = strconv.Atoi(x[2])
		}
	}
	return out
}

// env returns the image config's environment as a map.
func (f *imageFS) env() map[string]string {
	out := map[string]string{}
	for _, kv := range f.cfg.Config.Env {
		k, v, _ := strings.Cut(kv, "=")
		out[k] = v
	}
	return out
}
