package juliaruntest

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"
)

// realNodeCgroup is the kubelet's cgroupRoot: every pod's cgroup is under
// /juliaruntest/kubepods in each hierarchy, so cleaning up touches only the
// real node's cgroups, never those of another container runtime.
const realNodeCgroup = "juliaruntest"

// cgroupHierarchies returns the mounted cgroup hierarchies:
// /sys/fs/cgroup/<controller> on cgroup v1 (the named "systemd" one and a
// "unified" v2 mount among them), or /sys/fs/cgroup itself on v2.
func cgroupHierarchies() []string {
	if _, err := os.Stat("/sys/fs/cgroup/cgroup.controllers"); err == nil {
		return []string{"/sys/fs/cgroup"}
	}
	var hs []string
	dirs, _ := filepath.Glob("/sys/fs/cgroup/*")
	for _, d := range dirs {
		if fi, err := os.Lstat(d); err != nil || !fi.IsDir() {
			continue // cpu,cpuacct style symlinks
		}
		if _, err := os.Stat(filepath.Join(d, "cgroup.procs")); err == nil {
			hs = append(hs, d)
		}
	}
	return hs
}

// makeCgroupRoot creates realNodeCgroup in every hierarchy; the kubelet
// refuses a cgroupRoot that does not exist. A v1 cpuset cgroup takes no
// task until its cpus and mems are set: they are copied from the parent.
func makeCgroupRoot() error {
	for _, h := range cgroupHierarchies() {
		dir := filepath.Join(h, realNodeCgroup)
		if err := os.Mkdir(dir, 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("juliaruntest: creating cgroup %s: %w", dir, err)
		}
		for _, f := range []string{"cpuset.cpus", "cpuset.mems"} {
			v, err := os.ReadFile(filepath.Join(h, f))
			if err != nil {
				continue // not the cpuset hierarchy
			}
			if err := os.WriteFile(filepath.Join(dir, f), v, 0o644); err != nil {
				return fmt.Errorf("juliaruntest: setting %s of cgroup %s: %w", f, dir, err)
			}
		}
	}
	return nil
}

// inNodeCgroup reports whether /proc/<pid>/cgroup content places the
// process under realNodeCgroup in any hierarchy.
func inNodeCgroup(procCgroup string) bool {
	for _, line := range strings.Split(procCgroup, "\n") {
		// "4:memory:/juliaruntest/kubepods/burstable/pod.../..."
		if _, path, ok := strings.Cut(line[strings.IndexByte(line, ':')+1:], ":"); ok {
			if path == "/"+realNodeCgroup || strings.HasPrefix(path, "/"+realNodeCgroup+"/") {
				return true
			}
		}
	}
	return false
}

// removeNodeCgroups removes the realNodeCgroup tree in every hierarchy,
// deepest first. A cgroup whose last process has just died may be busy
// for a moment.
func removeNodeCgroups(ctx context.Context) error {
	var tops []string
	for _, h := range cgroupHierarchies() {
		if fi, err := os.Stat(filepath.Join(h, realNodeCgroup)); err == nil && fi.IsDir() {
			tops = append(tops, filepath.Join(h, realNodeCgroup))
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		var left []string
		for _, top := range tops {
			var dirs []string
			_ = filepath.WalkDir(top, func(p string, d fs.DirEntry, err error) error {
				if err == nil && d.IsDir() {
					dirs = append(dirs, p)
				}
				return nil
			})
			sort.Slice(dirs, func(i, j int) bool { return len(dirs[i]) > len(dirs[j]) })
			for _, d := range dirs {
				if err := syscall.Rmdir(d); err != nil && !errors.Is(err, syscall.ENOENT) {
					left = append(left, d)
				}
			}
		}
		if len(left) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("cgroups %v of the real node cannot be removed", left)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}
