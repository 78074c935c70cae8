package juliaruntest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// lockMachine takes the machine-wide lock of real nodes (flock on path),
// waiting while another process holds it, until ctx ends. Closing the file
// releases it; so does the process's death.
func lockMachine(ctx context.Context, path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("juliaruntest: opening the real-node lock %s: %w", path, err)
	}
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return f, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			f.Close()
			return nil, fmt.Errorf("juliaruntest: locking %s: %w", path, err)
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, fmt.Errorf("juliaruntest: waiting for the real node of another process to stop (lock %s): %w", path, ctx.Err())
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// touchedSysctls returns the kernel settings a real node changes:
// ip_forward by the CNI bridge plugin (isGateway), the others by the
// kubelet's container manager (setupKernelTunables, with
// protectKernelDefaults false, which the kubelet needs to start here).
func touchedSysctls() []string {
	return []string{
		"net/ipv4/ip_forward",
		"vm/overcommit_memory",
		"vm/panic_on_oom",
		"kernel/panic",
		"kernel/panic_on_oops",
		"kernel/keys/root_maxkeys",
		"kernel/keys/root_maxbytes",
	}
}

// outsidePaths returns the places outside RealNodeRoot that the kubelet,
// containerd or the CNI library write to whatever they are told (DESIGN.md,
// "Writes outside the kubelet's root dir"). Those that do not exist before
// Start are removed by Stop.
func outsidePaths() []string {
	return []string{
		"/var/log/containers",
		"/var/log/pods",
		"/var/lib/kubelet",
		"/var/lib/kubelet/device-plugins",
		"/var/lib/cni",
		"/run/containerd",
		"/var/run/netns",
		"/etc/cni",
		"/opt/cni",
		"/opt/containerd",
		"/var/run/nri",
	}
}

// machineState is what realNodeState holds.
type machineState struct {
	Sysctls map[string]string `json:"sysctls"` // path under /proc/sys => value before Start
	Created []string          `json:"created"` // outsidePaths absent before Start
}

// recordMachineState writes realNodeState: the sysctls and which of
// outsidePaths exist, before the real node changes them.
func recordMachineState() error {
	st := machineState{Sysctls: map[string]string{}}
	for _, s := range touchedSysctls() {
		data, err := os.ReadFile(filepath.Join("/proc/sys", s))
		if err != nil {
			continue // not on this kernel
		}
		st.Sysctls[s] = strings.TrimSpace(string(data))
	}
	for _, p := range outsidePaths() {
		if _, err := os.Lstat(p); errors.Is(err, os.ErrNotExist) {
			st.Created = append(st.Created, p)
		}
	}
	data, err := json.Marshal(st)
	if err != nil {
		return err
	}
	if err := os.WriteFile(realNodeState, data, 0o644); err != nil {
		return fmt.Errorf("juliaruntest: recording the machine's state: %w", err)
	}
	return nil
}

// restoreMachineState puts back what realNodeState recorded and removes
// it. Without the file (no real node started since boot) it does nothing.
func restoreMachineState() error {
	data, err := os.ReadFile(realNodeState)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	var st machineState
	if err := json.Unmarshal(data, &st); err != nil {
		return fmt.Errorf("juliaruntest: reading %s: %w", realNodeState, err)
	}
	var errs []error
	for s, v := range st.Sysctls {
		if err := os.WriteFile(filepath.Join("/proc/sys", s), []byte(v+"\n"), 0o644); err != nil {
			errs = append(errs, fmt.Errorf("restoring sysctl %s=%s: %w", s, v, err))
		}
	}
	// Deepest first, so a created parent goes after its created children.
	for i := len(st.Created) - 1; i >= 0; i-- {
		if err := os.RemoveAll(st.Created[i]); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) == 0 {
		if err := os.Remove(realNodeState); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// removeStrays removes what the kubelet leaves in outsidePaths that
// existed before Start: its device-plugin socket and the /var/log/containers
// links into RealNodeRoot.
func removeStrays(root string) error {
	var errs []error
	if err := os.Remove("/var/lib/kubelet/device-plugins/kubelet.sock"); err != nil && !errors.Is(err, os.ErrNotExist) {
		errs = append(errs, err)
	}
	entries, _ := os.ReadDir("/var/log/containers")
	for _, e := range entries {
		p := filepath.Join("/var/log/containers", e.Name())
		if target, err := os.Readlink(p); err == nil && strings.HasPrefix(target, root+"/") {
			if err := os.Remove(p); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}

// foreignNode returns a description of a Kubernetes node agent on this
// machine that is not the real node's own (a kubelet, kube-proxy or k3s
// from elsewhere), or "". A real node would fight it over port 10250 and
// kube-proxy's nft tables, and its cleanup would remove that node's
// tables: Start refuses instead.
func foreignNode(binDir string) string {
	procs, _ := filepath.Glob("/proc/[0-9]*/exe")
	for _, p := range procs {
		exe, err := os.Readlink(p)
		if err != nil || strings.HasPrefix(exe, binDir+"/") {
			continue
		}
		switch filepath.Base(strings.TrimSuffix(exe, " (deleted)")) {
		case "kubelet", "kube-proxy", "k3s", "k0s":
			return fmt.Sprintf("%s (pid %s)", exe, filepath.Base(filepath.Dir(p)))
		}
	}
	return ""
}
