package nodeimages

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
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
