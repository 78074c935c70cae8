package juliarun_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/utils/ptr"

	"github.com/juliarun/sdk/bundles"
	"github.com/juliarun/sdk/internal/nodeimages"
	"github.com/juliarun/sdk/internal/render"
	"github.com/juliarun/sdk/internal/scripts"
	"github.com/juliarun/sdk/jobs"
	"github.com/juliarun/sdk/juliarun"
	"github.com/juliarun/sdk/juliarun/juliaruntest"
	"github.com/juliarun/sdk/resources"
)

// The tests in this file run every job type's containers on a real node
// (kubelet, containerd, runc, CNI, kube-proxy, CoreDNS) with the local
// images of internal/nodeimages, and check what a user gets: files a
// script wrote, exit codes in Status, DNS answers, an HTTP page through a
// Service, a notebook login, a message queue that keeps its queues. The
// julia in those images is a stand-in, not Julia (docs/IMAGES.md): what is
// real is everything around it.

// realNode is the one cluster with a real node that this package's tests
// share (one real node per machine).
var realNode struct {
	once    sync.Once
	cluster *juliaruntest.Cluster
	images  []nodeimages.Image
	err     error
}

func realNodeCluster(t *testing.T) *juliaruntest.Cluster {
	t.Helper()
	juliaruntest.SkipIfNoRealNode(t)
	realNode.once.Do(func() {
		_, imgs, err := nodeimages.Available()
		if err != nil {
			realNode.err = err
			return
		}
		var tars []string
		for _, img := range imgs {
			tars = append(tars, img.File)
		}
		realNode.images = imgs
		realNode.cluster, realNode.err = juliaruntest.Start(context.Background(), juliaruntest.Options{
			RealNodes: 1, RealNodeImages: tars,
		})
	})
	if realNode.err != nil {
		if os.Getenv("JULIARUN_REQUIRE_CLUSTER") == "" && errors.Is(realNode.err, nodeimages.ErrNotBuilt) {
			t.Skipf("SKIPPED LOUDLY: the real node's images are not built (go run ./hack/nodeimages, as root): %v", realNode.err)
		}
		t.Fatalf("starting the real-node cluster: %v", realNode.err)
	}
	return realNode.cluster
}

func (e *env) volumeFile(t *testing.T, volume, name string) string {
	t.Helper()
	return filepath.Join(e.cluster.VolumePath(e.ns, volume), name)
}

// putFile writes a file on a volume for the job's pods (uid 1000) to read.
func (e *env) putFile(t *testing.T, volume, name, content string) {
	t.Helper()
	path := e.volumeFile(t, volume, name)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	for p := path; p != e.cluster.VolumePath(e.ns, volume); p = filepath.Dir(p) {
		if err := os.Chown(p, 1000, 1000); err != nil {
			t.Fatal(err)
		}
	}
}

func (e *env) records(t *testing.T) map[string]nodeimages.StandInRecord {
	t.Helper()
	recs, err := nodeimages.ReadStandInRecords(e.cluster.VolumePath(e.ns, "work"))
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

// deleteQuickly deletes the job and checks that it took less than the
// pods' 30 s grace period: every PID 1 ends on SIGTERM.
func (e *env) deleteQuickly(t *testing.T, name string) {
	t.Helper()
	start := time.Now()
	if err := e.client.Delete(context.Background(), name); err != nil {
		t.Fatal(err)
	}
	took := time.Since(start)
	t.Logf("Delete of %s took %v", name, took.Round(time.Millisecond))
	if took > 20*time.Second {
		t.Errorf("Delete of %s took %v: a PID 1 that ignores SIGTERM makes the kubelet wait out the grace period", name, took)
	}
}

// kubectl runs kubectl against the cluster and returns its output.
func kubectl(t *testing.T, c *juliaruntest.Cluster, args ...string) (string, error) {
	t.Helper()
	kc, err := c.Kubeconfig()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, filepath.Join(c.BinaryDir(), "kubectl"), append([]string{"--kubeconfig", kc}, args...)...).CombinedOutput()
	return string(out), err
}

// clientPod starts a pod with Python (the notebook image) in the
// namespace, from which tests reach Services as another pod would.
func (e *env) clientPod(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	no, yes := false, true
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "client"},
		Spec: corev1.PodSpec{
			AutomountServiceAccountToken: &no,
			SecurityContext: &corev1.PodSecurityContext{RunAsNonRoot: &yes, RunAsUser: ptr.To[int64](1000),
				SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault}},
			Containers: []corev1.Container{{Name: "client", Image: nodeimages.JuliaNotebook, Command: []string{"sleep", "3600"},
				SecurityContext: &corev1.SecurityContext{AllowPrivilegeEscalation: &no,
					Capabilities: &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}}}}},
		},
	}
	if _, err := e.cs.CoreV1().Pods(e.ns).Create(ctx, pod, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	eventuallyLong(t, "the client pod to run", func(ctx context.Context) (bool, error) {
		p, err := e.cs.CoreV1().Pods(e.ns).Get(ctx, pod.Name, metav1.GetOptions{})
		return err == nil && p.Status.Phase == corev1.PodRunning, err
	})
	t.Cleanup(func() {
		_ = e.cs.CoreV1().Pods(e.ns).Delete(context.Background(), pod.Name, metav1.DeleteOptions{GracePeriodSeconds: ptr.To[int64](0)})
	})
	return pod.Name
}

// python runs a Python program in the client pod and returns its output.
func (e *env) python(t *testing.T, pod, program string) (string, error) {
	t.Helper()
	return kubectl(t, e.cluster, "-n", e.ns, "exec", pod, "--", "python3", "-c", program)
}

func waitFile(t *testing.T, path, what string) string {
	t.Helper()
	var data []byte
	eventuallyLong(t, what, func(context.Context) (bool, error) {
		var err error
		data, err = os.ReadFile(path)
		return err == nil && len(data) > 0, nil
	})
	return string(data)
}

// TestRealNode runs each job type on the real node, one after another
// (they share the node), then checks that nothing of them is left there.
func TestRealNode(t *testing.T) {
	cluster := realNodeCluster(t)
	e := newEnv(t, cluster)
	client := e.clientPod(t)
	t.Run("Batch", func(t *testing.T) { realBatch(t, e) })
	t.Run("ParBatch", func(t *testing.T) { realParBatch(t, e) })
	t.Run("ParBatchMasterKilled", func(t *testing.T) { realParBatchMasterKilled(t, e) })
	t.Run("ParBatchWorkers", func(t *testing.T) { realParBatchWorkers(t, e) })
	t.Run("PkgBuilder", func(t *testing.T) { realPkgBuilder(t, e) })
	t.Run("DeleteWhileRunning", func(t *testing.T) { realDeleteWhileRunning(t, e) })
	t.Run("Webserver", func(t *testing.T) { realWebserver(t, e, client) })
	t.Run("Notebook", func(t *testing.T) { realNotebook(t, e, client) })
	t.Run("MessageQ", func(t *testing.T) { realMessageQ(t, e, client) })
	t.Run("Generic", func(t *testing.T) { realGeneric(t, e) })
	t.Run("OOMKilled", func(t *testing.T) { realOOM(t, e) })
	t.Run("WaitingOnAMount", func(t *testing.T) { realWaitingOnAMount(t, e) })
	t.Run("Settings", func(t *testing.T) { realSettings(t, e) })

	ctx := context.Background()
	// Jobs a failed subtest left behind go first.
	left, err := e.client.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range left {
		if err := e.client.Delete(ctx, st.Name); err != nil {
			t.Errorf("deleting %s, left by a failed subtest: %v", st.Name, err)
		}
	}
	if err := e.cs.CoreV1().Pods(e.ns).Delete(ctx, client, metav1.DeleteOptions{GracePeriodSeconds: ptr.To[int64](0)}); err != nil {
		t.Fatal(err)
	}
	var residue []string
	var pods []string
	err = wait.PollUntilContextTimeout(ctx, 500*time.Millisecond, 3*time.Minute, true, func(ctx context.Context) (bool, error) {
		list, err := e.cs.CoreV1().Pods(e.ns).List(ctx, metav1.ListOptions{})
		if err != nil {
			return false, err
		}
		pods = nil
		for _, p := range list.Items {
			pods = append(pods, p.Name)
		}
		if len(pods) > 0 {
			return false, nil
		}
		residue, err = cluster.RealNodeResidue(ctx)
		return err == nil && len(residue) == 0, err
	})
	if err != nil {
		t.Fatalf("the node still holds what the jobs ran: %v; pods %q, residue %q", err, pods, residue)
	}
}

// realBatch: the script runs as uid 1000 in JRUN_DIR, writes to the run
// volume and exits 0: Succeeded; a script that exits 3: Failed with exit
// code 3 in Status.
func realBatch(t *testing.T, e *env) {
	e.putFile(t, "work", "ok.jl", "# standin: write batch-out.txt written by the batch job\n# standin: exit 0\n")
	e.putFile(t, "work", "fail.jl", "# standin: exit 3\n")
	e.startReal(t, jobs.NewBatch("rn-batch", "ok.jl", "work", jobs.WithImage(nodeimages.JuliaStandIn)))
	e.startReal(t, jobs.NewBatch("rn-fail", "fail.jl", "work", jobs.WithImage(nodeimages.JuliaStandIn)))
	st := e.waitForLong(t, "rn-batch", "the end", juliarun.Finished())
	if st.Phase != juliarun.PhaseSucceeded {
		t.Errorf("rn-batch: %s %q, want Succeeded", st.Phase, st.Reason)
	}
	if got := waitFile(t, e.volumeFile(t, "work", "batch-out.txt"), "the batch job's file"); !strings.Contains(got, "written by the batch job") {
		t.Errorf("batch-out.txt = %q", got)
	}
	master := e.pods(t, "rn-batch", "master")
	if len(master) != 1 {
		t.Fatalf("rn-batch has %d master pods", len(master))
	}
	rec, ok := e.records(t)[master[0].Name]
	if !ok {
		t.Fatalf("no stand-in record of %s", master[0].Name)
	}
	if rec.UID != 1000 || rec.Cwd != "/mnt/work" || rec.Env["JRUN_DIR"] != "/mnt/work" || rec.Env["HOME"] != render.HomeDir {
		t.Errorf("the script ran as uid %d in %s with JRUN_DIR %q, HOME %q; want uid 1000 in /mnt/work", rec.UID, rec.Cwd, rec.Env["JRUN_DIR"], rec.Env["HOME"])
	}
	st = e.waitForLong(t, "rn-fail", "the end", juliarun.Finished())
	if st.Phase != juliarun.PhaseFailed || !strings.Contains(st.Reason, "exit code 3") {
		t.Errorf("rn-fail: %s %q, want Failed with exit code 3", st.Phase, st.Reason)
	}
	e.deleteQuickly(t, "rn-batch")
	e.deleteQuickly(t, "rn-fail")
}

// realParBatch: workers become Ready through the real exec readiness
// probe; the master resolves JRUN_WORKERS through CoreDNS to exactly the
// ready workers' IPs, before and after Scale; the cookie reaches each
// worker on stdin and is in no process's argv; and when the master ends,
// the workers end too and free their resources, with Status truthful.
func realParBatch(t *testing.T, e *env) {
	ctx := context.Background()
	e.putFile(t, "work", "master.jl", "# standin: resolve $JRUN_WORKERS workers.txt 1s\n# standin: sleep forever\n")
	job := jobs.NewParBatch("rn-par", "master.jl", "work", jobs.WithImage(nodeimages.JuliaStandIn), jobs.WithNWorkers(2))
	e.startReal(t, job)
	e.waitForLong(t, "rn-par", "2 ready workers", juliarun.AtLeastWorkers(2))
	resolvedAre := func(n int) {
		t.Helper()
		var ips, got []string
		eventuallyLong(t, fmt.Sprintf("the master to resolve %d workers", n), func(ctx context.Context) (bool, error) {
			ips = nil
			for _, p := range e.pods(t, "rn-par", "worker") {
				if podReady(&p) {
					ips = append(ips, p.Status.PodIP)
				}
			}
			slices.Sort(ips)
			data, _ := os.ReadFile(e.volumeFile(t, "work", "workers.txt"))
			got = strings.Fields(string(data))
			slices.Sort(got)
			return len(ips) == n && slices.Equal(ips, got), nil
		})
	}
	resolvedAre(2)
	if err := e.client.Scale(ctx, "rn-par", 3); err != nil {
		t.Fatal(err)
	}
	e.waitForLong(t, "rn-par", "3 ready workers", juliarun.AtLeastWorkers(3))
	resolvedAre(3)

	sec, err := e.cs.CoreV1().Secrets(e.ns).Get(ctx, "rn-par-secret", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cookie := string(sec.Data[render.SecretKeyCookie])
	records := e.records(t)
	for _, p := range e.pods(t, "rn-par", "worker") {
		host := p.Name
		if p.Spec.Hostname != "" {
			host = p.Spec.Hostname // an Indexed Job's pod is named <job>-<index>-<suffix>, its host <job>-<index>
		}
		rec, ok := records[host]
		if !ok || rec.Mode != "worker" || rec.Stdin == nil || strings.TrimSpace(*rec.Stdin) != cookie {
			t.Errorf("worker %s: record %+v; want a worker that read the cookie on stdin", p.Name, rec)
		}
		out, err := kubectl(t, e.cluster, "-n", e.ns, "exec", p.Name, "--", "sh", "-c", "cat /proc/[0-9]*/cmdline | tr '\\0' ' '")
		if err != nil {
			t.Errorf("reading the argv of %s's processes: %v: %s", p.Name, err, out)
		} else if strings.Contains(out, cookie) || !strings.Contains(out, "--worker") {
			t.Errorf("argv of %s's processes (%q): the cookie must not be there, julia --worker must", p.Name, out)
		}
	}

	master := e.pods(t, "rn-par", "master")[0].Name
	if out, err := kubectl(t, e.cluster, "-n", e.ns, "exec", master, "--", "sh", "-c", "cat /proc/[0-9]*/cmdline | tr '\\0' ' '"); err != nil {
		t.Errorf("reading the argv of the master's processes: %v: %s", err, out)
	} else if strings.Contains(out, cookie) || !strings.Contains(out, "master.jl") {
		t.Errorf("argv of the master's processes (%q): the cookie must not be there, the script must", out)
	}

	// The master ends: the workers go, and Status says how it ended.
	if out, err := kubectl(t, e.cluster, "-n", e.ns, "exec", master, "--", "sh", "-c", "kill -TERM 1"); err != nil {
		t.Fatalf("stopping the master: %v: %s", err, out)
	}
	st := e.waitWorkersReleased(t, "rn-par")
	if st.Phase != juliarun.PhaseFailed || !strings.Contains(st.Reason, "exit code 143") || st.Running != 0 {
		t.Errorf("Status after the master was stopped: %s %q, running %d; want Failed, exit code 143, 0 running", st.Phase, st.Reason, st.Running)
	}
	e.deleteQuickly(t, "rn-par")
}

// realParBatchMasterKilled: a master whose whole container is killed at
// once (a cgroup v2 group OOM kill, a lost node) records nothing on its way
// out; its workers notice its heartbeat's silence, end, and free their
// resources, and Status says how the master ended.
func realParBatchMasterKilled(t *testing.T, e *env) {
	ctx := context.Background()
	e.putFile(t, "work", "master-killed.jl", "# standin: sleep forever\n")
	const silence = 15 // seconds; 60 by default
	job := jobs.NewParBatch("rn-kill", "master-killed.jl", "work", jobs.WithImage(nodeimages.JuliaStandIn), jobs.WithNWorkers(2),
		jobs.WithWorkerEnvVars(map[string]string{scripts.EnvMasterSilence: strconv.Itoa(silence)}))
	e.startReal(t, job)
	e.waitForLong(t, "rn-kill", "2 ready workers", juliarun.AtLeastWorkers(2))
	eventuallyLong(t, "the master's heartbeat", func(context.Context) (bool, error) {
		beats, err := filepath.Glob(e.volumeFile(t, "work", ".juliarun/rn-kill-*.master-alive"))
		return len(beats) == 1, err
	})
	master := e.pods(t, "rn-kill", "master")[0].Name
	if err := e.cluster.KillContainer(ctx, e.ns, master, jobs.MainContainer); err != nil {
		t.Fatal(err)
	}
	killed := time.Now()
	st := e.waitWorkersReleased(t, "rn-kill")
	took := time.Since(killed)
	t.Logf("workers released %v after the master's container was killed (silence %d s)", took.Round(time.Second), silence)
	if took < silence*time.Second {
		t.Errorf("workers released %v after the kill, before the %d s of silence: something else ended them", took, silence)
	}
	if st.Phase != juliarun.PhaseFailed || !strings.Contains(st.Reason, "exit code 137") || st.Running != 0 {
		t.Errorf("Status after the master was killed: %s %q, running %d; want Failed, exit code 137, 0 running", st.Phase, st.Reason, st.Running)
	}
	e.deleteQuickly(t, "rn-kill")
}

// waitWorkersReleased waits until Status of the JuliaParBatch name says
// its workers were released and none of its worker pods runs or waits,
// and returns that Status.
func (e *env) waitWorkersReleased(t *testing.T, name string) *juliarun.Status {
	t.Helper()
	var st *juliarun.Status
	eventuallyLong(t, "the workers of "+name+" to be released", func(ctx context.Context) (bool, error) {
		var err error
		st, err = e.client.Status(ctx, name)
		if err != nil || !strings.Contains(st.Reason, "workers released: the master ended") {
			return false, err
		}
		for _, p := range e.pods(t, name, "worker") {
			if p.Status.Phase == corev1.PodRunning || p.Status.Phase == corev1.PodPending {
				return false, nil
			}
		}
		return true, nil
	})
	return st
}

func podReady(p *corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue && p.DeletionTimestamp == nil
		}
	}
	return false
}

// realParBatchWorkers: each unit sees its own JRUN_UNIT_INDEX.
func realParBatchWorkers(t *testing.T, e *env) {
	e.putFile(t, "work", "unit.jl", "# standin: write units/$JRUN_UNIT_INDEX.txt unit $JRUN_UNIT_INDEX\n# standin: exit 0\n")
	e.putFile(t, "work", "units/.keep", "") // a directory the units (uid 1000) can write
	job := jobs.NewParBatchWorkers("rn-units", "unit.jl", "work", jobs.WithImage(nodeimages.JuliaStandIn),
		jobs.WithNWorkers(3), jobs.WithRestart(jobs.RestartOnFailure))
	e.startReal(t, job)
	st := e.waitForLong(t, "rn-units", "the end", juliarun.Finished())
	if st.Phase != juliarun.PhaseSucceeded {
		t.Errorf("rn-units: %s %q, want Succeeded", st.Phase, st.Reason)
	}
	for i := range 3 {
		got, err := os.ReadFile(e.volumeFile(t, "work", fmt.Sprintf("units/%d.txt", i)))
		if err != nil || strings.TrimSpace(string(got)) != fmt.Sprintf("unit %d", i) {
			t.Errorf("unit %d wrote %q (%v), want %q", i, got, err, fmt.Sprintf("unit %d", i))
		}
	}
	e.deleteQuickly(t, "rn-units")
}

// realPkgBuilder: the builder writes into its bundle, with the bundle's
// depot first on its depot path; a job that attaches the bundle finds it
// on its depot and load paths, after the image's, and cannot change it.
func realPkgBuilder(t *testing.T, e *env) {
	e.putFile(t, "work", "build-bundle.jl", "# standin: write $JRUN_BUNDLE_DEPOT/built.txt built by the builder\n")
	e.putFile(t, "work", "use-bundle.jl", "# standin: write bundle-reader.txt ran\n# standin: write $JRUN_BUNDLE_DEPOT/changed.txt the reader\n")
	e.startReal(t, jobs.NewPkgBuilder("rn-build", "build-bundle.jl", "work", "stats", jobs.WithImage(nodeimages.JuliaStandIn),
		jobs.WithCPU(resources.Cores(0.5)), jobs.WithMemory(resources.MiB(512))))
	if st := e.waitForLong(t, "rn-build", "the end", juliarun.Finished()); st.Phase != juliarun.PhaseSucceeded {
		t.Fatalf("rn-build: %s %q, want Succeeded", st.Phase, st.Reason)
	}
	built, err := os.ReadFile(filepath.Join(e.cluster.VolumePath(e.ns, "stats"), "built.txt"))
	if err != nil || string(built) != "built by the builder\n" {
		t.Errorf("the bundle's built.txt: %q, %v", built, err)
	}
	e.startReal(t, jobs.NewBatch("rn-use", "use-bundle.jl", "work", jobs.WithImage(nodeimages.JuliaStandIn), jobs.WithPkgBundle("stats")))
	st := e.waitForLong(t, "rn-use", "the end", juliarun.Finished())
	// The reader's second write, into the bundle, fails: exit 1.
	if st.Phase != juliarun.PhaseFailed || !strings.Contains(st.Reason, "exit code 1") {
		t.Errorf("rn-use: %s %q, want Failed with exit code 1 (the bundle is read-only to its users)", st.Phase, st.Reason)
	}
	if _, err := os.Stat(filepath.Join(e.cluster.VolumePath(e.ns, "stats"), "changed.txt")); err == nil {
		t.Error("a job that attaches the bundle wrote into it")
	}
	bundle := bundles.MountPath("stats")
	recs := e.records(t)
	for _, tt := range []struct{ job, depot, load, project string }{
		{"rn-build", bundle + ":", ":" + bundle + "/environment", bundle + "/environment"},
		{"rn-use", ":" + bundle, ":" + bundle + "/environment", ""},
	} {
		master := e.pods(t, tt.job, "master")
		if len(master) != 1 {
			t.Fatalf("%s has %d master pods", tt.job, len(master))
		}
		rec, ok := recs[master[0].Name]
		if !ok {
			t.Fatalf("no stand-in record of %s", master[0].Name)
		}
		got := []string{rec.Env["JULIA_DEPOT_PATH"], rec.Env["JULIA_LOAD_PATH"], rec.Env["JULIA_PROJECT"]}
		if diff := cmp.Diff([]string{tt.depot, tt.load, tt.project}, got); diff != "" {
			t.Errorf("%s: JULIA_DEPOT_PATH, JULIA_LOAD_PATH, JULIA_PROJECT (-want +got):\n%s", tt.job, diff)
		}
	}
	e.deleteQuickly(t, "rn-build")
	e.deleteQuickly(t, "rn-use")
}

// realDeleteWhileRunning: a Julia job deleted while its processes run goes
// at once: master.sh and worker.sh, as PID 1, pass SIGTERM on to julia.
func realDeleteWhileRunning(t *testing.T, e *env) {
	e.putFile(t, "work", "forever.jl", "# standin: sleep forever\n")
	image := jobs.WithImage(nodeimages.JuliaStandIn)
	for _, job := range []jobs.Job{
		jobs.NewBatch("rn-del-batch", "forever.jl", "work", image),
		jobs.NewParBatch("rn-del-par", "forever.jl", "work", image, jobs.WithNWorkers(2)),
		jobs.NewParBatchWorkers("rn-del-units", "forever.jl", "work", image, jobs.WithNWorkers(2)),
	} {
		name := job.Spec().Name
		e.startReal(t, job)
		e.waitForLong(t, name, "its processes to run", func(st *juliarun.Status) bool {
			return st.Phase == juliarun.PhaseRunning && st.Running == st.Requested
		})
		e.deleteQuickly(t, name)
	}
}

// realWebserver: GET / through the Service (ClusterIP, kube-proxy) on the
// default http port 80 returns a file the test put on the run volume,
// from nginx running as uid 1000.
func realWebserver(t *testing.T, e *env, client string) {
	page := "served from the run volume by nginx as uid 1000\n"
	e.putFile(t, "work", "www/index.html", page)
	e.putFile(t, "work", "nginx.conf", `worker_processes 1;
error_log stderr notice;
events {}
http {
	access_log /dev/stdout;
	# The official nginx image's compiled-in temp paths; Debian's nginx, in
	# the test image, has /var/lib/nginx/* compiled in (docs/IMAGES.md).
	client_body_temp_path /var/cache/nginx/client_temp;
	proxy_temp_path /var/cache/nginx/proxy_temp;
	fastcgi_temp_path /var/cache/nginx/fastcgi_temp;
	uwsgi_temp_path /var/cache/nginx/uwsgi_temp;
	scgi_temp_path /var/cache/nginx/scgi_temp;
	server {
		listen 80;
		root /mnt/work/www;
	}
}
`)
	// The default ports: http 80/80 (and https 443/443, which this
	// configuration does not serve).
	job := jobs.NewWebserver("rn-web", "nginx.conf", "work", jobs.WithImage(nodeimages.Nginx), jobs.WithNWorkers(2))
	e.startReal(t, job)
	e.waitForLong(t, "rn-web", "2 replicas", juliarun.AtLeastWorkers(2))
	var out string
	eventuallyLong(t, "GET / through the Service", func(context.Context) (bool, error) {
		var err error
		out, err = e.python(t, client, `import urllib.request
print(urllib.request.urlopen("http://rn-web.`+e.ns+`.svc.cluster.local/", timeout=5).read().decode(), end="")`)
		return err == nil && out == page, nil
	})
	// Every nginx process (master and worker) by its real uid, from
	// /proc: the image has no ps.
	for _, p := range e.pods(t, "rn-web", "worker") {
		out, err := kubectl(t, e.cluster, "-n", e.ns, "exec", p.Name, "--", "sh", "-c",
			`for s in /proc/[0-9]*/status; do grep -q '^Name:[[:space:]]*nginx$' "$s" && awk '/^Uid:/ {print $2}' "$s"; done; true`)
		uids := strings.Fields(out)
		if err != nil || len(uids) < 2 || slices.ContainsFunc(uids, func(u string) bool { return u != "1000" }) {
			t.Errorf("nginx processes of %s run as uids %q (%v: %s), want a master and a worker, all uid 1000", p.Name, uids, err, out)
		}
	}
	e.deleteQuickly(t, "rn-web")
}

// realNotebook: an HTTP login through the Service with the password
// succeeds and a wrong password fails, against the real Jupyter server.
func realNotebook(t *testing.T, e *env, client string) {
	const password = "correct horse"
	job := jobs.NewNotebook("rn-nb", "work", jobs.WithImage(nodeimages.JuliaNotebook), jobs.WithPassword(password))
	e.startReal(t, job)
	e.waitForLong(t, "rn-nb", "running", juliarun.Running())
	login := func(pw string) string {
		return `import http.cookiejar, urllib.error, urllib.parse, urllib.request
jar = http.cookiejar.CookieJar()
op = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
base = "http://rn-nb.` + e.ns + `.svc.cluster.local:8888"
op.open(base + "/login", timeout=10).read()
xsrf = next(c.value for c in jar if c.name == "_xsrf")
try:
    op.open(base + "/login?next=%2Ftree", urllib.parse.urlencode({"password": ` + fmt.Sprintf("%q", pw) + `, "_xsrf": xsrf}).encode(), timeout=10)
except urllib.error.HTTPError as e:
    print("login refused", e.code)
try:
    print("status", op.open(base + "/api/status", timeout=10).status)
except urllib.error.HTTPError as e:
    print("no-session", e.code)`
	}
	var out string
	eventuallyLong(t, "a login with the password", func(context.Context) (bool, error) {
		var err error
		out, err = e.python(t, client, login(password))
		return err == nil && strings.Contains(out, "status 200"), nil
	})
	out, err := e.python(t, client, login("wrong"))
	if err != nil || !strings.Contains(out, "no-session") {
		t.Errorf("a login with a wrong password: %q, %v; want the API to refuse it", out, err)
	}
	e.deleteQuickly(t, "rn-nb")
}

// realMessageQ: AMQP on 5672 and the management HTTP API answer through
// the Service, and a durable queue survives a restart of the pod.
func realMessageQ(t *testing.T, e *env, client string) {
	ctx := context.Background()
	e.putFile(t, "work", "rabbitmq.conf", "listeners.tcp.default = 5672\n")
	job := jobs.NewMessageQ("rn-mq", "rabbitmq.conf", "work", jobs.WithImage(nodeimages.RabbitMQ),
		jobs.WithCPU(resources.Cores(0.5)), jobs.WithMemory(resources.MiB(512)),
		jobs.WithPorts(map[string]jobs.Port{"amqp": {Container: 5672, Service: 5672}, "mgmt": {Container: 15672, Service: 15672}}))
	e.startReal(t, job)
	e.waitForLong(t, "rn-mq", "running", juliarun.Running())
	host := "rn-mq." + e.ns + ".svc.cluster.local"
	amqp := `import socket
s = socket.create_connection(("` + host + `", 5672), timeout=5)
s.sendall(b"AMQP\x00\x00\x09\x01")
frame = s.recv(7)
print("frame", frame[0], "class", int.from_bytes(s.recv(4)[:2], "big"))`
	mgmt := func(method, path, body string) string {
		return `import base64, urllib.request
req = urllib.request.Request("http://` + host + `:15672` + path + `", method="` + method + `", data=` + body + `,
	headers={"Authorization": "Basic " + base64.b64encode(b"guest:guest").decode(), "content-type": "application/json"})
print("http", urllib.request.urlopen(req, timeout=5).status)`
	}
	var out string
	eventuallyLong(t, "AMQP through the Service", func(context.Context) (bool, error) {
		var err error
		out, err = e.python(t, client, amqp)
		return err == nil && strings.Contains(out, "frame 1 class 10"), nil // a method frame of class connection
	})
	eventuallyLong(t, "the management API through the Service", func(context.Context) (bool, error) {
		var err error
		out, err = e.python(t, client, mgmt("GET", "/api/overview", "None"))
		return err == nil && strings.Contains(out, "http 200"), nil
	})
	if out, err := e.python(t, client, mgmt("PUT", "/api/queues/%2F/kept", `b'{"durable": true}'`)); err != nil || !strings.Contains(out, "http 201") {
		t.Fatalf("declaring a durable queue: %q, %v", out, err)
	}
	pod := e.pods(t, "rn-mq", "master")[0]
	if err := e.cs.CoreV1().Pods(e.ns).Delete(ctx, pod.Name, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	eventuallyLong(t, "the queue after a restart of the broker's pod", func(context.Context) (bool, error) {
		p, err := e.cs.CoreV1().Pods(e.ns).Get(ctx, pod.Name, metav1.GetOptions{})
		if err != nil || p.UID == pod.UID || !podReady(p) {
			return false, nil
		}
		out, err = e.python(t, client, mgmt("GET", "/api/queues/%2F/kept", "None"))
		return err == nil && strings.Contains(out, "http 200"), nil
	})
	e.deleteQuickly(t, "rn-mq")
}

// realGeneric: a container of any image gets a HOME it can write.
func realGeneric(t *testing.T, e *env) {
	job := jobs.NewGeneric("rn-generic", nodeimages.JuliaStandIn, "work",
		jobs.WithCommand("/bin/sh", "-c", `touch "$HOME/written" && echo "HOME $HOME writable as $(id -u)" > /mnt/work/generic.txt
trap 'exit 0' TERM
sleep 3600 & wait`))
	e.startReal(t, job)
	got := waitFile(t, e.volumeFile(t, "work", "generic.txt"), "the generic container's file")
	if want := "HOME " + render.HomeDir + " writable as 1000\n"; got != want {
		t.Errorf("generic.txt = %q, want %q", got, want)
	}
	// The command handles SIGTERM, as a PID 1 must (the image's own
	// command is the user's to get right).
	e.deleteQuickly(t, "rn-generic")
}

// realSettings: what the Kubernetes settings promise reaches the process:
// a variable from a Secret key holds the Secret's value, a Secret volume
// holds its files (read-only), an emptyDir is writable, and /dev/shm is a
// tmpfs of the size asked for, not the runtime's 64 MiB.
func realSettings(t *testing.T, e *env) {
	ctx := context.Background()
	secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "rn-api", Namespace: e.ns},
		StringData: map[string]string{"token": "tok-6c1f", "tls.crt": "CERT-DATA"}}
	if _, err := e.cs.CoreV1().Secrets(e.ns).Create(ctx, secret, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	job := jobs.NewGeneric("rn-settings", nodeimages.JuliaStandIn, "work",
		jobs.WithEnvFrom(jobs.Master, map[string]jobs.EnvSource{"API_TOKEN": jobs.FromSecret("rn-api", "token")}),
		jobs.WithVolumes(jobs.Master, jobs.SecretVolume("rn-api", "/etc/api"), jobs.EmptyDirVolume("/scratch", resources.MiB(16))),
		jobs.WithShmSize(jobs.Master, resources.MiB(256)),
		jobs.WithMemoryLimit(resources.GiB(1)),
		jobs.WithCommand("/bin/sh", "-c", `{
echo "token $API_TOKEN"
echo "crt $(cat /etc/api/tls.crt)"
touch /etc/api/x 2>/dev/null && echo "secret volume writable" || echo "secret volume read-only"
touch /scratch/x && echo "scratch writable"
echo "shm $(df -k /dev/shm | awk 'NR==2 {print $1, $2}')"
} > /mnt/work/settings.txt
trap 'exit 0' TERM
sleep 3600 & wait`))
	e.startReal(t, job)
	got := waitFile(t, e.volumeFile(t, "work", "settings.txt"), "the settings report")
	want := "token tok-6c1f\ncrt CERT-DATA\nsecret volume read-only\nscratch writable\nshm tmpfs 262144\n"
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("settings.txt (-want +got):\n%s", diff)
	}
	e.deleteQuickly(t, "rn-settings")
}

// realOOM: a script over its memory limit is OOMKilled, and Status says so
// as the kubelet reports it.
func realOOM(t *testing.T, e *env) {
	e.putFile(t, "work", "hungry.jl", "# standin: alloc 512MiB\n# standin: exit 0\n")
	job := jobs.NewBatch("rn-oom", "hungry.jl", "work", jobs.WithImage(nodeimages.JuliaStandIn),
		jobs.WithMemory(resources.MiB(64)), jobs.WithMemoryLimit(resources.MiB(64)))
	e.startReal(t, job)
	st := e.waitForLong(t, "rn-oom", "the end", juliarun.Finished())
	if st.Phase != juliarun.PhaseFailed || !strings.Contains(st.Reason, "OOMKilled") {
		t.Errorf("rn-oom: %s %q, want Failed with OOMKilled", st.Phase, st.Reason)
	}
	e.deleteQuickly(t, "rn-oom")
}

// realWaitingOnAMount: a worker whose Secret volume names no Secret stays
// ContainerCreating, and Status says why with the kubelet's FailedMount
// event, which names the Secret.
func realWaitingOnAMount(t *testing.T, e *env) {
	e.putFile(t, "work", "wait.jl", "# standin: sleep forever\n")
	e.startReal(t, jobs.NewParBatch("rn-mount", "wait.jl", "work", jobs.WithImage(nodeimages.JuliaStandIn), jobs.WithNWorkers(1),
		jobs.WithVolumes(jobs.Workers, jobs.SecretVolume("missing-secret", "/etc/x"))))
	var st *juliarun.Status
	eventuallyLong(t, "Status to name the missing Secret", func(ctx context.Context) (bool, error) {
		var err error
		st, err = e.client.Status(ctx, "rn-mount")
		return err == nil && st.Phase == juliarun.PhaseRunning && strings.Contains(st.Reason, `secret "missing-secret" not found`), err
	})
	// render names the pod's first extra volume extra-0.
	want := `1 of 1 workers waiting: FailedMount: MountVolume.SetUp failed for volume "extra-0" : secret "missing-secret" not found`
	if diff := cmp.Diff(want, st.Reason); diff != "" || st.Running != 0 {
		t.Errorf("Status: %d running (want 0), reason (-want +got):\n%s", st.Running, diff)
	}
	e.deleteQuickly(t, "rn-mount")
}

// startReal starts job and, should the test fail, logs what its pods said.
func (e *env) startReal(t *testing.T, job jobs.Job) {
	t.Helper()
	if err := e.client.Start(context.Background(), job); err != nil {
		t.Fatal(err)
	}
	e.dumpOnFailure(t, job.Spec().Name)
}

// dumpOnFailure logs what the job's pods printed when the test failed.
func (e *env) dumpOnFailure(t *testing.T, name string) {
	t.Cleanup(func() {
		if !t.Failed() {
			return
		}
		out, _ := kubectl(t, e.cluster, "-n", e.ns, "logs", "--all-containers", "--prefix", "--tail", "30", "-l", "juliarun.io/job="+name)
		t.Logf("logs of %s:\n%s", name, out)
		out, _ = kubectl(t, e.cluster, "-n", e.ns, "get", "pods,events", "-o", "wide")
		t.Logf("pods and events:\n%s", out)
	})
}

// waitForLong is waitFor with the time a real node needs (containers start
// for real; a broker or a notebook server takes seconds).
func (e *env) waitForLong(t *testing.T, name, what string, cond juliarun.Condition) *juliarun.Status {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	st, err := e.client.Wait(ctx, name, cond)
	if err != nil || !cond(st) {
		t.Fatalf("waiting for %s of %s: %v (last status %+v)", what, name, err, st)
	}
	return st
}

// eventuallyLong polls cond every 500ms for up to 3 minutes: on a real node
// containers start for real.
func eventuallyLong(t *testing.T, what string, cond func(ctx context.Context) (bool, error)) {
	t.Helper()
	if err := wait.PollUntilContextTimeout(context.Background(), 500*time.Millisecond, 3*time.Minute, true, cond); err != nil {
		t.Fatalf("waiting for %s: %v", what, err)
	}
}
