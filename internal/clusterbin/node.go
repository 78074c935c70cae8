package clusterbin

import (
	"context"
	_ "embed"
	"fmt"
	"io"
	"path/filepath"
)

// Pinned versions of the real node's binaries (kubelet and kube-proxy are
// KubernetesVersion). They key NodeDir, so a change never mixes old and new.
const (
	ContainerdVersion = "v2.4.2"
	CNIPluginsVersion = "v1.10.0"
	CoreDNSVersion    = "v1.15.0"
	// PauseVersion counts changes to pause.go.src: raise it with every change.
	PauseVersion = "v1"
)

// Binary names of the real node, as they appear in NodeDir.
const (
	Kubelet        = "kubelet"
	KubeProxy      = "kube-proxy"
	Containerd     = "containerd"
	ContainerdShim = "containerd-shim-runc-v2"
	Ctr            = "ctr"
	CNIBridge      = "bridge"
	CNIHostLocal   = "host-local"
	CNILoopback    = "loopback"
	CNIPortmap     = "portmap"
	CoreDNS        = "coredns"
	// Pause is the sandbox's process: it sleeps until SIGTERM or SIGINT and
	// reaps the children it inherits.
	Pause = "pause"
)

// pauseSource is the program behind Pause. It is a .src file so that it is
// no package of this module.
//
//go:embed pause.go.src
var pauseSource []byte

// containerdTags leave out the snapshotters that need cgo or kernel
// features this kind of machine lacks (DESIGN.md, "A real node: facts").
const containerdTags = "no_btrfs no_devmapper"

func nodeTargets() []target {
	const (
		k8s  = "k8s.io/kubernetes"
		ctrd = "github.com/containerd/containerd/v2"
		cni  = "github.com/containernetworking/plugins"
	)
	return []target{
		{name: Kubelet, module: k8s, version: KubernetesVersion, pkg: k8s + "/cmd/kubelet"},
		{name: KubeProxy, module: k8s, version: KubernetesVersion, pkg: k8s + "/cmd/kube-proxy"},
		{name: Containerd, module: ctrd, version: ContainerdVersion, pkg: ctrd + "/cmd/containerd", tags: containerdTags},
		{name: ContainerdShim, module: ctrd, version: ContainerdVersion, pkg: ctrd + "/cmd/containerd-shim-runc-v2", tags: containerdTags},
		{name: Ctr, module: ctrd, version: ContainerdVersion, pkg: ctrd + "/cmd/ctr", tags: containerdTags},
		{name: CNIBridge, module: cni, version: CNIPluginsVersion, pkg: cni + "/plugins/main/bridge"},
		{name: CNIHostLocal, module: cni, version: CNIPluginsVersion, pkg: cni + "/plugins/ipam/host-local"},
		{name: CNILoopback, module: cni, version: CNIPluginsVersion, pkg: cni + "/plugins/main/loopback"},
		{name: CNIPortmap, module: cni, version: CNIPluginsVersion, pkg: cni + "/plugins/meta/portmap"},
		{name: CoreDNS, module: "github.com/coredns/coredns", version: CoreDNSVersion, pkg: "github.com/coredns/coredns"},
		{name: Pause, version: PauseVersion, src: pauseSource},
	}
}

// NodeDir returns the directory of the real node's binaries: a directory
// inside dir (the control-plane cache, see Dir) named by their versions.
func NodeDir(dir string) string {
	key := fmt.Sprintf("node-containerd-%s-cni-%s-coredns-%s-pause-%s", ContainerdVersion, CNIPluginsVersion, CoreDNSVersion, PauseVersion)
	return filepath.Join(dir, key)
}

// MissingNode returns the names of the real node's binaries not yet in
// NodeDir(dir).
func MissingNode(dir string) []string {
	return missingIn(NodeDir(dir), nodeTargets())
}

// EnsureNode builds every missing binary of the real node into
// NodeDir(Dir()) and returns that directory. Like Ensure, it only stats
// files when all are present. runc is not among them: it comes from
// Debian's package.
func EnsureNode(ctx context.Context, progress io.Writer) (string, error) {
	base, err := Dir()
	if err != nil {
		return "", err
	}
	dir := NodeDir(base)
	missing := MissingNode(base)
	if len(missing) == 0 {
		return dir, nil
	}
	fmt.Fprintf(progress, "juliarun: building real-node binaries %v into %s (cold build takes about 8 minutes on 2 cores after the control plane's)\n", missing, dir)
	return dir, build(ctx, progress, dir, nodeTargets(), missing)
}
