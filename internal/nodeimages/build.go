package nodeimages

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// builder is one build of every image.
type builder struct {
	progress io.Writer
	parent   string // the cache's parent directory
	dir      string // the final cache directory
	work     string // scratch, removed at the end
}

func (b *builder) path(elem ...string) string {
	return filepath.Join(append([]string{b.work}, elem...)...)
}

func (b *builder) build(ctx context.Context) ([]Image, error) {
	start := time.Now()
	var names []string
	for _, r := range recipes() {
		names = append(names, r.Name)
	}
	fmt.Fprintf(b.progress, "juliarun: building node images %v into %s (cold build takes 2 to 4 minutes on 2 cores)\n", names, b.dir)
	for _, d := range []string{"out", "layers", "logs", "apt/lists/partial", "apt/cache/archives/partial"} {
		if err := os.MkdirAll(b.path(d), 0o755); err != nil {
			return nil, err
		}
	}
	rootfs, baseLayer, err := b.base(ctx)
	if err != nil {
		return nil, err
	}
	standIn := b.path("julia")
	if err := BuildStandIn(ctx, standIn); err != nil {
		return nil, err
	}
	created := time.Now().UTC().Truncate(time.Second)
	var imgs []Image
	for _, r := range recipes() {
		t := time.Now()
		fmt.Fprintf(b.progress, "juliarun: building image %s ...\n", r.Ref)
		layerFile, err := b.imageLayer(ctx, r, rootfs, standIn)
		if err != nil {
			return nil, err
		}
		own, err := openLayer(layerFile, "juliarun nodeimages: "+r.Name)
		if err != nil {
			return nil, err
		}
		out := b.path("out", r.Name+".tar")
		if err := writeImage(r, []layer{baseLayer, own}, out, created); err != nil {
			return nil, err
		}
		fi, err := os.Stat(out)
		if err != nil {
			return nil, err
		}
		imgs = append(imgs, Image{Name: r.Name, Ref: r.Ref, File: filepath.Join(b.dir, r.Name+".tar"), Size: fi.Size()})
		fmt.Fprintf(b.progress, "juliarun: built %s (%d MB) in %s\n", r.Ref, fi.Size()>>20, time.Since(t).Round(time.Second))
	}
	idx, err := json.MarshalIndent(imgs, "", "  ")
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(b.path("out", indexFile), append(idx, '\n'), 0o644); err != nil {
		return nil, err
	}
	if err := removeBuildDir(b.dir); err != nil { // a partial directory without an index
		return nil, err
	}
	if err := os.Rename(b.path("out"), b.dir); err != nil {
		return nil, err
	}
	fmt.Fprintf(b.progress, "juliarun: node images ready in %s (%s)\n", b.dir, time.Since(start).Round(time.Second))
	return imgs, nil
}

// imageLayer runs a recipe on an overlay of the base and writes the
// overlay's upper directory as the image's own layer.
func (b *builder) imageLayer(ctx context.Context, r recipe, rootfs, standIn string) (string, error) {
	odir := b.path("img-" + r.Name)
	c, err := newOverlay(rootfs, odir)
	if err != nil {
		return "", err
	}
	err = b.runRecipe(ctx, c, r, standIn)
	if cerr := c.Close(); cerr != nil && err == nil {
		err = cerr
	}
	if err != nil {
		return "", err
	}
	out := b.path("layers", r.Name+".tar.gz")
	if err := writeLayer(ctx, filepath.Join(odir, "upper"), out); err != nil {
		return "", err
	}
	return out, removeBuildDir(odir)
}

func (b *builder) runRecipe(ctx context.Context, c *chroot, r recipe, standIn string) error {
	if r.Setup != "" {
		if err := c.prepare(b.path("apt/lists"), b.path("apt/cache")); err != nil {
			return err
		}
		logName := b.path("logs", r.Name+".log")
		log, err := os.Create(logName)
		if err != nil {
			return err
		}
		defer log.Close()
		if err := c.run(ctx, script(r.Setup), log); err != nil {
			return fmt.Errorf("setting up image %s: %w\n%s", r.Name, err, tailFile(logName))
		}
	}
	for _, f := range r.Files {
		var data []byte
		var err error
		if f.Src == standInSource {
			data, err = os.ReadFile(standIn)
		} else {
			data, err = fs.ReadFile(embedded, f.Src)
		}
		if err != nil {
			return err
		}
		dst := filepath.Join(c.root, f.Path)
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(dst, data, fs.FileMode(f.Mode)); err != nil {
			return err
		}
		if err := os.Chmod(dst, fs.FileMode(f.Mode)); err != nil { // past the umask
			return err
		}
		if err := os.Lchown(dst, 0, 0); err != nil {
			return err
		}
	}
	return nil
}

// script is the prelude followed by the setup script at name.
func script(name string) string {
	pre, _ := fs.ReadFile(embedded, "files/setup/prelude.sh")
	body, _ := fs.ReadFile(embedded, name)
	return string(pre) + "\n" + string(body)
}

// tailFile returns the end of a log, for error messages.
func tailFile(name string) string {
	b, _ := os.ReadFile(name)
	const n = 3000
	s := string(b)
	if len(s) > n {
		s = "..." + s[len(s)-n:]
	}
	return strings.TrimSpace(s)
}
