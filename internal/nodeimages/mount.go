package nodeimages

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
)

// chroot is a root file system prepared for running package scripts in:
// optionally an overlay over a lower directory, with /proc, a minimal /dev
// (a tmpfs, never the host's) and bind mounts. Close undoes every mount.
type chroot struct {
	root   string   // the directory commands see as /
	mounts []string // mount points, in the order they were made
}

// newOverlay mounts an overlay of lower (read-only) and dir/upper at
// dir/merged. The upper directory then holds exactly what changed: the
// image's layer. Overlay features that would put metadata instead of data
// in the upper directory (metacopy, redirect_dir) are off.
func newOverlay(lower, dir string) (*chroot, error) {
	for _, d := range []string{"upper", "work", "merged"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			return nil, err
		}
	}
	c := &chroot{root: filepath.Join(dir, "merged")}
	opts := fmt.Sprintf("lowerdir=%s,upperdir=%s,workdir=%s,redirect_dir=off,metacopy=off,index=off",
		lower, filepath.Join(dir, "upper"), filepath.Join(dir, "work"))
	if err := c.mount("overlay", c.root, "overlay", 0, opts); err != nil {
		return nil, fmt.Errorf("mounting an overlay (needs root and overlayfs): %w", err)
	}
	// Private, so that nothing mounted below propagates to the host's peers.
	if err := syscall.Mount("", c.root, "", syscall.MS_PRIVATE, ""); err != nil {
		c.Close()
		return nil, fmt.Errorf("making %s private: %w", c.root, err)
	}
	return c, nil
}

// plainChroot uses root itself (for the base, before it is cached).
func plainChroot(root string) *chroot { return &chroot{root: root} }

func (c *chroot) mount(src, target, fstype string, flags uintptr, data string) error {
	if err := syscall.Mount(src, target, fstype, flags, data); err != nil {
		return fmt.Errorf("mount %s on %s: %w", fstype, target, err)
	}
	c.mounts = append(c.mounts, target)
	return nil
}

// prepare mounts /proc, a minimal /dev and the apt caches (if not "") into
// the root, and installs a policy-rc.d that keeps services from starting.
func (c *chroot) prepare(aptLists, aptCache string) error {
	if err := c.mount("proc", filepath.Join(c.root, "proc"), "proc", syscall.MS_NOSUID|syscall.MS_NODEV|syscall.MS_NOEXEC, ""); err != nil {
		return err
	}
	dev := filepath.Join(c.root, "dev")
	if err := c.mount("tmpfs", dev, "tmpfs", syscall.MS_NOSUID, "mode=0755,size=16m"); err != nil {
		return err
	}
	for _, n := range []struct {
		name         string
		major, minor uint32
	}{{"null", 1, 3}, {"zero", 1, 5}, {"full", 1, 7}, {"random", 1, 8}, {"urandom", 1, 9}, {"tty", 5, 0}} {
		devNum := int((n.major << 8) | n.minor)
		if err := syscall.Mknod(filepath.Join(dev, n.name), syscall.S_IFCHR|0o666, devNum); err != nil {
			return fmt.Errorf("mknod /dev/%s: %w", n.name, err)
		}
		_ = os.Chmod(filepath.Join(dev, n.name), 0o666) // past the umask
	}
	for name, target := range map[string]string{"fd": "/proc/self/fd", "stdin": "/proc/self/fd/0", "stdout": "/proc/self/fd/1", "stderr": "/proc/self/fd/2"} {
		if err := os.Symlink(target, filepath.Join(dev, name)); err != nil {
			return err
		}
	}
	for src, rel := range map[string]string{aptLists: "var/lib/apt/lists", aptCache: "var/cache/apt"} {
		if src == "" {
			continue
		}
		target := filepath.Join(c.root, rel)
		if err := os.MkdirAll(target, 0o755); err != nil {
			return err
		}
		if err := c.mount(src, target, "", syscall.MS_BIND, ""); err != nil {
			return err
		}
	}
	// apt resolves the archive's host name with this machine's resolver.
	resolv, err := os.ReadFile("/etc/resolv.conf")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(c.root, "etc/resolv.conf"), resolv, 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(c.root, "usr/sbin/policy-rc.d"), []byte("#!/bin/sh\n# juliarun image build: start no service.\nexit 101\n"), 0o755)
}

// run runs a shell script as root in the chroot, its output to log.
func (c *chroot) run(ctx context.Context, script string, log *os.File) error {
	cmd := exec.CommandContext(ctx, "/bin/sh", "-c", script)
	cmd.SysProcAttr = &syscall.SysProcAttr{Chroot: c.root}
	cmd.Dir = "/"
	cmd.Env = []string{"PATH=" + defaultPath, "HOME=/root", "LANG=C.UTF-8", "DEBIAN_FRONTEND=noninteractive"}
	cmd.Stdout, cmd.Stderr = log, log
	return cmd.Run()
}

// Close removes the policy-rc.d and resolv.conf prepare wrote (the runtime
// gives each container its own resolv.conf) and undoes the mounts, last
// first.
func (c *chroot) Close() error {
	_ = os.Remove(filepath.Join(c.root, "usr/sbin/policy-rc.d"))
	_ = os.Remove(filepath.Join(c.root, "etc/resolv.conf"))
	var errs []error
	for i := len(c.mounts) - 1; i >= 0; i-- {
		if err := unmount(c.mounts[i]); err != nil {
			errs = append(errs, err)
		}
	}
	c.mounts = nil
	return errors.Join(errs...)
}

func unmount(target string) error {
	err := syscall.Unmount(target, 0)
	if errors.Is(err, syscall.EBUSY) {
		err = syscall.Unmount(target, syscall.MNT_DETACH)
	}
	if err != nil && !errors.Is(err, syscall.EINVAL) { // EINVAL: not mounted
		return fmt.Errorf("unmounting %s: %w", target, err)
	}
	return nil
}

// mountsUnder returns the mount points at or below dir, deepest first.
func mountsUnder(dir string) ([]string, error) {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 5 {
			continue
		}
		// Mount points escape spaces and such as octal: \040.
		mp := strings.NewReplacer(`\040`, " ", `\011`, "\t", `\012`, "\n", `\134`, `\`).Replace(fields[4])
		if mp == dir || strings.HasPrefix(mp, dir+"/") {
			out = append(out, mp)
		}
	}
	sort.Slice(out, func(i, j int) bool { return len(out[i]) > len(out[j]) })
	return out, sc.Err()
}

// removeBuildDir unmounts whatever is still mounted below dir (a build that
// was killed leaves mounts) and removes it. It refuses to remove a directory
// that still has a mount below it, so it can never delete through one.
func removeBuildDir(dir string) error {
	mps, err := mountsUnder(dir)
	if err != nil {
		return err
	}
	for _, mp := range mps {
		if err := unmount(mp); err != nil {
			return err
		}
	}
	if mps, err = mountsUnder(dir); err != nil || len(mps) > 0 {
		return fmt.Errorf("not removing %s: still mounted below it: %v %v", dir, mps, err)
	}
	return os.RemoveAll(dir)
}
