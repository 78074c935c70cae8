package nodeimages

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// Ensure builds the images of the current recipes into Dir() unless they
// are there, and returns that directory and the images. A build needs root
// (debootstrap, chroot, overlay mounts), debootstrap, and the go command;
// it takes a few minutes cold, and a call finds the images in a few stat
// calls afterwards. Concurrent calls (from several test binaries, say)
// build once: the others wait. Progress goes to progress (io.Discard is
// fine).
func Ensure(ctx context.Context, progress io.Writer) (string, []Image, error) {
	dir, err := Dir()
	if err != nil {
		return "", nil, err
	}
	if imgs, err := readIndex(dir); err == nil {
		return dir, imgs, nil
	}
	if os.Geteuid() != 0 {
		return dir, nil, fmt.Errorf("%w in %s, and building them needs root (debootstrap, chroot, overlay mounts)", ErrNotBuilt, dir)
	}
	if _, err := exec.LookPath("debootstrap"); err != nil {
		return dir, nil, fmt.Errorf("building node images needs debootstrap (apt-get install debootstrap): %w", err)
	}
	parent := filepath.Dir(dir)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return dir, nil, err
	}
	unlock, err := lock(ctx, filepath.Join(parent, ".images.lock"), progress)
	if err != nil {
		return dir, nil, err
	}
	defer unlock()
	// Another process may have built them while this one waited.
	if imgs, err := readIndex(dir); err == nil {
		return dir, imgs, nil
	}
	// Under the lock no other build runs: what is left of one was killed.
	stale, _ := filepath.Glob(filepath.Join(parent, ".images-build-*"))
	for _, s := range stale {
		if err := removeBuildDir(s); err != nil {
			return dir, nil, err
		}
	}
	b := &builder{
		progress: progress,
		parent:   parent,
		dir:      dir,
		work:     filepath.Join(parent, fmt.Sprintf(".images-build-%d", os.Getpid())),
	}
	imgs, err := b.build(ctx)
	if rmErr := removeBuildDir(b.work); rmErr != nil && err == nil {
		err = rmErr
	}
	if err != nil {
		return dir, nil, err
	}
	return dir, imgs, nil
}

// lock takes an exclusive flock on path, waiting while ctx allows.
func lock(ctx context.Context, path string, progress io.Writer) (func(), error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, err
	}
	told := false
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return func() { _ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN); f.Close() }, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			f.Close()
			return nil, fmt.Errorf("locking %s: %w", path, err)
		}
		if !told {
			fmt.Fprintf(progress, "juliarun: waiting for another process building node images (%s)\n", path)
			told = true
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, ctx.Err()
		case <-time.After(time.Second):
		}
	}
}

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

// base returns the cached base root file system and its layer, making
// both first if they are missing. They are keyed by the base recipe only,
// so a change to one image does not run debootstrap again.
func (b *builder) base(ctx context.Context) (string, layer, error) {
	h := sha256.New()
	fmt.Fprintf(h, "%s %s\n", recipeVersion, Suite)
	for _, f := range []string{"files/setup/prelude.sh", "files/setup/base.sh"} {
		data, _ := fs.ReadFile(embedded, f)
		fmt.Fprintf(h, "%s %d\n", f, len(data))
		h.Write(data)
	}
	rootfs := filepath.Join(b.parent, "rootfs-"+Suite+"-"+hex.EncodeToString(h.Sum(nil))[:12])
	layerFile := rootfs + ".tar.gz"
	if _, err := os.Stat(rootfs); err != nil {
		if err := b.debootstrap(ctx, rootfs); err != nil {
			return "", layer{}, err
		}
	}
	if _, err := os.Stat(layerFile); err != nil {
		t := time.Now()
		tmp := layerFile + ".tmp"
		if err := writeLayer(ctx, rootfs, tmp); err != nil {
			return "", layer{}, err
		}
		if err := os.Rename(tmp, layerFile); err != nil {
			return "", layer{}, err
		}
		fmt.Fprintf(b.progress, "juliarun: wrote the base layer in %s\n", time.Since(t).Round(time.Second))
	}
	l, err := openLayer(layerFile, "debootstrap --variant=minbase "+Suite+" (juliarun base, slimmed)")
	return rootfs, l, err
}

// debootstrap makes the base root file system at rootfs.
func (b *builder) debootstrap(ctx context.Context, rootfs string) error {
	t := time.Now()
	srcs, err := readSources(aptSourcesDir, Suite)
	if err != nil {
		return err
	}
	m, err := mirror(srcs, Suite)
	if err != nil {
		return err
	}
	fmt.Fprintf(b.progress, "juliarun: debootstrap %s (minbase) from this machine's apt sources ...\n", Suite)
	tmp := b.path("rootfs")
	log, err := os.Create(b.path("logs", "debootstrap.log"))
	if err != nil {
		return err
	}
	defer log.Close()
	cmd := exec.CommandContext(ctx, "debootstrap", "--variant=minbase", "--components=main", Suite, tmp, m)
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("debootstrap %s: %w\n%s", Suite, err, tailFile(log.Name()))
	}
	if err := os.WriteFile(filepath.Join(tmp, "etc/apt/sources.list"), []byte(sourcesList(srcs)), 0o644); err != nil {
		return err
	}
	c := plainChroot(tmp)
	err = c.prepare("", "")
	if err == nil {
		err = c.run(ctx, script("files/setup/base.sh"), log)
		if err != nil {
			err = fmt.Errorf("preparing the base: %w\n%s", err, tailFile(log.Name()))
		}
	}
	if cerr := c.Close(); cerr != nil && err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	// debootstrap made device nodes; the runtime gives each container its own /dev.
	devs, _ := os.ReadDir(filepath.Join(tmp, "dev"))
	for _, d := range devs {
		if err := os.RemoveAll(filepath.Join(tmp, "dev", d.Name())); err != nil {
			return err
		}
	}
	if err := os.Rename(tmp, rootfs); err != nil {
		return err
	}
	fmt.Fprintf(b.progress, "juliarun: made the %s base in %s\n", Suite, time.Since(t).Round(time.Second))
	return nil
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
