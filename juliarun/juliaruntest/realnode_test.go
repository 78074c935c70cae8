package juliaruntest

import (
	"bytes"
	"context"
	"debug/elf"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"

	"github.com/juliarun/sdk/juliarun/juliaruntest/internal/imagetar"
)

// testImage is a busybox image for the real-node tests: sh, nc, httpd,
// nslookup and friends from Debian's busybox-static (its wget segfaults
// without a libc in the image).
const testImage = "juliaruntest.local/busybox:v1"

// writeTestImage writes testImage's tarball into dir and returns its path.
func writeTestImage(t *testing.T, dir string) string {
	t.Helper()
	busybox, err := exec.LookPath("busybox")
	if err != nil {
		if os.Getenv(RequireEnv) != "" {
			t.Fatalf("real-node test needs Debian's busybox-static: %v", err)
		}
		t.Skipf("SKIPPING REAL-NODE TEST: it needs Debian's busybox-static (apt-get install busybox-static): %v", err)
	}
	if f, err := elf.Open(busybox); err == nil {
		for _, prog := range f.Progs {
			if prog.Type == elf.PT_INTERP {
				t.Fatalf("%s is dynamically linked: install busybox-static", busybox)
			}
		}
		f.Close()
	}
	files := []imagetar.File{
		{Path: "bin", Dir: true},
		{Path: "tmp", Dir: true, Mode: 0o1777},
		{Path: "bin/busybox", Source: busybox, Mode: 0o755},
	}
	for _, applet := range []string{"sh", "nc", "httpd", "nslookup", "sleep", "cat", "echo", "dd", "id",
		"ls", "mkdir", "hostname", "env", "true", "false", "touch", "rm", "grep", "stat", "test", "["} {
		files = append(files, imagetar.File{Path: "bin/" + applet, Link: "busybox"})
	}
	path := filepath.Join(dir, "busybox.tar")
	if err := imagetar.Write(path, testImage, files, imagetar.Config{
		Entrypoint: []string{"/bin/sh"}, Env: []string{"PATH=/bin"}, User: "1000:1000",
	}); err != nil {
		t.Fatal(err)
	}
	return path
}

// restrictedNamespace creates a namespace that enforces Pod Security
// "restricted", as the SDK's users' namespaces may.
func restrictedNamespace(t *testing.T, cs kubernetes.Interface, name string) {
	t.Helper()
	_, err := cs.CoreV1().Namespaces().Create(t.Context(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{
		Name:   name,
		Labels: map[string]string{"pod-security.kubernetes.io/enforce": "restricted"},
	}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
}

// realPod is a pod of testImage running script under sh, as uid 1000, that
// Pod Security "restricted" admits, placed on the real node.
func realPod(name, script string, labels map[string]string) *corev1.Pod {
	yes, no := true, false
	uid := int64(1000)
	grace := int64(1)
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels},
		Spec: corev1.PodSpec{
			RestartPolicy:                 corev1.RestartPolicyNever,
			TerminationGracePeriodSeconds: &grace,
			SecurityContext: &corev1.PodSecurityContext{
				RunAsNonRoot: &yes, RunAsUser: &uid, RunAsGroup: &uid,
				SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
			},
			Containers: []corev1.Container{{
				Name: "main", Image: testImage, Command: []string{"/bin/sh", "-c", script},
				SecurityContext: &corev1.SecurityContext{
					AllowPrivilegeEscalation: &no,
					Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
				},
			}},
		},
	}
	OnRealNode(&p.Spec)
	return p
}

// createPod creates p in ns and waits until cond holds of it.
func createPod(t *testing.T, cs kubernetes.Interface, ns string, p *corev1.Pod, what string, cond func(*corev1.Pod) bool) *corev1.Pod {
	t.Helper()
	if _, err := cs.CoreV1().Pods(ns).Create(t.Context(), p, metav1.CreateOptions{}); err != nil {
		t.Fatalf("creating pod %s: %v", p.Name, err)
	}
	return waitPod(t, cs, ns, p.Name, what, cond)
}

func waitPod(t *testing.T, cs kubernetes.Interface, ns, name, what string, cond func(*corev1.Pod) bool) *corev1.Pod {
	t.Helper()
	var last *corev1.Pod
	err := wait.PollUntilContextTimeout(t.Context(), 100*time.Millisecond, 90*time.Second, true, func(ctx context.Context) (bool, error) {
		p, err := cs.CoreV1().Pods(ns).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return false, nil
		}
		last = p
		return cond(p), nil
	})
	if err != nil {
		t.Fatalf("pod %s/%s never %s: %v\nlast status: %+v", ns, name, what, err, last.Status)
	}
	return last
}

func podRunning(p *corev1.Pod) bool { return p.Status.Phase == corev1.PodRunning && podIsReady(p) }
func podDone(p *corev1.Pod) bool {
	return p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed
}

func podIsReady(p *corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// kubectl runs the cluster's kubectl with its admin kubeconfig.
func kubectl(t *testing.T, c *Cluster, args ...string) (string, error) {
	t.Helper()
	kc, err := c.Kubeconfig()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(c.BinaryDir(), "kubectl"), append([]string{"--kubeconfig", kc}, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return string(out), fmt.Errorf("kubectl %s: %w: %s", strings.Join(args, " "), err, stderr.String())
	}
	return string(out), nil
}

// TestRealNode runs real containers on a real node beside a kwok node, in
// a namespace that enforces Pod Security "restricted", and checks what a
// user of the cluster gets: volumes, logs, exec, Services, DNS, exit codes.
func TestRealNode(t *testing.T) {
	SkipIfNoRealNode(t)
	tmp := privateTempDir(t)
	image := writeTestImage(t, t.TempDir())
	// Registered before StartForTest's Stop, so it runs after it: whatever
	// the subtests made (pods, Services, a hostPort, an OOM kill) is gone.
	before := snapshotMachine(t, tmp)
	t.Cleanup(func() {
		if traces := nodeTraces(t); len(traces) > 0 {
			t.Errorf("after Stop the real node left:\n%s", strings.Join(traces, "\n"))
		}
		if diff := cmp.Diff(before, snapshotMachine(t, tmp)); diff != "" {
			t.Errorf("after Stop the machine differs from before Start (-before +after):\n%s", diff)
		}
	})
	start := time.Now()
	c := StartForTest(t, Options{Nodes: 1, RealNodes: 1, RealNodeImages: []string{image}})
	t.Logf("cluster with a real node Ready in %s", time.Since(start).Round(10*time.Millisecond))
	cs := clientset(t, c)
	const ns = "real"
	restrictedNamespace(t, cs, ns)

	t.Run("NodeReadyLabelledAndTainted", func(t *testing.T) {
		n, err := cs.CoreV1().Nodes().Get(t.Context(), RealNodeName, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if !nodeReady(n) {
			t.Errorf("node %s not Ready: %+v", n.Name, n.Status.Conditions)
		}
		if n.Labels[RealNodeLabel] != RealNodeLabelValue {
			t.Errorf("labels %v, want %s=%s", n.Labels, RealNodeLabel, RealNodeLabelValue)
		}
		if diff := cmp.Diff([]corev1.Taint{realNodeTaint()}, n.Spec.Taints, cmpopts.IgnoreFields(corev1.Taint{}, "TimeAdded")); diff != "" {
			t.Errorf("taints (-want +got):\n%s", diff)
		}
		if n.Status.NodeInfo.ContainerRuntimeVersion == "" || !strings.HasPrefix(n.Status.NodeInfo.ContainerRuntimeVersion, "containerd://") {
			t.Errorf("runtime %q, want containerd", n.Status.NodeInfo.ContainerRuntimeVersion)
		}
		// A pod that does not ask for the real node goes to the kwok node.
		plain := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "plain"}, Spec: corev1.PodSpec{
			Containers: []corev1.Container{{Name: "c", Image: "julia"}}}}
		if _, err := cs.CoreV1().Pods("default").Create(t.Context(), plain, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		got := waitPod(t, cs, "default", "plain", "scheduled", func(p *corev1.Pod) bool { return p.Spec.NodeName != "" })
		if got.Spec.NodeName != NodeName(0) {
			t.Errorf("a pod without toleration went to %s, want %s", got.Spec.NodeName, NodeName(0))
		}
	})

	t.Run("VolumeWritableByUID1000", func(t *testing.T) {
		if err := c.CreateVolume(t.Context(), ns, "runvol", "1Gi"); err != nil {
			t.Fatal(err)
		}
		host := c.VolumePath(ns, "runvol")
		if err := os.WriteFile(filepath.Join(host, "in.txt"), []byte("from the host\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		p := realPod("writer", `id -u > /mnt/run/out.txt && cat /mnt/run/in.txt >> /mnt/run/out.txt`, nil)
		p.Spec.Volumes = []corev1.Volume{{Name: "run", VolumeSource: corev1.VolumeSource{
			PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: "runvol"}}}}
		p.Spec.Containers[0].VolumeMounts = []corev1.VolumeMount{{Name: "run", MountPath: "/mnt/run"}}
		created := time.Now()
		got := createPod(t, cs, ns, p, "done", podDone)
		t.Logf("pod create → done in %s", time.Since(created).Round(10*time.Millisecond))
		if got.Status.Phase != corev1.PodSucceeded {
			t.Fatalf("writer pod %s: %+v", got.Status.Phase, got.Status.ContainerStatuses)
		}
		data, err := os.ReadFile(filepath.Join(host, "out.txt"))
		if err != nil {
			t.Fatal(err)
		}
		if want := "1000\nfrom the host\n"; string(data) != want {
			t.Errorf("the pod wrote %q, want %q", data, want)
		}
	})

	t.Run("LogsAndExec", func(t *testing.T) {
		created := time.Now()
		createPod(t, cs, ns, realPod("talker", `echo line one; echo line two >&2; exec sleep 3600`, nil), "running", podRunning)
		t.Logf("pod create → Running and Ready in %s", time.Since(created).Round(10*time.Millisecond))
		var logs string
		err := wait.PollUntilContextTimeout(t.Context(), 100*time.Millisecond, 10*time.Second, true, func(ctx context.Context) (bool, error) {
			rc, err := cs.CoreV1().Pods(ns).GetLogs("talker", &corev1.PodLogOptions{}).Stream(ctx)
			if err != nil {
				return false, nil
			}
			defer rc.Close()
			data, _ := io.ReadAll(rc)
			logs = string(data)
			return strings.Contains(logs, "line two"), nil
		})
		// stdout and stderr are two pipes: their order in the log may differ.
		lines := strings.Split(strings.TrimSpace(logs), "\n")
		sort.Strings(lines)
		if err != nil || !cmp.Equal(lines, []string{"line one", "line two"}) {
			t.Errorf("logs through the API server: %q (%v), want both lines", logs, err)
		}
		out, err := kubectl(t, c, "-n", ns, "exec", "talker", "--", "sh", "-c", "id -u; echo $((6*7))")
		if err != nil || out != "1000\n42\n" {
			t.Errorf("kubectl exec: %q, %v; want uid 1000 and 42", out, err)
		}
		_, err = kubectl(t, c, "-n", ns, "exec", "talker", "--", "sh", "-c", "exit 5")
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 5 {
			t.Errorf("kubectl exec of exit 5: %v, want exit code 5", err)
		}
	})

	t.Run("ServiceAndHeadlessDNS", func(t *testing.T) {
		labels := map[string]string{"app": "web"}
		for _, name := range []string{"web-0", "web-1"} {
			script := `mkdir -p /tmp/www && hostname > /tmp/www/index.html && exec httpd -f -p 8080 -h /tmp/www`
			createPod(t, cs, ns, realPod(name, script, labels), "running", podRunning)
		}
		for _, svc := range []*corev1.Service{
			{ObjectMeta: metav1.ObjectMeta{Name: "web"}, Spec: corev1.ServiceSpec{Selector: labels,
				Ports: []corev1.ServicePort{{Port: 80, TargetPort: intstr.FromInt32(8080)}}}},
			{ObjectMeta: metav1.ObjectMeta{Name: "web-headless"}, Spec: corev1.ServiceSpec{Selector: labels, ClusterIP: corev1.ClusterIPNone,
				Ports: []corev1.ServicePort{{Port: 8080}}}},
		} {
			if _, err := cs.CoreV1().Services(ns).Create(t.Context(), svc, metav1.CreateOptions{}); err != nil {
				t.Fatal(err)
			}
		}
		createPod(t, cs, ns, realPod("client", `exec sleep 3600`, nil), "running", podRunning)

		// The Service's name resolves through CoreDNS to its ClusterIP.
		// (Debian's static busybox wget segfaults in an image without a
		// libc, even on an address: HTTP goes through nc.)
		svc, err := cs.CoreV1().Services(ns).Get(t.Context(), "web", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		out, err := kubectl(t, c, "-n", ns, "exec", "client", "--", "nslookup", "web."+ns+".svc.cluster.local")
		if got := addressesIn(out, "10.0.0.0/24"); err != nil || !cmp.Equal(got, []string{svc.Spec.ClusterIP}) {
			t.Errorf("web.%s.svc.cluster.local resolves to %v (%v), want the ClusterIP %s\n%s", ns, got, err, svc.Spec.ClusterIP, out)
		}
		// Through kube-proxy's ClusterIP both backends answer, each with
		// its own name.
		seen := map[string]bool{}
		var lastErr error
		err = wait.PollUntilContextTimeout(t.Context(), 200*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
			out, err := kubectl(t, c, "-n", ns, "exec", "client", "--", "sh", "-c",
				`printf 'GET / HTTP/1.0\r\n\r\n' | nc -w 2 `+svc.Spec.ClusterIP+` 80`)
			if err == nil {
				lines := strings.Split(strings.TrimSpace(out), "\n")
				seen[strings.TrimSpace(lines[len(lines)-1])] = true
			}
			lastErr = err
			return seen["web-0"] && seen["web-1"], nil
		})
		if err != nil {
			t.Errorf("GET through the ClusterIP Service reached %v, want web-0 and web-1 (last error: %v)", seen, lastErr)
		}

		// Hairpin: a backend reaches itself through its own Service.
		err = wait.PollUntilContextTimeout(t.Context(), 200*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
			out, err := kubectl(t, c, "-n", ns, "exec", "web-0", "--", "sh", "-c",
				`printf 'GET / HTTP/1.0\r\n\r\n' | nc -w 2 `+svc.Spec.ClusterIP+` 80`)
			lastErr = err
			return err == nil && strings.HasSuffix(strings.TrimSpace(out), "web-0"), nil
		})
		if err != nil {
			t.Errorf("web-0 never reached itself through its Service (hairpin): %v", lastErr)
		}

		// Headless: CoreDNS answers with exactly the ready pods' addresses.
		var want []string
		for _, name := range []string{"web-0", "web-1"} {
			p, err := cs.CoreV1().Pods(ns).Get(t.Context(), name, metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			want = append(want, p.Status.PodIP)
		}
		sort.Strings(want)
		var got []string
		err = wait.PollUntilContextTimeout(t.Context(), 200*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
			out, err := kubectl(t, c, "-n", ns, "exec", "client", "--", "nslookup", "web-headless."+ns+".svc.cluster.local")
			if err != nil {
				return false, nil
			}
			got = addressesIn(out, RealNodePodCIDR)
			return cmp.Equal(want, got), nil
		})
		if err != nil {
			t.Errorf("headless Service resolves to %v, want the ready pods' %v", got, want)
		}
	})

	t.Run("SecondRealNodeWaitsForTheFirst", func(t *testing.T) {
		// The second Start fails and keeps its directory for its logs:
		// in the subtest's own TMPDIR, it goes with the subtest.
		privateTempDir(t)
		createPod(t, cs, ns, realPod("survivor", `exec sleep 3600`, nil), "running", podRunning)
		ctx, cancel := context.WithTimeout(t.Context(), 15*time.Second)
		defer cancel()
		second, err := Start(ctx, Options{RealNodes: 1})
		if err == nil {
			_ = second.Stop()
			t.Fatal("a second real node started while the first runs")
		}
		if !strings.Contains(err.Error(), RealNodeLock) || !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("second Start: %v, want it to have waited for %s until its context ended", err, RealNodeLock)
		}
		// The first node was not disturbed: still Ready, its pod still runs.
		n, err := cs.CoreV1().Nodes().Get(t.Context(), RealNodeName, metav1.GetOptions{})
		if err != nil || !nodeReady(n) {
			t.Errorf("first real node after the second Start: %v, Ready=%v", err, err == nil && nodeReady(n))
		}
		out, err := kubectl(t, c, "-n", ns, "exec", "survivor", "--", "echo", "alive")
		if err != nil || out != "alive\n" {
			t.Errorf("exec in the first node's pod after the second Start: %q, %v", out, err)
		}
	})

	t.Run("HostPort", func(t *testing.T) {
		p := realPod("hostport", `mkdir -p /tmp/www && echo via-hostport > /tmp/www/index.html && exec httpd -f -p 8080 -h /tmp/www`, nil)
		p.Spec.Containers[0].Ports = []corev1.ContainerPort{{ContainerPort: 8080, HostPort: 18080}}
		// "restricted" forbids host ports: the default namespace admits them.
		createPod(t, cs, "default", p, "running", podRunning)
		// From this machine to the node's own address: portmap's DNAT.
		var body string
		err := wait.PollUntilContextTimeout(t.Context(), 200*time.Millisecond, 20*time.Second, true, func(ctx context.Context) (bool, error) {
			conn, err := net.DialTimeout("tcp", net.JoinHostPort(RealNodeIP, "18080"), 2*time.Second)
			if err != nil {
				return false, nil
			}
			defer conn.Close()
			_ = conn.SetDeadline(time.Now().Add(2 * time.Second))
			if _, err := io.WriteString(conn, "GET / HTTP/1.0\r\n\r\n"); err != nil {
				return false, nil
			}
			data, _ := io.ReadAll(conn)
			body = string(data)
			return strings.HasSuffix(strings.TrimSpace(body), "via-hostport"), nil
		})
		if err != nil {
			t.Errorf("GET %s:18080 (the pod's hostPort): %q", RealNodeIP, body)
		}
	})

	t.Run("ExecReadinessProbe", func(t *testing.T) {
		p := realPod("probed", `exec sleep 3600`, nil)
		p.Spec.Containers[0].ReadinessProbe = &corev1.Probe{
			ProbeHandler:  corev1.ProbeHandler{Exec: &corev1.ExecAction{Command: []string{"test", "-f", "/tmp/ready"}}},
			PeriodSeconds: 1,
		}
		createPod(t, cs, ns, p, "started", func(p *corev1.Pod) bool {
			return p.Status.Phase == corev1.PodRunning && len(p.Status.ContainerStatuses) > 0 && p.Status.ContainerStatuses[0].Started != nil && *p.Status.ContainerStatuses[0].Started
		})
		time.Sleep(2 * time.Second) // two probe periods
		got, err := cs.CoreV1().Pods(ns).Get(t.Context(), "probed", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if podIsReady(got) {
			t.Fatal("Ready before its probe can succeed")
		}
		if _, err := kubectl(t, c, "-n", ns, "exec", "probed", "--", "touch", "/tmp/ready"); err != nil {
			t.Fatal(err)
		}
		waitPod(t, cs, ns, "probed", "Ready after its probe succeeds", podIsReady)
	})

	t.Run("ExitCodeAndOOMKilled", func(t *testing.T) {
		got := createPod(t, cs, ns, realPod("exit3", `exit 3`, nil), "done", podDone)
		if term := terminated(got); got.Status.Phase != corev1.PodFailed || term == nil || term.ExitCode != 3 {
			t.Errorf("exit 3: phase %s, terminated %+v; want Failed with exit code 3", got.Status.Phase, term)
		}
		crash := realPod("crash", `exit 2`, nil)
		crash.Spec.RestartPolicy = corev1.RestartPolicyAlways
		got = createPod(t, cs, ns, crash, "restarted", func(p *corev1.Pod) bool {
			return len(p.Status.ContainerStatuses) > 0 && p.Status.ContainerStatuses[0].RestartCount > 0
		})
		if last := got.Status.ContainerStatuses[0].LastTerminationState.Terminated; last == nil || last.ExitCode != 2 {
			t.Errorf("restarted container's last state %+v, want exit code 2", last)
		}
		// KillContainer: every process at once, PID 1 with no chance to
		// run its SIGTERM trap, as a cgroup v2 group OOM kill.
		got = createPod(t, cs, ns, realPod("killed", `trap 'echo trapped; exit 0' TERM; echo started; sleep 3600 & wait`, nil), "running", podRunning)
		if err := c.KillContainer(t.Context(), ns, "killed", got.Spec.Containers[0].Name); err != nil {
			t.Fatal(err)
		}
		got = waitPod(t, cs, ns, "killed", "done", podDone)
		if term := terminated(got); got.Status.Phase != corev1.PodFailed || term == nil || term.ExitCode != 137 {
			t.Errorf("KillContainer: phase %s, terminated %+v; want Failed with exit code 137", got.Status.Phase, term)
		}
		if out, err := kubectl(t, c, "-n", ns, "logs", "killed"); err != nil || out != "started\n" {
			t.Errorf("KillContainer: the container printed %q (%v), want only \"started\": no trap may run", out, err)
		}
		if err := c.KillContainer(t.Context(), ns, "killed", got.Spec.Containers[0].Name); err == nil {
			t.Error("KillContainer of a container that is not running: no error")
		}
		p := realPod("oom", `exec dd if=/dev/zero of=/dev/null bs=64M count=1`, nil)
		p.Spec.Containers[0].Resources.Limits = corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("16Mi")}
		got = createPod(t, cs, ns, p, "done", podDone)
		if term := terminated(got); term == nil || term.Reason != "OOMKilled" || term.ExitCode != 137 {
			t.Errorf("64M under a 16Mi limit: terminated %+v, want OOMKilled with exit code 137", term)
		}
	})
}

func terminated(p *corev1.Pod) *corev1.ContainerStateTerminated {
	if len(p.Status.ContainerStatuses) == 0 {
		return nil
	}
	return p.Status.ContainerStatuses[0].State.Terminated
}

// addressesIn returns the addresses within cidr in nslookup's output,
// sorted (the DNS server's own address, RealNodeIP, is in neither the pod
// nor the Service range).
func addressesIn(out, cidr string) []string {
	_, r, _ := net.ParseCIDR(cidr)
	var ips []string
	for _, f := range strings.Fields(out) {
		if ip := net.ParseIP(f); ip != nil && r.Contains(ip) {
			ips = append(ips, f)
		}
	}
	sort.Strings(ips)
	return ips
}

// TestRealNodeOptionsRefused: options a real node cannot honour fail
// before anything starts.
func TestRealNodeOptionsRefused(t *testing.T) {
	SkipIfUnavailable(t)
	for name, opts := range map[string]Options{
		"two real nodes":           {RealNodes: 2},
		"negative":                 {RealNodes: -1},
		"images without real node": {Nodes: 1, RealNodeImages: []string{"/dev/null"}},
		"missing image":            {RealNodes: 1, RealNodeImages: []string{"/nonexistent/image.tar"}},
	} {
		if name == "missing image" && RealNodeAvailable() != nil {
			continue // refused for the missing root or binaries instead
		}
		start := time.Now()
		c, err := Start(t.Context(), opts)
		if err == nil {
			_ = c.Stop()
			t.Errorf("%s: Start succeeded", name)
			continue
		}
		if d := time.Since(start); d > time.Second {
			t.Errorf("%s: refused after %s: something was started first", name, d)
		}
		if !strings.Contains(err.Error(), "RealNode") {
			t.Errorf("%s: error %q does not name the option", name, err)
		}
	}
}
