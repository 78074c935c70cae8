package juliaruntest

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/juliarun/sdk/internal/clusterbin"
)

// containerdConfig is containerd's configuration (version 4, what v2.4
// writes itself: an older version is migrated at every start, with a
// warning). Everything containerd keeps is under one directory (%[1]s);
// the facts behind each setting are in DESIGN.md, "A real node: facts".
const containerdConfig = `version = 4
root = '%[1]s/root'
state = '%[1]s/state'
temp = '%[1]s/tmp'
imports = []
# NRI would open /var/run/nri; nothing here uses it.
disabled_plugins = ['io.containerd.nri.v1.nri']

[plugins.'io.containerd.server.v1.grpc']
  address = '%[1]s/containerd.sock'
[plugins.'io.containerd.server.v1.ttrpc']
  address = '%[1]s/containerd.sock.ttrpc'
[plugins.'io.containerd.server.v1.debug']
  address = ''
[plugins.'io.containerd.server.v1.metrics']
  address = ''
[plugins.'io.containerd.internal.v1.opt']
  path = '%[1]s/opt'
[plugins.'io.containerd.shim.v1.manager']
  # Shim sockets are named by a 64-character hash: the directory must be
  # short for the unix socket path limit.
  socket_dir = '%[1]s/s'

[plugins.'io.containerd.cri.v1.images']
  snapshotter = 'overlayfs'
  [plugins.'io.containerd.cri.v1.images'.pinned_images]
    sandbox = '%[2]s'
  [plugins.'io.containerd.cri.v1.images'.registry]
    # Every registry is 127.0.0.1:9 (nothing listens): a pod naming an
    # image that was not imported fails at once, and no pull ever leaves
    # the machine.
    config_path = '%[1]s/hosts'

[plugins.'io.containerd.cri.v1.runtime']
  # This VM drops CAP_SYS_RESOURCE: without it every sandbox fails with
  # "nsexec: failed to update /proc/self/oom_score_adj: Permission denied".
  restrict_oom_score_adj = true
  netns_mounts_under_state_dir = true
  cdi_spec_dirs = []
  [plugins.'io.containerd.cri.v1.runtime'.containerd]
    default_runtime_name = 'runc'
    [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc]
      runtime_type = 'io.containerd.runc.v2'
      [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc.options]
        BinaryName = '%[3]s'
        Root = '%[1]s/runc'
        SystemdCgroup = false
  [plugins.'io.containerd.cri.v1.runtime'.cni]
    bin_dirs = ['%[4]s']
    conf_dir = '%[1]s/cni'
    max_conf_num = 1

[plugins.'io.containerd.grpc.v1.cri']
  stream_server_address = '127.0.0.1'
  stream_server_port = '0'
`

// registryHosts sends every image pull to a port where nothing listens.
const registryHosts = `server = "http://127.0.0.1:9"
`

// cniConfig is the pod network: one bridge, host-local addresses, no
// masquerading (nothing may leave the machine), hairpin so a pod reaches
// itself through its Service, and portmap for hostPorts (its nftables
// backend: no iptables needed).
const cniConfig = `{
  "cniVersion": "1.0.0",
  "name": "juliaruntest",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "%[1]s",
      "isGateway": true,
      "ipMasq": false,
      "hairpinMode": true,
      "ipam": {
        "type": "host-local",
        "ranges": [[{"subnet": "%[2]s", "gateway": "%[3]s"}]],
        "routes": [{"dst": "0.0.0.0/0"}],
        "dataDir": "%[4]s"
      }
    },
    {"type": "portmap", "backend": "nftables", "capabilities": {"portMappings": true}}
  ]
}
`

func (n *realNode) containerdDir() string { return filepath.Join(n.dir, "containerd") }
func (n *realNode) containerdSocket() string {
	return filepath.Join(n.containerdDir(), "containerd.sock")
}

// startContainerd writes containerd's and CNI's configuration, starts
// containerd and waits until it answers.
func (n *realNode) startContainerd(ctx context.Context) error {
	dir := n.containerdDir()
	for _, d := range []string{"", "cni", "hosts/_default", "s"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o700); err != nil {
			return err
		}
	}
	runc, err := exec.LookPath("runc")
	if err != nil {
		return fmt.Errorf("juliaruntest: the real node needs Debian's runc (apt-get install runc): %w", err)
	}
	files := map[string]string{
		"config.toml":                  fmt.Sprintf(containerdConfig, dir, pauseImage, runc, n.binDir),
		"hosts/_default/hosts.toml":    registryHosts,
		"cni/10-juliaruntest.conflist": fmt.Sprintf(cniConfig, realPodBridge, RealNodePodCIDR, realPodGateway, filepath.Join(dir, "cni-ipam")),
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			return err
		}
	}
	p, err := n.start(clusterbin.Containerd, "--config", filepath.Join(dir, "config.toml"))
	if err != nil {
		return err
	}
	for {
		if err := p.running(); err != nil {
			return err
		}
		if _, err := n.ctr(ctx, "version"); err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("juliaruntest: containerd did not answer on %s: %w (log: %s)", n.containerdSocket(), ctx.Err(), p.logPath)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// ctr runs containerd's client on the node's socket, in the namespace the
// CRI plugin uses.
func (n *realNode) ctr(ctx context.Context, args ...string) ([]byte, error) {
	args = append([]string{"--address", n.containerdSocket(), "--namespace", "k8s.io"}, args...)
	cmd := exec.CommandContext(ctx, filepath.Join(n.binDir, clusterbin.Ctr), args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return out, fmt.Errorf("ctr %s: %w: %s", strings.Join(args[4:], " "), err, bytes.TrimSpace(stderr.Bytes()))
	}
	return out, nil
}

// importImage imports a docker or OCI image tarball into the node's
// containerd, where the kubelet finds it by the names it carries.
func (n *realNode) importImage(ctx context.Context, tarPath string) error {
	if _, err := os.Stat(tarPath); err != nil {
		return fmt.Errorf("juliaruntest: importing image: %w", err)
	}
	if _, err := n.ctr(ctx, "images", "import", tarPath); err != nil {
		return fmt.Errorf("juliaruntest: importing image %s into the real node: %w (log: %s)", tarPath, err,
			filepath.Join(n.logsDir, clusterbin.Containerd+".log"))
	}
	return nil
}
