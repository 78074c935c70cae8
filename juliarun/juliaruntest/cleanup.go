package juliaruntest

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// cleanNode removes every trace of a real node whose binaries are in
// binDir and whose state is in root, whether it was stopped or died:
// processes, containers, mounts, cgroups, files, links, nft rules, and the
// sysctls and directories realNodeState recorded. It is idempotent, goes
// on past errors and returns them all.
func cleanNode(ctx context.Context, binDir, root string) error {
	var errs []error
	if err := killNodeProcesses(ctx, binDir, root); err != nil {
		errs = append(errs, err)
	}
	unmountErr := unmountUnder(root)
	if unmountErr != nil {
		errs = append(errs, unmountErr)
	}
	if err := removeNodeCgroups(ctx); err != nil {
		errs = append(errs, err)
	}
	// Never remove through a mount that is still there: a subPath volume
	// is a bind mount of a directory from anywhere on the machine.
	if unmountErr == nil {
		if err := os.RemoveAll(root); err != nil {
			errs = append(errs, err)
		}
	}
	if err := removeStrays(root); err != nil {
		errs = append(errs, err)
	}
	if err := cleanNetwork(ctx); err != nil {
		errs = append(errs, err)
	}
	// Last: the CNI bridge plugin sets ip_forward again on every pod.
	if err := restoreMachineState(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// nodeProcesses returns the live processes of a real node: the binaries
// of binDir (containerd's shims among them, which containerd starts
// detached), anything naming root on its command line, and every process
// in the real node's cgroups (the containers). Zombies are left out: they are
// gone but for their parent's wait.
func nodeProcesses(binDir, root string) []int {
	self := os.Getpid()
	entries, _ := os.ReadDir("/proc")
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == self || pid == 1 {
			continue
		}
		dir := filepath.Join("/proc", e.Name())
		if stat, err := os.ReadFile(filepath.Join(dir, "stat")); err != nil || zombie(stat) {
			continue
		}
		exe, _ := os.Readlink(filepath.Join(dir, "exe"))
		cmdline, _ := os.ReadFile(filepath.Join(dir, "cmdline"))
		cgroup, _ := os.ReadFile(filepath.Join(dir, "cgroup"))
		if strings.HasPrefix(exe, binDir+"/") || strings.Contains(string(cmdline), root) || inNodeCgroup(string(cgroup)) {
			pids = append(pids, pid)
		}
	}
	return pids
}

// zombie reports whether a /proc/<pid>/stat line is a zombie's.
func zombie(stat []byte) bool {
	s := string(stat)
	i := strings.LastIndexByte(s, ')')
	return i >= 0 && i+2 < len(s) && s[i+2] == 'Z'
}

// killNodeProcesses SIGKILLs the real node's processes until none is left.
// Nothing is asked to stop gracefully: everything they keep is removed
// afterwards anyway.
func killNodeProcesses(ctx context.Context, binDir, root string) error {
	deadline := time.Now().Add(15 * time.Second)
	for {
		pids := nodeProcesses(binDir, root)
		if len(pids) == 0 {
			return nil
		}
		for _, pid := range pids {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("processes %v of the real node outlived SIGKILL for 15 s", pids)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// mountsUnder returns the mount points at or under root, last mounted
// first, from /proc/self/mountinfo.
func mountsUnder(root string) ([]string, error) {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var mounts []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 5 {
			continue
		}
		mp := unescapeMountinfo(fields[4])
		if mp == root || strings.HasPrefix(mp, root+"/") {
			mounts = append(mounts, mp)
		}
	}
	for i, j := 0, len(mounts)-1; i < j; i, j = i+1, j-1 {
		mounts[i], mounts[j] = mounts[j], mounts[i]
	}
	return mounts, sc.Err()
}

// unescapeMountinfo decodes the octal escapes (\040 for a space) the
// kernel writes in mountinfo paths.
func unescapeMountinfo(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			if v, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(v))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// unmountUnder detaches every mount at or under root: container root
// filesystems, sandbox /dev/shm, network-namespace files, the kubelet's
// volume mounts and its bind mount of its root directory onto itself.
func unmountUnder(root string) error {
	for range 10 {
		mounts, err := mountsUnder(root)
		if err != nil {
			return err
		}
		if len(mounts) == 0 {
			return nil
		}
		for _, m := range mounts {
			_ = syscall.Unmount(m, syscall.MNT_DETACH)
		}
	}
	mounts, _ := mountsUnder(root)
	return fmt.Errorf("mounts under %s remain: %v", root, mounts)
}
