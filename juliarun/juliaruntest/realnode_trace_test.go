package juliaruntest

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"

	"github.com/juliarun/sdk/internal/clusterbin"
)

// machineSnapshot is what a real node may change on the machine and must
// put back: links, named network namespaces, the nft ruleset (iptables-nft
// chains included), sysctls, and the entries of the system directories it
// writes to and of the test's temporary directory (privateTempDir).
type machineSnapshot struct {
	Links   []string
	Netns   string
	Ruleset string
	Sysctls map[string]string
	Dirs    map[string][]string
}

// privateTempDir points TMPDIR, for the rest of the test, at a new
// directory of the test's own, and returns it. A cluster's directory and
// envtest's go there: what a cluster leaves behind is seen in it (/tmp
// itself changes as other packages' tests run), and what a failed Start
// keeps for its logs goes with the test. Not for parallel tests (t.Setenv).
func privateTempDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	t.Setenv("TMPDIR", dir)
	return dir
}

// snapshotMachine returns the machine's state, with the entries of tmp, a
// directory of privateTempDir.
func snapshotMachine(t *testing.T, tmp string) machineSnapshot {
	t.Helper()
	s := machineSnapshot{Sysctls: map[string]string{}, Dirs: map[string][]string{}}
	out, err := exec.Command("ip", "-o", "link", "show").Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if f := strings.Fields(line); len(f) > 1 {
			s.Links = append(s.Links, strings.TrimSuffix(f[1], ":"))
		}
	}
	netns, _ := exec.Command("ip", "netns", "list").Output()
	s.Netns = string(netns)
	rules, err := exec.Command("nft", "list", "ruleset").Output()
	if err != nil {
		t.Fatal(err)
	}
	s.Ruleset = string(rules)
	// Those the node restores, and those it must not touch at all
	// (kube-proxy's conntrack settings are 0 for that; route_localnet is
	// what kube-proxy's iptables mode would set; bridge-nf-call-iptables
	// is what ClusterIP replies on the pod bridge rely on).
	untouched := []string{
		"net/netfilter/nf_conntrack_max", "net/netfilter/nf_conntrack_tcp_timeout_established",
		"net/netfilter/nf_conntrack_tcp_timeout_close_wait", "net/netfilter/nf_conntrack_tcp_be_liberal",
		"net/ipv4/conf/all/route_localnet", "net/bridge/bridge-nf-call-iptables", "net/ipv4/conf/all/forwarding",
	}
	for _, k := range append(touchedSysctls(), untouched...) {
		if data, err := os.ReadFile(filepath.Join("/proc/sys", k)); err == nil {
			s.Sysctls[k] = strings.TrimSpace(string(data))
		}
	}
	for _, d := range []string{"/var/lib", "/var/log", "/run", "/etc", "/opt", tmp} {
		entries, _ := os.ReadDir(d)
		for _, e := range entries {
			if p := filepath.Join(d, e.Name()); p != RealNodeLock {
				s.Dirs[d] = append(s.Dirs[d], e.Name())
			}
		}
		sort.Strings(s.Dirs[d])
	}
	return s
}

// nodeTraces returns what of a real node is on the machine now, by
// looking at the machine itself: processes naming its directories or its
// binaries, or in a pod's cgroup; mounts under RealNodeRoot; pod
// cgroups (the node's, or any kubepods); RealNodeRoot itself; and links named like its bridges or veths
// on them.
func nodeTraces(t *testing.T) []string {
	t.Helper()
	base, err := clusterbin.Dir()
	if err != nil {
		t.Fatal(err)
	}
	nodeBin := clusterbin.NodeDir(base)
	var traces []string
	procs, _ := filepath.Glob("/proc/[0-9]*")
	for _, p := range procs {
		if p == "/proc/"+strconv.Itoa(os.Getpid()) {
			continue
		}
		stat, _ := os.ReadFile(p + "/stat")
		if len(stat) == 0 || zombie(stat) {
			continue
		}
		cmdline, _ := os.ReadFile(p + "/cmdline")
		cgroup, _ := os.ReadFile(p + "/cgroup")
		cmd := strings.ReplaceAll(string(cmdline), "\x00", " ")
		if strings.Contains(cmd, RealNodeRoot) || strings.Contains(cmd, nodeBin) || strings.Contains(string(cgroup), "kubepods") || strings.Contains(string(cgroup), "/"+realNodeCgroup) {
			traces = append(traces, "process "+p+": "+cmd)
		}
	}
	mountinfo, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(mountinfo), "\n") {
		if strings.Contains(line, " "+RealNodeRoot) {
			traces = append(traces, "mount: "+line)
		}
	}
	cgroups, _ := filepath.Glob("/sys/fs/cgroup/*/kubepods")
	ours, _ := filepath.Glob("/sys/fs/cgroup/*/" + realNodeCgroup)
	for _, c := range append(cgroups, ours...) {
		traces = append(traces, "cgroup "+c)
	}
	if _, err := os.Lstat(RealNodeRoot); err == nil {
		traces = append(traces, "directory "+RealNodeRoot)
	}
	if _, err := os.Lstat(realNodeState); err == nil {
		traces = append(traces, "file "+realNodeState)
	}
	out, _ := exec.Command("ip", "-o", "link", "show").Output()
	for _, line := range strings.Split(string(out), "\n") {
		if strings.Contains(line, "jrt-") || strings.Contains(line, "veth") {
			traces = append(traces, "link: "+line)
		}
	}
	return traces
}

// TestRealNodeStopLeavesNoTrace runs a real node as a cluster's only
// node (untainted: a pod that asks for nothing runs there), with a pod
// that has a volume, a network and a cgroup, then stops the cluster and
// finds the machine as it was before.
func TestRealNodeStopLeavesNoTrace(t *testing.T) {
	SkipIfNoRealNode(t)
	tmp := privateTempDir(t)
	image := writeTestImage(t, t.TempDir())
	before := snapshotMachine(t, tmp)
	c, err := Start(t.Context(), Options{RealNodes: 1, RealNodeImages: []string{image}})
	if err != nil {
		t.Fatal(err)
	}
	stopped := false
	defer func() {
		if !stopped {
			_ = c.Stop()
		}
	}()
	cs := clientset(t, c)
	if err := c.CreateVolume(t.Context(), "default", "vol", "1Gi"); err != nil {
		t.Fatal(err)
	}
	p := realPod("alone", `echo hi > /mnt/v/hi; trap 'exit 0' TERM; sleep 3600 & wait`, nil)
	grace := int64(30)
	p.Spec.TerminationGracePeriodSeconds = &grace
	p.Spec.NodeSelector, p.Spec.Tolerations = nil, nil // the only node: no need to ask for it
	p.Spec.Volumes = []corev1.Volume{{Name: "v", VolumeSource: corev1.VolumeSource{
		PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: "vol"}}}}
	p.Spec.Containers[0].VolumeMounts = []corev1.VolumeMount{{Name: "v", MountPath: "/mnt/v"}}
	got := createPod(t, cs, "default", p, "running", podRunning)
	if got.Spec.NodeName != RealNodeName {
		t.Fatalf("pod on %q, want %s", got.Spec.NodeName, RealNodeName)
	}
	// The traces the check below must not find exist now: the check is
	// not vacuous.
	during := nodeTraces(t)
	for _, want := range []string{"process", "mount", "cgroup", "directory", "link"} {
		found := false
		for _, tr := range during {
			found = found || strings.HasPrefix(tr, want)
		}
		if !found {
			t.Errorf("while the node runs, no %s of it is found: the no-trace check would prove nothing\n%s", want, strings.Join(during, "\n"))
		}
	}
	// Pods' cgroups are under the node's own root, never beside another
	// runtime's.
	if pods, _ := filepath.Glob("/sys/fs/cgroup/memory/" + realNodeCgroup + "/kubepods/*/pod*"); len(pods) == 0 {
		t.Errorf("no pod cgroup under /sys/fs/cgroup/memory/%s/kubepods while a pod runs", realNodeCgroup)
	}
	if now := snapshotMachine(t, tmp); now.Ruleset == before.Ruleset {
		t.Error("while the node runs, the nft ruleset is unchanged: the no-trace check would prove nothing")
	}

	// Deleting the pod, whose shell handles SIGTERM, takes no grace
	// period and leaves no container, sandbox or mount on the node.
	residue, err := c.RealNodeResidue(t.Context())
	if err != nil || len(residue) == 0 {
		t.Errorf("RealNodeResidue of a running pod: %v, %v; want its containers and mounts", residue, err)
	}
	deleted := time.Now()
	if err := cs.CoreV1().Pods("default").Delete(t.Context(), "alone", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	err = wait.PollUntilContextTimeout(t.Context(), 100*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		_, err := cs.CoreV1().Pods("default").Get(ctx, "alone", metav1.GetOptions{})
		return apierrors.IsNotFound(err), nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Since(deleted); d > 10*time.Second {
		t.Errorf("deleting a pod that exits on SIGTERM took %s: it waited out its grace period", d)
	}
	t.Logf("pod delete → gone in %s", time.Since(deleted).Round(10*time.Millisecond))
	err = wait.PollUntilContextTimeout(t.Context(), 200*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
		residue, err = c.RealNodeResidue(ctx)
		return err == nil && len(residue) == 0, nil
	})
	if err != nil {
		t.Errorf("after the pod is gone, the node still has %v", residue)
	}
	if data, err := os.ReadFile(filepath.Join(c.VolumePath("default", "vol"), "hi")); err != nil || string(data) != "hi\n" {
		t.Errorf("the volume after the pod is gone: %q, %v; want what the pod wrote", data, err)
	}

	start := time.Now()
	stopped = true
	if err := c.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	t.Logf("Stop took %s", time.Since(start).Round(10*time.Millisecond))
	if traces := nodeTraces(t); len(traces) > 0 {
		t.Errorf("after Stop the real node left:\n%s", strings.Join(traces, "\n"))
	}
	if diff := cmp.Diff(before, snapshotMachine(t, tmp)); diff != "" {
		t.Errorf("after Stop the machine differs from before Start (-before +after):\n%s", diff)
	}
}

// TestRealNodeFailedStartLeavesNoTrace makes Start fail halfway (an image
// tarball containerd refuses, after the network and containerd are up)
// and finds the machine as it was before.
func TestRealNodeFailedStartLeavesNoTrace(t *testing.T) {
	SkipIfNoRealNode(t)
	tmp := privateTempDir(t)
	bad := filepath.Join(t.TempDir(), "broken.tar")
	if err := os.WriteFile(bad, []byte("not a tarball"), 0o644); err != nil {
		t.Fatal(err)
	}
	before := snapshotMachine(t, tmp)
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	c, err := Start(ctx, Options{Nodes: 1, RealNodes: 1, RealNodeImages: []string{bad}})
	if err == nil {
		_ = c.Stop()
		t.Fatal("Start with a broken image tarball succeeded")
	}
	if !strings.Contains(err.Error(), "broken.tar") || !strings.Contains(err.Error(), "containerd.log") {
		t.Errorf("Start's error %q names neither the tarball nor containerd's log", err)
	}
	if traces := nodeTraces(t); len(traces) > 0 {
		t.Errorf("after a failed Start the real node left:\n%s", strings.Join(traces, "\n"))
	}
	// A failed Start keeps its cluster's directory, and only that, for the
	// logs its error names; tmp's cleanup removes it.
	kept, _ := filepath.Glob(filepath.Join(tmp, "juliaruntest-*"))
	if len(kept) != 1 || !strings.Contains(err.Error(), kept[0]) {
		t.Errorf("after a failed Start %s holds %v, want the one directory of the logs its error %q names", tmp, kept, err)
	}
	for _, d := range kept {
		if err := os.RemoveAll(d); err != nil {
			t.Fatal(err)
		}
	}
	if diff := cmp.Diff(before, snapshotMachine(t, tmp)); diff != "" {
		t.Errorf("after a failed Start the machine differs (-before +after):\n%s", diff)
	}
}

// crashHelperEnv, set to an image tarball, makes
// TestRealNodeCleansUpAfterACrash, run as a child process, start a real
// node with a running pod of that image and exit without Stop, as a test
// binary killed by go test's timeout does. The parent writes the image: the
// child's own t.TempDir would outlive its os.Exit.
const crashHelperEnv = "JULIARUNTEST_REAL_NODE_CRASH_HELPER"

// TestRealNodeCleansUpAfterACrash lets a process die with a real node
// running (its pods' shims and containers outlive it, with their mounts,
// links and nft rules), then checks that the next Start cleans up what it
// left, runs, and that its Stop leaves the machine as it was before the
// crash.
func TestRealNodeCleansUpAfterACrash(t *testing.T) {
	SkipIfNoRealNode(t)
	if image := os.Getenv(crashHelperEnv); image != "" {
		c, err := Start(t.Context(), Options{RealNodes: 1, RealNodeImages: []string{image}})
		if err != nil {
			t.Fatal(err)
		}
		p := realPod("orphan", `exec sleep 3600`, nil)
		p.Spec.NodeSelector, p.Spec.Tolerations = nil, nil
		createPod(t, clientset(t, c), "default", p, "running", podRunning)
		// What a crash leaves of the real node is the point; envtest's
		// etcd and API server would outlive this process too (they are
		// not tied to it), so they go.
		_ = c.env.Stop()
		_ = os.RemoveAll(c.dir)
		os.Exit(0) // no Stop: the node's components die with the process, its containers do not
	}
	// The child inherits TMPDIR: what it leaves there is seen, and goes.
	tmp := privateTempDir(t)
	image := writeTestImage(t, t.TempDir())
	before := snapshotMachine(t, tmp)
	child := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^TestRealNodeCleansUpAfterACrash$", "-test.v")
	child.Env = append(os.Environ(), crashHelperEnv+"="+image)
	if out, err := child.CombinedOutput(); err != nil {
		t.Fatalf("the crashing child: %v\n%s", err, out)
	}
	left := strings.Join(nodeTraces(t), "\n")
	if !strings.Contains(left, "process") || !strings.Contains(left, "mount") {
		t.Fatalf("the crashed node left no processes or mounts, so this test proves nothing:\n%s", left)
	}
	c, err := Start(t.Context(), Options{RealNodes: 1})
	if err != nil {
		t.Fatalf("Start after a crash: %v", err)
	}
	if err := c.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if traces := nodeTraces(t); len(traces) > 0 {
		t.Errorf("after Start and Stop following a crash:\n%s", strings.Join(traces, "\n"))
	}
	if diff := cmp.Diff(before, snapshotMachine(t, tmp)); diff != "" {
		t.Errorf("after Start and Stop following a crash the machine differs from before it (-before +after):\n%s", diff)
	}
}
