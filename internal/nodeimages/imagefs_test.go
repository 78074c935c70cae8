package nodeimages

import (
	"archive/tar"
	"bufio"
	"context"
	"io"
	"os"
	"path"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
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
	headers map[string]*tar.Header // by path without leading slash
	small   map[string]string      // contents of regular files up to 64 KiB
}

func loadImage(tb testing.TB, im Image) *imageFS {
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
	fsys := &imageFS{cfg: cfg, headers: map[string]*tar.Header{}, small: map[string]string{}}
	rc := mutate.Extract(img)
	defer rc.Close()
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			tb.Fatalf("reading %s: %v", im.File, err)
		}
		p := strings.TrimSuffix(strings.TrimPrefix(path.Clean("/"+h.Name), "/"), "/")
		fsys.headers[p] = h
		if h.Typeflag == tar.TypeReg && h.Size <= 64<<10 {
			b, err := io.ReadAll(tr)
			if err != nil {
				tb.Fatal(err)
			}
			fsys.small[p] = string(b)
		}
	}
	return fsys
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
