package juliaruntest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/juliarun/sdk/internal/clusterbin"
)

// The real node: its name, how to place pods on it, where it lives.
const (
	// RealNodeName is the name of the real node.
	RealNodeName = "real-node-0"
	// RealNodeLabel is the label every real node carries, with the value
	// RealNodeLabelValue; simulated nodes do not carry it. A pod meant for
	// the real node selects it (nodeSelector) and tolerates RealNodeTaint.
	RealNodeLabel      = "juliarun.io/node"
	RealNodeLabelValue = "real"
	// RealNodeTaintKey is the key of the NoSchedule taint (value "true")
	// the real node carries when the cluster also has simulated nodes, so
	// that pods not meant for it never land there. A real node that is a
	// cluster's only node has no taint.
	RealNodeTaintKey = "juliaruntest/real-node"
	// RealNodeRoot is the one directory a real node keeps its state in
	// (containerd, the kubelet, CNI, volumes, logs, configuration). It is
	// fixed, not temporary, because a real node is machine-wide anyway (port
	// 10250, the kubelet's device-plugin socket, bridge names) and a fixed
	// place lets Start clean up after a process that died without Stop.
	RealNodeRoot = "/var/lib/juliaruntest-node"
	// RealNodeLock is the file whose flock(2) serialises real nodes on a
	// machine: Start waits until no other real node runs. Stop releases the
	// lock but leaves the empty file: removing it would let a process that
	// waits on the removed file run beside one that locks a new one.
	RealNodeLock = "/run/juliaruntest-node.lock"
)

// realNodeState records, outside RealNodeRoot, what a real node changed
// on the machine beyond it (sysctls, directories it created), so that Stop,
// or the next Start after a crash, can put it back.
const realNodeState = "/run/juliaruntest-node.state"

// RealNodeToleration returns the toleration of RealNodeTaintKey that a pod
// needs to run on the real node of a cluster with simulated nodes.
func RealNodeToleration() corev1.Toleration {
	return corev1.Toleration{Key: RealNodeTaintKey, Operator: corev1.TolerationOpEqual, Value: "true", Effect: corev1.TaintEffectNoSchedule}
}

// OnRealNode changes spec so that its pod runs on the real node: it selects
// RealNodeLabel and tolerates RealNodeTaintKey.
func OnRealNode(spec *corev1.PodSpec) {
	if spec.NodeSelector == nil {
		spec.NodeSelector = map[string]string{}
	}
	spec.NodeSelector[RealNodeLabel] = RealNodeLabelValue
	spec.Tolerations = append(spec.Tolerations, RealNodeToleration())
}

// realNode is a running real node: its processes and where they log.
type realNode struct {
	binDir  string // clusterbin.NodeDir
	dir     string // RealNodeRoot
	lock    *os.File
	procs   []*component // in start order
	logsDir string       // the components' logs, in the cluster's directory
	tainted bool
}

// EnsureRealNodeBinaries builds the real node's binaries (kubelet,
// kube-proxy, containerd with its shim and ctr, the CNI plugins, CoreDNS,
// pause) when they are not in the cache yet, about 8 minutes on 2 cores
// after the control plane (EnsureBinaries); progress goes to progress. It
// returns their directory. runc comes from Debian (apt-get install runc).
func EnsureRealNodeBinaries(ctx context.Context, progress io.Writer) (string, error) {
	return clusterbin.EnsureNode(ctx, progress)
}

// RealNodeAvailable returns nil when this process can start a real node:
// it runs as root, the real node's binaries are built, and Debian's runc,
// nft and ip are installed. Otherwise its error says what is missing and
// how to get it.
func RealNodeAvailable() error {
	var problems []string
	if os.Geteuid() != 0 {
		problems = append(problems, "it needs root (network namespaces, bridges, mounts, cgroups)")
	}
	dir, err := clusterbin.Dir()
	if err != nil {
		return err
	}
	if missing := clusterbin.MissingNode(dir); len(missing) > 0 {
		problems = append(problems, fmt.Sprintf("binaries %v are not in %s: run `go run ./hack/clusterbin -realnode` (or ./hack/test.sh)", missing, clusterbin.NodeDir(dir)))
	}
	for _, tool := range []struct{ cmd, pkg string }{{"runc", "runc"}, {"nft", "nftables"}, {"ip", "iproute2"}} {
		if _, err := exec.LookPath(tool.cmd); err != nil {
			problems = append(problems, fmt.Sprintf("%s is not installed: apt-get install %s", tool.cmd, tool.pkg))
		}
	}
	if len(problems) > 0 {
		return errors.New("a real node cannot start here: " + strings.Join(problems, "; "))
	}
	return nil
}

// startRealNode brings up the real node after the control plane:
// containerd, CoreDNS, the kubelet and kube-proxy, on a network of their
// own, and waits until the node is Ready. On error the caller's Stop
// removes whatever was made.
func (c *Cluster) startRealNode(ctx context.Context) error {
	base, err := clusterbin.Dir()
	if err != nil {
		return err
	}
	n := &realNode{
		binDir:  clusterbin.NodeDir(base),
		dir:     RealNodeRoot,
		logsDir: filepath.Join(c.dir, "realnode"),
		tainted: c.opts.simulatedNodes() > 0,
	}
	if err := os.Mkdir(n.logsDir, 0o755); err != nil {
		return err
	}
	lock, err := lockMachine(ctx, RealNodeLock)
	if err != nil {
		return err
	}
	n.lock = lock
	if other := foreignNode(n.binDir); other != "" {
		lock.Close()
		return fmt.Errorf("juliaruntest: this machine runs a Kubernetes node already (%s): a real node would conflict with it", other)
	}
	c.real = n
	// Whatever a real node that died without Stop left behind goes first.
	if err := cleanNode(ctx, n.binDir, n.dir); err != nil {
		return fmt.Errorf("juliaruntest: cleaning up after an earlier real node: %w", err)
	}
	if err := recordMachineState(); err != nil {
		return err
	}
	for _, d := range []string{"", "etc", "volumes"} {
		if err := os.MkdirAll(filepath.Join(n.dir, d), 0o755); err != nil {
			return err
		}
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
	if err := n.setUpNetwork(ctx); err != nil {
		return err
	}
	kubeconfig, err := c.Kubeconfig()
	if err != nil {
		return err
	}
	if err := n.startContainerd(ctx); err != nil {
		return err
	}
	if err := n.importPauseImage(ctx); err != nil {
		return err
	}
	for _, tar := range c.opts.RealNodeImages {
		if err := n.importImage(ctx, tar); err != nil {
			return err
		}
	}
	if err := n.startCoreDNS(ctx, kubeconfig); err != nil {
		return err
	}
	if err := n.startKubelet(ctx, kubeconfig, c.kubeletClientCA); err != nil {
		return err
	}
	if err := n.startKubeProxy(ctx, kubeconfig); err != nil {
		return err
	}
	return c.waitRealNodeReady(ctx)
}

// start starts one of the real node's binaries, logging beside the
// cluster's other logs.
func (n *realNode) start(binary string, args ...string) (*component, error) {
	p, err := startComponent(n.logsDir, filepath.Join(n.binDir, binary), binary, args...)
	if err != nil {
		return nil, err
	}
	n.procs = append(n.procs, p)
	return p, nil
}

// logHint names the real node's log files, for error messages.
func (n *realNode) logHint() string {
	var logs []string
	for _, p := range n.procs {
		logs = append(logs, p.logPath)
	}
	if len(logs) == 0 {
		return ""
	}
	return " (logs: " + strings.Join(logs, ", ") + ")"
}

// stop ends the real node and removes every trace of it: processes,
// containers, mounts, links, nft rules, files and sysctl changes. It goes
// on past errors and returns them all.
func (n *realNode) stop() error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	// The kubelet first, so it restarts no container while they are killed.
	for i := len(n.procs) - 1; i >= 0; i-- {
		if n.procs[i].name != clusterbin.Containerd {
			n.procs[i].stop()
		}
	}
	err := cleanNode(ctx, n.binDir, n.dir)
	for _, p := range n.procs {
		p.stop() // containerd, if cleanNode's kill missed it
	}
	if n.lock != nil {
		n.lock.Close() // releases the flock
	}
	if err != nil {
		return fmt.Errorf("juliaruntest: removing the real node: %w", err)
	}
	return nil
}
