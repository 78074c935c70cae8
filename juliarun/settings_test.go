package juliarun_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	nodev1 "k8s.io/api/node/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/apimachinery/pkg/watch"

	"github.com/juliarun/sdk/jobs"
	"github.com/juliarun/sdk/juliarun"
	"github.com/juliarun/sdk/juliarun/juliaruntest"
	"github.com/juliarun/sdk/resources"
)

// poolKey is the node label the pools of these tests carry, as a user's
// cluster would label its node pools.
const poolKey = "pool"

// gpuTaint is how a GPU node pool keeps other pods off.
var gpuTaint = corev1.Taint{Key: "nvidia.com/gpu", Value: "present", Effect: corev1.TaintEffectNoSchedule}

// tolerating returns the toleration of taint.
func tolerating(taint corev1.Taint) corev1.Toleration {
	return corev1.Toleration{Key: taint.Key, Operator: corev1.TolerationOpEqual, Value: taint.Value, Effect: taint.Effect}
}

// statusEventually polls Client.Status until cond holds, and returns that
// Status.
func (e *env) statusEventually(t *testing.T, name, what string, cond func(*juliarun.Status) bool) *juliarun.Status {
	t.Helper()
	var last *juliarun.Status
	if err := wait.PollUntilContextTimeout(context.Background(), 500*time.Millisecond, 30*time.Second, true,
		func(ctx context.Context) (bool, error) {
			st, err := e.client.Status(ctx, name)
			if err != nil {
				return false, err
			}
			last = st
			return cond(st), nil
		}); err != nil {
		t.Fatalf("waiting for %s of %s: %v (last status %+v)", what, name, err, last)
	}
	return last
}

// nodePools returns the value of each node's pool label, by node name.
func (e *env) nodePools(t *testing.T) map[string]string {
	t.Helper()
	nodes, err := e.cs.CoreV1().Nodes().List(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, n := range nodes.Items {
		out[n.Name] = n.Labels[poolKey]
	}
	return out
}

// TestGPUPoolPlacement checks where a user's GPU job runs on a cluster with
// a tainted GPU pool and an untainted CPU pool: a job asking for GPUs
// without tolerating the taint is Pending, and Status says why in the
// scheduler's words; with a toleration and node selector for its workers
// only, its workers run on GPU nodes and its master (no GPU, selecting
// the CPU pool) on the CPU pool.
func TestGPUPoolPlacement(t *testing.T) {
	cluster := juliaruntest.StartForTest(t, juliaruntest.Options{NodePools: []juliaruntest.NodePool{
		{Name: "gpu", Count: 2, CPU: "8", Memory: "32Gi", GPU: 2,
			Labels: map[string]string{poolKey: "gpu"}, Taints: []corev1.Taint{gpuTaint}},
		{Name: "cpu", Count: 1, CPU: "8", Memory: "32Gi", Labels: map[string]string{poolKey: "cpu"}},
	}})
	e := newEnv(t, cluster)
	ctx := context.Background()

	// No toleration: the only GPUs are behind the taint.
	if err := e.client.Start(ctx, jobs.NewParBatch("untolerated", "train.jl", "work",
		jobs.WithGPU(1), jobs.WithNWorkers(2), jobs.WithWorkerGPU(1))); err != nil {
		t.Fatal(err)
	}
	// The scheduler counts the tainted nodes without naming the taint.
	const tainted = "node(s) had untolerated taint(s)"
	st := e.waitFor(t, "untolerated", "Pending with the scheduler's reason", func(s *juliarun.Status) bool {
		return s.Phase == juliarun.PhasePending && strings.Contains(s.Reason, "unschedulable: ") && strings.Contains(s.Reason, tainted)
	})
	t.Logf("Status without a toleration: %s: %s", st.Phase, st.Reason)
	for _, role := range []string{"master", "worker"} {
		for _, p := range e.pods(t, "untolerated", role) {
			if p.Spec.NodeName != "" || p.Status.Phase != corev1.PodPending {
				t.Errorf("%s pod %s is %s on node %q, want Pending on none", role, p.Name, p.Status.Phase, p.Spec.NodeName)
			}
		}
	}

	// Workers tolerate the taint and select the GPU pool; the master,
	// without a GPU, selects the CPU pool.
	const workers = 3 // more than one GPU node holds
	if err := e.client.Start(ctx, jobs.NewParBatch("placed", "train.jl", "work",
		jobs.WithNWorkers(workers), jobs.WithWorkerGPU(1),
		jobs.WithTolerations(jobs.Workers, tolerating(gpuTaint)),
		jobs.WithNodeSelector(jobs.Workers, map[string]string{poolKey: "gpu"}),
		jobs.WithNodeSelector(jobs.Master, map[string]string{poolKey: "cpu"}))); err != nil {
		t.Fatal(err)
	}
	st = e.waitFor(t, "placed", "its workers running", func(s *juliarun.Status) bool {
		return s.Phase == juliarun.PhaseRunning && s.Running == workers
	})
	if st.Reason != "" {
		t.Errorf("Status of a placed job: reason %q, want none", st.Reason)
	}
	pools := e.nodePools(t)
	want, got := map[string]string{}, map[string]string{}
	for role, pool := range map[string]string{"master": "cpu", "worker": "gpu"} {
		pods := e.pods(t, "placed", role)
		for _, p := range pods {
			if p.Status.Phase != corev1.PodRunning {
				continue
			}
			want[p.Name], got[p.Name] = pool, pools[p.Spec.NodeName]
		}
	}
	if len(want) != 1+workers {
		t.Errorf("running pods of placed: %d, want %d", len(want), 1+workers)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("pools the pods run in (-want +got):\n%s", diff)
	}
}

// TestPreemptedWorkersAreSaid fills a pool with a low-priority job's
// workers; a high-priority job's workers, needing that room, preempt them.
// The low-priority job keeps running (its master is elsewhere), its
// workers wait for room, and its Status says they were preempted, besides
// why their replacements wait; no worker counts as failed.
func TestPreemptedWorkersAreSaid(t *testing.T) {
	dedicated := corev1.Taint{Key: "example.com/dedicated", Value: "workers", Effect: corev1.TaintEffectNoSchedule}
	cluster := juliaruntest.StartForTest(t, juliaruntest.Options{NodePools: []juliaruntest.NodePool{
		{Name: "workers", Count: 1, CPU: "2", Memory: "8Gi",
			Labels: map[string]string{poolKey: "workers"}, Taints: []corev1.Taint{dedicated}},
		{Name: "masters", Count: 1, CPU: "8", Memory: "32Gi", Labels: map[string]string{poolKey: "masters"}},
	}})
	ctx := context.Background()
	for name, value := range map[string]int32{"low": 100, "high": 1000} {
		if err := cluster.CreatePriorityClass(ctx, name, value); err != nil {
			t.Fatal(err)
		}
	}
	e := newEnv(t, cluster)
	job := func(name string, opts ...jobs.Option) jobs.Job {
		return jobs.NewParBatch(name, name+".jl", "work", append([]jobs.Option{
			jobs.WithNWorkers(2), jobs.WithWorkerCPU(resources.Cores(1)), // the pool holds two
			jobs.WithTolerations(jobs.Workers, tolerating(dedicated)),
			jobs.WithNodeSelector(jobs.Workers, map[string]string{poolKey: "workers"}),
			jobs.WithNodeSelector(jobs.Master, map[string]string{poolKey: "masters"}),
		}, opts...)...)
	}
	if err := e.client.Start(ctx, job("low", jobs.WithPriorityClass(jobs.Workers, "low"))); err != nil {
		t.Fatal(err)
	}
	e.waitFor(t, "low", "its workers running", func(s *juliarun.Status) bool {
		return s.Phase == juliarun.PhaseRunning && s.Running == 2
	})
	if err := e.client.Start(ctx, job("high",
		jobs.WithPriorityClass(jobs.Master, "high"), jobs.WithPriorityClass(jobs.Workers, "high"))); err != nil {
		t.Fatal(err)
	}
	e.waitFor(t, "high", "its workers running in the low-priority workers' place", func(s *juliarun.Status) bool {
		return s.Phase == juliarun.PhaseRunning && s.Running == 2
	})
	// Status, not Wait: a Wait that sees only the worker counts change
	// updates only the counts of the Status it last read.
	st := e.statusEventually(t, "low", "its workers said to be preempted", func(s *juliarun.Status) bool {
		// The scheduler's events may trail the preemption they record.
		return s.Running == 0 && strings.Contains(s.Reason, "2 workers preempted") && strings.Contains(s.Reason, "unschedulable: ")
	})
	t.Logf("Status of the preempted job: %s: %s", st.Phase, st.Reason)
	type outcome struct {
		Phase                       juliarun.Phase
		Requested, Running, Failed  int
		SaysPreempted, SaysWaitsFor bool
	}
	want := outcome{Phase: juliarun.PhaseRunning, Requested: 2, SaysPreempted: true, SaysWaitsFor: true}
	got := outcome{Phase: st.Phase, Requested: st.Requested, Running: st.Running, Failed: st.FailedWorkers,
		SaysPreempted: strings.Contains(st.Reason, "2 workers preempted by higher-priority pods"),
		SaysWaitsFor:  strings.Contains(st.Reason, "2 of 2 workers waiting")}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Status of the preempted job (-want +got):\n%s\nreason: %s", diff, st.Reason)
	}
	// The job that preempted says nothing of preemption.
	high, err := e.client.Status(ctx, "high")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(high.Reason, "preempt") {
		t.Errorf("Status of the preempting job: %q, says preempted", high.Reason)
	}
}

// onePodNode is an env on a cluster whose one node holds one 1.5-CPU pod,
// with the PriorityClasses "low" and "high".
func onePodNode(t *testing.T) *env {
	cluster := juliaruntest.StartForTest(t, juliaruntest.Options{NodePools: []juliaruntest.NodePool{
		{Name: "small", Count: 1, CPU: "2", Memory: "8Gi", Labels: map[string]string{poolKey: "small"}}}})
	for name, value := range map[string]int32{"low": 100, "high": 1000} {
		if err := cluster.CreatePriorityClass(context.Background(), name, value); err != nil {
			t.Fatal(err)
		}
	}
	return newEnv(t, cluster)
}

// TestPreemptedBatchMasterStartsAgain: a JuliaBatch's master that the
// scheduler preempts did not fail: its job stays Pending, not Failed, and
// its master runs again once there is room.
func TestPreemptedBatchMasterStartsAgain(t *testing.T) {
	e := onePodNode(t)
	ctx := context.Background()
	batch := func(name, class string) jobs.Job {
		return jobs.NewBatch(name, "run.jl", "work", jobs.WithCPU(resources.Cores(1.5)), jobs.WithPriorityClass(jobs.Master, class))
	}
	if err := e.client.Start(ctx, batch("low", "low")); err != nil {
		t.Fatal(err)
	}
	e.waitFor(t, "low", "running", juliarun.Running())
	if err := e.client.Start(ctx, batch("high", "high")); err != nil {
		t.Fatal(err)
	}
	e.waitFor(t, "high", "running in the low-priority master's place", juliarun.Running())
	st := e.statusEventually(t, "low", "its master waiting for room again", func(s *juliarun.Status) bool {
		return s.Phase == juliarun.PhasePending && strings.Contains(s.Reason, "unschedulable")
	})
	t.Logf("Status of the preempted job: %s: %s", st.Phase, st.Reason)
	if err := e.client.Delete(ctx, "high"); err != nil {
		t.Fatal(err)
	}
	e.waitFor(t, "low", "its master running again", juliarun.Running())
}

// TestPreemptedParBatchMasterIsSaid: a JuliaParBatch whose master the
// scheduler preempts fails (its workers end with its first run), and
// Status says it was preempted rather than only that the Job failed.
func TestPreemptedParBatchMasterIsSaid(t *testing.T) {
	e := onePodNode(t)
	ctx := context.Background()
	if err := e.client.Start(ctx, jobs.NewParBatch("low", "pi.jl", "work", jobs.WithCPU(resources.Cores(1.5)),
		jobs.WithPriorityClass(jobs.Master, "low"))); err != nil {
		t.Fatal(err)
	}
	e.waitFor(t, "low", "running", juliarun.Running())
	if err := e.client.Start(ctx, jobs.NewBatch("high", "run.jl", "work", jobs.WithCPU(resources.Cores(1.5)),
		jobs.WithPriorityClass(jobs.Master, "high"))); err != nil {
		t.Fatal(err)
	}
	st := e.statusEventually(t, "low", "failed, said preempted", func(s *juliarun.Status) bool {
		return s.Phase == juliarun.PhaseFailed && strings.Contains(s.Reason, "master preempted or evicted")
	})
	t.Logf("Status of the preempted job: %s: %s", st.Phase, st.Reason)
}

// TestTTLLeavesNothing starts batch jobs with a TTL on a cluster whose Job
// pods end by themselves, and makes no client call once they are started:
// each job finishes, and then every one of its objects (the root ConfigMap
// with the record, the scripts ConfigMap, the Secret, Services, the
// NetworkPolicy, workloads, pods) is removed by the cluster alone. The
// last case ends a master while its workers still run.
func TestTTLLeavesNothing(t *testing.T) {
	lifetime := juliaruntest.StartForTest(t, juliaruntest.Options{Nodes: 1, JobPodLifetime: 500 * time.Millisecond})
	ttl := jobs.WithTTLAfterFinished(2 * time.Second)
	for _, tc := range []struct {
		name    string
		cluster func(t *testing.T) *juliaruntest.Cluster
		job     jobs.Job
		// kinds are kinds of objects the job has once started: the
		// check below would prove little without them.
		kinds []string
		// end ends the master, nil when the pod lifetime does.
		end func(t *testing.T, e *env)
	}{
		{name: "batch", job: jobs.NewBatch("once", "once.jl", "work", ttl,
			jobs.WithPorts(map[string]jobs.Port{"http": {Container: 8080, Service: 80}})),
			kinds: []string{"ConfigMap", "Job", "NetworkPolicy", "Service"}},
		{name: "parbatch", job: jobs.NewParBatch("par", "par.jl", "work", ttl, jobs.WithNWorkers(2)),
			kinds: []string{"ConfigMap", "Job", "NetworkPolicy", "Secret", "Service"}},
		{name: "parbatch with running workers", cluster: sharedCluster,
			job:   jobs.NewParBatch("par", "par.jl", "work", ttl, jobs.WithNWorkers(2)),
			kinds: []string{"ConfigMap", "Job", "NetworkPolicy", "Secret", "Service"},
			end: func(t *testing.T, e *env) {
				// Only the master ends: the workers' pods run on, as a
				// process would until it notices its master is gone.
				var master corev1.Pod
				eventually(t, "the master and workers running", func(ctx context.Context) (bool, error) {
					running := 0
					for _, p := range e.pods(t, "par", "worker") {
						if p.Status.Phase == corev1.PodRunning {
							running++
						}
					}
					pods := e.pods(t, "par", "master")
					if len(pods) != 1 || pods[0].Status.Phase != corev1.PodRunning || running != 2 {
						return false, nil
					}
					master = pods[0]
					return true, nil
				})
				if err := e.cluster.ExitPod(context.Background(), e.ns, master.Name, 0); err != nil {
					t.Fatal(err)
				}
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cluster := lifetime
			if tc.cluster != nil {
				cluster = tc.cluster(t)
			}
			e := newEnv(t, cluster)
			name := tc.job.Spec().Name
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			// Watch the master Job from before it exists to its removal.
			w, err := e.cs.BatchV1().Jobs(e.ns).Watch(ctx, metav1.ListOptions{LabelSelector: "juliarun.io/job=" + name + ",juliarun.io/role=master"})
			if err != nil {
				t.Fatal(err)
			}
			defer w.Stop()
			if err := e.client.Start(ctx, tc.job); err != nil {
				t.Fatal(err)
			}
			objects := map[string]int{}
			for _, o := range jobObjects(t, e, name) {
				objects[o.GetKind()]++
			}
			t.Logf("objects of %s after Start, by kind: %v", name, objects)
			for _, k := range tc.kinds {
				if objects[k] == 0 {
					t.Errorf("%s has no %s after Start", name, k)
				}
			}
			if objects["ConfigMap"] < 2 {
				t.Errorf("%s has %d ConfigMaps after Start, want the root and the scripts", name, objects["ConfigMap"])
			}
			if tc.end != nil {
				tc.end(t, e)
			}
			// From here on, no client call: the cluster does the rest.
			finished := false
			for removed := false; !removed; {
				select {
				case ev, ok := <-w.ResultChan():
					if !ok {
						t.Fatal("the watch on the master Job ended before its removal")
					}
					j, isJob := ev.Object.(*batchv1.Job)
					if !isJob {
						t.Fatalf("watch event %s: %#v", ev.Type, ev.Object)
					}
					for _, c := range j.Status.Conditions {
						finished = finished || (c.Type == batchv1.JobComplete && c.Status == corev1.ConditionTrue)
					}
					removed = ev.Type == watch.Deleted
				case <-ctx.Done():
					t.Fatalf("the master Job of %s was not removed (finished: %v)", name, finished)
				}
			}
			if !finished {
				t.Errorf("the master Job of %s was removed without having completed", name)
			}
			var left []string
			if err := wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, 30*time.Second, true, func(context.Context) (bool, error) {
				left = inNamespace(leftovers(t, e.cluster.Config(), name), e.ns)
				return len(left) == 0, nil
			}); err != nil {
				t.Fatalf("the cluster did not remove every object of %s: %v; left: %v", name, err, left)
			}
		})
	}
}

// TestRunTimeLimitFails runs a batch job whose process never ends with a
// run-time limit: the job ends Failed, and Status says it ran past its
// limit.
func TestRunTimeLimitFails(t *testing.T) {
	e := newEnv(t, sharedCluster(t))
	ctx := context.Background()
	if err := e.client.Start(ctx, jobs.NewBatch("forever", "forever.jl", "work", jobs.WithRunTimeLimit(2*time.Second))); err != nil {
		t.Fatal(err)
	}
	st := e.waitFor(t, "forever", "Failed", func(s *juliarun.Status) bool { return s.Phase.Terminal() })
	t.Logf("Status past the run-time limit: %s: %s", st.Phase, st.Reason)
	if st.Phase != juliarun.PhaseFailed {
		t.Errorf("phase %s, want %s", st.Phase, juliarun.PhaseFailed)
	}
	if !strings.Contains(st.Reason, "run-time limit of 2s exceeded") {
		t.Errorf("reason %q does not say the run-time limit was exceeded", st.Reason)
	}
}

// TestDryRunAcceptsEverySetting sends jobs using every setting, for the
// master and the workers, as a server-side dry run: the API server accepts
// them all, and nothing is created.
func TestDryRunAcceptsEverySetting(t *testing.T) {
	e := newEnv(t, apiOnlyCluster(t))
	ctx := context.Background()
	// Cluster-wide classes on a shared cluster: names of this test's own.
	const priority, runtime = "settings-dry-run-high", "settings-dry-run-nvidia"
	if _, err := e.cs.SchedulingV1().PriorityClasses().Create(ctx, &schedulingv1.PriorityClass{
		ObjectMeta: metav1.ObjectMeta{Name: priority}, Value: 1000}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = e.cs.SchedulingV1().PriorityClasses().Delete(context.Background(), priority, metav1.DeleteOptions{})
	})
	if _, err := e.cs.NodeV1().RuntimeClasses().Create(ctx, &nodev1.RuntimeClass{
		ObjectMeta: metav1.ObjectMeta{Name: runtime}, Handler: "nvidia"}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = e.cs.NodeV1().RuntimeClasses().Delete(context.Background(), runtime, metav1.DeleteOptions{})
	})

	role := func(r jobs.Role) []jobs.Option {
		spread := corev1.TopologySpreadConstraint{MaxSkew: 1, TopologyKey: corev1.LabelHostname,
			WhenUnsatisfiable: corev1.ScheduleAnyway}
		affinity := &corev1.Affinity{NodeAffinity: &corev1.NodeAffinity{
			PreferredDuringSchedulingIgnoredDuringExecution: []corev1.PreferredSchedulingTerm{{Weight: 10,
				Preference: corev1.NodeSelectorTerm{MatchExpressions: []corev1.NodeSelectorRequirement{
					{Key: "accelerator", Operator: corev1.NodeSelectorOpIn, Values: []string{"nvidia"}}}}}}}}
		overlay := corev1.PodTemplateSpec{Spec: corev1.PodSpec{
			DNSPolicy: corev1.DNSClusterFirst,
			Containers: []corev1.Container{{Name: jobs.MainContainer,
				Env: []corev1.EnvVar{{Name: "JULIA_NUM_THREADS", Value: "4"}}}}}}
		return []jobs.Option{
			jobs.WithNodeSelector(r, map[string]string{poolKey: "gpu"}),
			jobs.WithTolerations(r, tolerating(gpuTaint)),
			jobs.WithAffinity(r, affinity),
			jobs.WithTopologySpread(r, spread),
			jobs.WithPriorityClass(r, priority),
			jobs.WithRuntimeClass(r, runtime),
			jobs.WithServiceAccount(r, "trainer"),
			jobs.WithServiceAccountToken(r, true),
			jobs.WithPodLabels(r, map[string]string{"team": "ml-" + string(r)}),
			jobs.WithPodAnnotations(r, map[string]string{"example.com/role": string(r)}),
			jobs.WithEnvFrom(r, map[string]jobs.EnvSource{
				"API_TOKEN": jobs.FromSecret("api", "token"), "REGION": jobs.FromConfigMap("site", "region")}),
			jobs.WithEnvFromSecrets(r, "db-credentials"),
			jobs.WithEnvFromConfigMaps(r, "site"),
			jobs.WithVolumes(r, jobs.SecretVolume("certs", "/etc/certs"), jobs.ConfigMapVolume("site", "/etc/site"),
				jobs.EmptyDirVolume("/scratch", resource.MustParse("1Gi"))),
			jobs.WithShmSize(r, resource.MustParse("1Gi")),
			jobs.WithPodOverlay(r, overlay),
		}
	}
	shared := []jobs.Option{
		jobs.WithLabels(map[string]string{"project": "climate"}),
		jobs.WithAnnotations(map[string]string{"example.com/owner": "ml-team"}),
		jobs.WithImagePullSecrets("registry"),
		jobs.WithImagePullPolicy(corev1.PullIfNotPresent),
		jobs.WithRunTimeLimit(time.Hour),
		jobs.WithTTLAfterFinished(time.Minute),
	}
	var all []jobs.Option
	all = append(all, shared...)
	all = append(all, role(jobs.Master)...)
	all = append(all, role(jobs.Workers)...)
	for _, job := range []jobs.Job{
		jobs.NewParBatch("everything", "train.jl", "work", append(all, jobs.WithNWorkers(2), jobs.WithWorkerGPU(1))...),
		jobs.NewBatch("everything-batch", "train.jl", "work", append(append(append([]jobs.Option{}, shared...),
			role(jobs.Master)...), jobs.WithRetryLimit(3), jobs.WithGPU(1))...),
	} {
		name := job.Spec().Name
		if err := job.Validate(); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if w := jobs.Warnings(job); len(w) > 0 {
			t.Errorf("%s: warnings %v, want none (the pods stay restricted)", name, w)
		}
		if err := e.client.Start(ctx, job, juliarun.WithDryRun(true)); err != nil {
			t.Errorf("dry run of %s: %v", name, err)
		}
		if left := inNamespace(leftovers(t, e.cluster.Config(), name), e.ns); len(left) > 0 {
			t.Errorf("a dry run of %s created %v", name, left)
		}
	}
}
