package nodeimages

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
)

// References of the images, as the tarballs tag them and as jobs name them
// with WithImage. The tag is fixed: a rebuilt image replaces the old one in
// containerd when imported.
const (
	JuliaStandIn  = "juliarun.local/julia-standin:1"
	Nginx         = "juliarun.local/nginx:1"
	RabbitMQ      = "juliarun.local/rabbitmq:1"
	JuliaNotebook = "juliarun.local/julia-notebook:1"
)

// Suite is the Debian release every image is built from.
const Suite = "bookworm"

// recipeVersion is bumped by hand when the build changes in a way the
// hashed inputs (embedded files, stand-in source, recipes) do not show.
const recipeVersion = "1"

// DirEnv names the environment variable that overrides the cache directory.
const DirEnv = "JULIARUN_IMAGES_DIR"

// Image is one built image.
type Image struct {
	// Name is the image's short name, e.g. "nginx", also its tarball's stem.
	Name string `json:"name"`
	// Ref is the reference the tarball tags the image with (one of the
	// constants above).
	Ref string `json:"ref"`
	// File is the absolute path of the docker-archive tarball.
	File string `json:"file"`
	// Size is the tarball's size in bytes.
	Size int64 `json:"size"`
}

// indexFile lists the built images in the cache directory; it is written
// last, so a directory with it is complete.
const indexFile = "images.json"

// Key is the cache key of the current recipes: a hash of everything that
// goes into the images, so that a change of recipe builds anew.
func Key() string {
	h := sha256.New()
	fmt.Fprintf(h, "recipe %s suite %s\n", recipeVersion, Suite)
	for _, r := range recipes() {
		b, _ := json.Marshal(r)
		h.Write(b)
	}
	hashTree(h, embedded)
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// hashTree adds every file of fsys, in path order, to h.
func hashTree(h io.Writer, fsys fs.FS) {
	var paths []string
	_ = fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			paths = append(paths, p)
		}
		return nil
	})
	sort.Strings(paths)
	for _, p := range paths {
		b, _ := fs.ReadFile(fsys, p)
		fmt.Fprintf(h, "%s %d\n", p, len(b))
		h.Write(b)
	}
}

// cacheBase is <user cache dir>/juliarun, beside clusterbin's binaries.
func cacheBase() (string, error) {
	base, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("locating the user cache directory (set %s): %w", DirEnv, err)
	}
	return filepath.Join(base, "juliarun"), nil
}

// Dir returns the cache directory of the current recipes:
// $JULIARUN_IMAGES_DIR if set, else <user cache dir>/juliarun/images-<Key>.
func Dir() (string, error) {
	if d := os.Getenv(DirEnv); d != "" {
		return filepath.Abs(d)
	}
	base, err := cacheBase()
	if err != nil {
		return "", err
	}
	return filepath.Join(base, "images-"+Suite+"-"+Key()), nil
}

// ErrNotBuilt says the images of the current recipes are not in the cache.
var ErrNotBuilt = errors.New("node images are not built")

// Available returns the cache directory and the images in it, or an error
// wrapping ErrNotBuilt when they are not all there. It never builds.
func Available() (string, []Image, error) {
	dir, err := Dir()
	if err != nil {
		return "", nil, err
	}
	imgs, err := readIndex(dir)
	if err != nil {
		return dir, nil, err
	}
	return dir, imgs, nil
}

func readIndex(dir string) ([]Image, error) {
	b, err := os.ReadFile(filepath.Join(dir, indexFile))
	if err != nil {
		return nil, fmt.Errorf("%w in %s (go run ./hack/nodeimages builds them, as root)", ErrNotBuilt, dir)
	}
	var imgs []Image
	if err := json.Unmarshal(b, &imgs); err != nil {
		return nil, fmt.Errorf("reading %s: %w", filepath.Join(dir, indexFile), err)
	}
	for i := range imgs {
		imgs[i].File = filepath.Join(dir, filepath.Base(imgs[i].File))
		if _, err := os.Stat(imgs[i].File); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrNotBuilt, err)
		}
	}
	if len(imgs) != len(recipes()) {
		return nil, fmt.Errorf("%w: %s lists %d images, want %d", ErrNotBuilt, indexFile, len(imgs), len(recipes()))
	}
	return imgs, nil
}

// Find returns the image with reference ref among imgs.
func Find(imgs []Image, ref string) (Image, bool) {
	for _, im := range imgs {
		if im.Ref == ref {
			return im, true
		}
	}
	return Image{}, false
}
