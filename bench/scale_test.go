package bench_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"

	"github.com/juliarun/sdk/bench"
	"github.com/juliarun/sdk/jobs"
	"github.com/juliarun/sdk/juliarun"
	"github.com/juliarun/sdk/juliarun/juliaruntest"
)

// podPollInterval is how long the pod-per-worker manager sleeps between two
// rounds of reading each of its pods that is not ready yet.
// K8sClusterManagers.jl polls each pod once a second, with a kubectl process
// per read; this baseline is kinder: client-go, a tenth of that interval.
const podPollInterval = 100 * time.Millisecond

// kubectlPollInterval is how often K8sClusterManagers.jl reads each pod
// (`kubectl get pod/<name> -o json`) until it runs, and kubectlTasks how
// many workers it launches at once (asyncmap's default).
const (
	kubectlPollInterval = time.Second
	kubectlTasks        = 100
)

// kubectlMaxWorkers is the largest n the kubectl-driven pod-per-worker
// manager is measured at: each worker costs two or more kubectl processes.
const kubectlMaxWorkers = 100

// pollInterval is the sleep of the NWorkers polling loop.
const pollInterval = 20 * time.Millisecond

// podPerWorkerLabel marks the pods the pod-per-worker baseline creates.
const podPerWorkerLabel = "bench.juliarun.io/pod-per-worker"

// BenchmarkScaleToReady times going from 0 to n running and ready workers on
// the simulated cluster (6 nodes of 16 CPUs, 64 GiB and 110 pods; each worker
// asks for the default 0.1 CPU and 512 MiB), five ways interleaved in each
// iteration, with the order rotating; every method starts from 0 workers,
// the cleanup between them untimed:
//
//   - sdk: Client.Scale(n), then Client.Wait(AtLeastWorkers(n)), which
//     watches and reads Status on each change; cluster-ms is when an
//     independent watch on the worker StatefulSet, started before Scale, saw
//     n ready replicas in that same run: what the cluster itself needs;
//   - nworkers: Client.Scale(n), then Client.NWorkers every 20 ms until n;
//   - sts: the same kind of StatefulSet (another job's) patched directly with
//     client-go, then watched until its status has n ready replicas;
//   - pods: a pod-per-worker manager: n Pods of the same template created
//     one by one, then each pod not yet ready read (GET) once per round,
//     rounds 100 ms apart, until all are running and ready;
//   - pods-kubectl: the pod-per-worker manager as K8sClusterManagers.jl
//     implements it: for each worker, up to 100 at once, a `kubectl create
//     -f -` process, then a `kubectl get pod/<name> -o json` process every
//     second until the pod runs. It takes 14–18 s at n = 100 on this
//     machine, so it runs once per n, and only for n <= 100.
//
// No client has a client-side rate limit. Metrics: the median of each
// method (sdk-ms, cluster-ms, nworkers-ms, sts-ms, pods-ms,
// pods-kubectl-ms) and each Go method's requests per operation.
func BenchmarkScaleToReady(b *testing.B) {
	cluster := startCluster(b, juliaruntest.Options{Nodes: 6, NodeCPU: "16", NodeMemory: "64Gi", NodePods: 110})
	ns := newNamespace(b, cluster, "scale")
	cfg := unlimited(cluster.Config())
	ctx := context.Background()
	counters := map[string]*bench.Counter{"sdk": {}, "nworkers": {}, "sts": {}, "pods": {}}
	sdk := newClient(b, counters["sdk"].Instrument(cfg), ns)
	poller := newClient(b, counters["nworkers"].Instrument(cfg), ns)
	stsClient := clientset(b, counters["sts"].Instrument(cfg))
	podsClient := clientset(b, counters["pods"].Instrument(cfg))
	cs := clientset(b, cfg) // observers and cleanup, not counted

	// Three jobs with 0 workers whose masters run: Notebooks, whose workers
	// (restart policy Always) are a StatefulSet, the workload the sts
	// baseline patches by hand. (A JuliaParBatch's workers are an Indexed
	// Job, whose controller reports readiness in batches of about 1 s.)
	for _, name := range []string{"sdk", "poll", "base"} {
		if err := sdk.Start(ctx, jobs.NewNotebook(name, "work")); err != nil {
			b.Fatal(err)
		}
		wctx, cancel := context.WithTimeout(ctx, time.Minute)
		st, err := sdk.Wait(wctx, name, juliarun.Running())
		cancel()
		if err != nil || st.Phase != juliarun.PhaseRunning {
			b.Fatalf("job %s not running: %v (%+v)", name, err, st)
		}
	}
	base, err := cs.AppsV1().StatefulSets(ns).Get(ctx, "base-workers", metav1.GetOptions{})
	if err != nil {
		b.Fatal(err)
	}
	template := base.Spec.Template

	k := newKubectl(b, cluster)
	methods := []string{"sdk", "nworkers", "sts", "pods", "pods-kubectl"}
	for _, n := range []int{10, 100, 500} {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			s := samples{}
			totals := map[string]bench.Counts{}
			i := 0
			for b.Loop() {
				for _, m := range rotate(methods, i) {
					if m == "pods-kubectl" {
						if i == 0 && n <= kubectlMaxWorkers {
							s.time(b, m, func() error { return podPerWorkerKubectl(ctx, k, ns, template, n) })
							b.StopTimer()
							cleanupScale(ctx, b, cs, sdk, ns, "pods")
							b.StartTimer()
						}
						continue
					}
					before := counters[m].Snapshot()
					switch m {
					case "sdk":
						seen := observeReady(ctx, b, cs, ns, "sdk-workers", n)
						start := time.Now()
						s.time(b, m, func() error {
							if err := sdk.Scale(ctx, "sdk", n); err != nil {
								return err
							}
							wctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
							defer cancel()
							st, err := sdk.Wait(wctx, "sdk", juliarun.AtLeastWorkers(n))
							if err == nil && st.Running < n {
								err = fmt.Errorf("wait returned with %d of %d workers: %+v", st.Running, n, st)
							}
							return err
						})
						at, err := seen()
						if err != nil {
							b.Fatal(err)
						}
						s["cluster"] = append(s["cluster"], at.Sub(start))
					case "nworkers":
						s.time(b, m, func() error {
							if err := poller.Scale(ctx, "poll", n); err != nil {
								return err
							}
							return wait.PollUntilContextTimeout(ctx, pollInterval, 3*time.Minute, true, func(ctx context.Context) (bool, error) {
								got, err := poller.NWorkers(ctx, "poll")
								return got >= n, err
							})
						})
					case "sts":
						s.time(b, m, func() error { return scaleStatefulSet(ctx, stsClient, ns, "base-workers", n) })
					case "pods":
						s.time(b, m, func() error { return podPerWorker(ctx, podsClient, ns, template, n) })
					}
					totals[m] = addCounts(totals[m], counters[m].Snapshot().Sub(before))
					b.StopTimer()
					cleanupScale(ctx, b, cs, sdk, ns, m)
					b.StartTimer()
				}
				i++
			}
			s.report(b)
			for m, total := range totals {
				reportCounts(b, total, i, m+"-")
			}
		})
	}
}

// observeReady watches the StatefulSet from now on and returns a function
// that waits for the moment it first reported at least n ready replicas.
func observeReady(ctx context.Context, b *testing.B, cs kubernetes.Interface, ns, name string, n int) func() (time.Time, error) {
	b.Helper()
	cur, err := cs.AppsV1().StatefulSets(ns).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		b.Fatal(err)
	}
	done := make(chan struct{})
	var at time.Time
	var werr error
	go func() {
		defer close(done)
		at, werr = waitReadyReplicas(ctx, cs, ns, name, cur.ResourceVersion, n)
	}()
	return func() (time.Time, error) { <-done; return at, werr }
}

// waitReadyReplicas watches the StatefulSet from resourceVersion until its
// status reports at least n ready replicas, and returns when it saw that.
func waitReadyReplicas(ctx context.Context, cs kubernetes.Interface, ns, name, resourceVersion string, n int) (time.Time, error) {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
	for {
		w, err := cs.AppsV1().StatefulSets(ns).Watch(ctx, metav1.ListOptions{
			FieldSelector:   fields.OneTermEqualSelector("metadata.name", name).String(),
			ResourceVersion: resourceVersion,
		})
		if err != nil {
			return time.Time{}, err
		}
		for ev := range w.ResultChan() {
			sts, ok := ev.Object.(*appsv1.StatefulSet)
			if !ok || ev.Type == watch.Error {
				continue
			}
			resourceVersion = sts.ResourceVersion
			if int(sts.Status.ReadyReplicas) >= n {
				w.Stop()
				return time.Now(), nil
			}
		}
		w.Stop()
		if ctx.Err() != nil {
			return time.Time{}, fmt.Errorf("waiting for %d ready replicas of %s: %w", n, name, ctx.Err())
		}
	}
}

// scaleStatefulSet is what a client-go program does without the SDK: patch
// the replicas, then watch the StatefulSet until n replicas are ready.
func scaleStatefulSet(ctx context.Context, cs kubernetes.Interface, ns, name string, n int) error {
	patch, err := json.Marshal(map[string]any{"spec": map[string]any{"replicas": n}})
	if err != nil {
		return err
	}
	sts, err := cs.AppsV1().StatefulSets(ns).Patch(ctx, name, types.MergePatchType, patch, metav1.PatchOptions{})
	if err != nil {
		return err
	}
	if int(sts.Status.ReadyReplicas) >= n {
		return nil
	}
	_, err = waitReadyReplicas(ctx, cs, ns, name, sts.ResourceVersion, n)
	return err
}

// podPerWorker is what a pod-per-worker cluster manager does: create one
// Pod per worker, one by one, then poll each pod until it runs and is ready.
func podPerWorker(ctx context.Context, cs kubernetes.Interface, ns string, template corev1.PodTemplateSpec, n int) error {
	pending := make([]string, 0, n)
	for i := range n {
		pod := &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("worker-%d", i), Namespace: ns,
				Labels: map[string]string{podPerWorkerLabel: "true"}},
			Spec: *template.Spec.DeepCopy(),
		}
		pod.Spec.RestartPolicy = corev1.RestartPolicyNever
		if _, err := cs.CoreV1().Pods(ns).Create(ctx, pod, metav1.CreateOptions{}); err != nil {
			return err
		}
		pending = append(pending, pod.Name)
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
	for {
		var still []string
		for _, name := range pending {
			pod, err := cs.CoreV1().Pods(ns).Get(ctx, name, metav1.GetOptions{})
			if err != nil {
				return err
			}
			if !podReady(pod) {
				still = append(still, name)
			}
		}
		if pending = still; len(pending) == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%d of %d pods not ready: %w", len(pending), n, ctx.Err())
		case <-time.After(podPollInterval):
		}
	}
}

// podPerWorkerKubectl is K8sClusterManagers.jl's launch: for each worker,
// concurrently up to kubectlTasks, create its pod with a kubectl process,
// then read it with another every kubectlPollInterval until it runs.
func podPerWorkerKubectl(ctx context.Context, k *kubectl, ns string, template corev1.PodTemplateSpec, n int) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	sem := make(chan struct{}, kubectlTasks)
	errs := make(chan error, n)
	for i := range n {
		pod := &corev1.Pod{
			TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
			ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("kworker-%d", i), Namespace: ns,
				Labels: map[string]string{podPerWorkerLabel: "true"}},
			Spec: *template.Spec.DeepCopy(),
		}
		pod.Spec.RestartPolicy = corev1.RestartPolicyNever
		manifest, err := json.Marshal(pod)
		if err != nil {
			return err
		}
		go func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			if _, _, err := k.runWithInput(ctx, manifest, "create", "-f", "-"); err != nil {
				errs <- err
				return
			}
			for {
				out, err := k.run(ctx, "get", "-n", ns, "pod/"+pod.Name, "-o", "json")
				if err != nil {
					errs <- err
					return
				}
				var got corev1.Pod
				if err := json.Unmarshal([]byte(out), &got); err != nil {
					errs <- fmt.Errorf("kubectl get pod/%s: %w", pod.Name, err)
					return
				}
				if got.Status.Phase != corev1.PodPending {
					errs <- nil
					return
				}
				select {
				case <-ctx.Done():
					errs <- ctx.Err()
					return
				case <-time.After(kubectlPollInterval):
				}
			}
		}()
	}
	var first error
	for range n {
		if err := <-errs; err != nil && first == nil {
			first = err
			cancel()
		}
	}
	return first
}

// podReady reports whether the pod runs and is Ready.
func podReady(p *corev1.Pod) bool {
	if p.Status.Phase != corev1.PodRunning {
		return false
	}
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// cleanupScale brings the method's workers back to 0 and waits until their
// pods are gone, so that the next method starts from an empty cluster.
func cleanupScale(ctx context.Context, b *testing.B, cs kubernetes.Interface, sdk juliarun.Client, ns, method string) {
	b.Helper()
	var err error
	var selector string
	switch method {
	case "sdk", "nworkers":
		job := map[string]string{"sdk": "sdk", "nworkers": "poll"}[method]
		err = sdk.Scale(ctx, job, 0)
		selector = "juliarun.io/job=" + job + ",juliarun.io/role=worker"
	case "sts":
		_, err = cs.AppsV1().StatefulSets(ns).Patch(ctx, "base-workers", types.MergePatchType,
			[]byte(`{"spec":{"replicas":0}}`), metav1.PatchOptions{})
		selector = "juliarun.io/job=base,juliarun.io/role=worker"
	case "pods":
		selector = podPerWorkerLabel + "=true"
		err = cs.CoreV1().Pods(ns).DeleteCollection(ctx, metav1.DeleteOptions{},
			metav1.ListOptions{LabelSelector: selector})
	}
	if err != nil {
		b.Fatalf("cleaning up after %s: %v", method, err)
	}
	if err := waitPodsGone(ctx, cs, ns, selector); err != nil {
		b.Fatalf("cleaning up after %s: %v", method, err)
	}
	if method == "pods" {
		time.Sleep(settle)
		return
	}
	// The workload's status must say 0 too, or the next run's watch could
	// see the previous run's ready count.
	name := map[string]string{"sdk": "sdk-workers", "nworkers": "poll-workers", "sts": "base-workers"}[method]
	err = wait.PollUntilContextTimeout(ctx, 50*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		sts, err := cs.AppsV1().StatefulSets(ns).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		return sts.Status.ReadyReplicas == 0 && sts.Status.Replicas == 0 && sts.Status.ObservedGeneration == sts.Generation, nil
	})
	if err != nil {
		b.Fatalf("cleaning up after %s: %v", method, err)
	}
	time.Sleep(settle)
}

// settle is how long the cluster is left alone after a cleanup, so that
// the controllers' and kwok's work on the deleted pods does not slow the
// next method down.
const settle = 500 * time.Millisecond
