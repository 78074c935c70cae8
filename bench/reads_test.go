package bench_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"

	"github.com/juliarun/sdk/bench"
	"github.com/juliarun/sdk/jobs"
	"github.com/juliarun/sdk/juliarun"
	"github.com/juliarun/sdk/juliarun/juliaruntest"
)

// workerCounts are the job sizes the cost of reads and deletes is shown at.
var workerCounts = []int{1, 100, 1000}

// bigCluster has room for 1000 workers of the default 0.1 CPU and 512 MiB,
// and their master: 10 nodes of 16 CPUs, 64 GiB and 110 pods.
var bigCluster = juliaruntest.Options{Nodes: 10, NodeCPU: "16", NodeMemory: "64Gi", NodePods: 110}

// BenchmarkWorkerReads measures what reading a job costs at 1, 100 and 1000
// running workers on the simulated cluster: Client.NWorkers and
// Client.Status, next to what a pod-per-worker manager reads to count its
// workers (PodList: one list of the job's worker pods, counted in the
// client), and Client.Scale by one worker. Metrics: reqs/op, <verb>/op,
// resp-B/op (response bytes read) and ns/op.
func BenchmarkWorkerReads(b *testing.B) {
	cluster := startCluster(b, bigCluster)
	ns := newNamespace(b, cluster, "reads")
	cfg := unlimited(cluster.Config())
	ctx := context.Background()
	var counter bench.Counter
	c := newClient(b, counter.Instrument(cfg), ns)
	cs := clientset(b, counter.Instrument(cfg))
	const name = "reads"
	if err := c.Start(ctx, jobs.NewParBatch(name, "main.jl", "work")); err != nil {
		b.Fatal(err)
	}
	for _, n := range workerCounts {
		if err := c.Scale(ctx, name, n); err != nil {
			b.Fatal(err)
		}
		waitWorkers(b, c, name, n)
		time.Sleep(2 * settle) // let the controllers and kwok finish their updates
		measure := func(op string, f func() error) {
			b.Run(fmt.Sprintf("workers=%d/%s", n, op), func(b *testing.B) {
				var t tally
				for b.Loop() {
					t.measure(b, &counter, f)
				}
				t.report(b)
				b.Logf("%s: %v", op, t.last)
			})
		}
		measure("NWorkers", func() error {
			got, err := c.NWorkers(ctx, name)
			if err == nil && got != n {
				err = fmt.Errorf("NWorkers = %d, want %d", got, n)
			}
			return err
		})
		measure("Status", func() error {
			st, err := c.Status(ctx, name)
			if err == nil && st.Running != n {
				err = fmt.Errorf("Status.Running = %d, want %d", st.Running, n)
			}
			return err
		})
		measure("PodList", func() error {
			pods, err := cs.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: "juliarun.io/job=" + name + ",juliarun.io/role=worker"})
			if err != nil {
				return err
			}
			ready := 0
			for i := range pods.Items {
				if podReady(&pods.Items[i]) {
					ready++
				}
			}
			if ready != n {
				return fmt.Errorf("%d ready pods, want %d", ready, n)
			}
			return nil
		})
		up := false
		measure("Scale", func() error {
			up = !up
			if up {
				return c.Scale(ctx, name, n+1)
			}
			return c.Scale(ctx, name, n)
		})
		if err := c.Scale(ctx, name, n); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDelete measures deleting a ParBatch job with 1, 100 and 1000
// running workers on the simulated cluster, two ways interleaved in each
// iteration (the order rotating), each until every pod of the job is gone:
//
//   - sdk: Client.Delete, which returns once every object and pod is gone;
//   - cluster: the cluster's own cascading delete of the same objects, one
//     client-go delete of the job's root ConfigMap with background
//     propagation, which leaves everything else to the garbage collector;
//     it is done when a list of the job's pods, repeated every 10 ms by an
//     uncounted observer, finds none.
//
// Each iteration starts the job and waits for its workers untimed.
// Metrics: sdk-ms and cluster-ms (medians), sdk-reqs/op, sdk-<verb>/op and
// sdk-resp-B/op, and the same for cluster (its one delete).
func BenchmarkDelete(b *testing.B) {
	cluster := startCluster(b, bigCluster)
	ns := newNamespace(b, cluster, "delete")
	ctx := context.Background()
	cfg := unlimited(cluster.Config())
	counters := map[string]*bench.Counter{"sdk": {}, "cluster": {}}
	c := newClient(b, counters["sdk"].Instrument(cfg), ns)
	raw := clientset(b, counters["cluster"].Instrument(cfg))
	observer := clientset(b, cfg)
	seq := 0
	methods := []string{"sdk", "cluster"}
	for _, n := range workerCounts {
		b.Run(fmt.Sprintf("workers=%d", n), func(b *testing.B) {
			s := samples{}
			tallies := map[string]*tally{"sdk": {}, "cluster": {}}
			i := 0
			for b.Loop() {
				for _, m := range rotate(methods, i) {
					b.StopTimer()
					seq++
					name := fmt.Sprintf("del-%d", seq)
					if err := c.Start(ctx, jobs.NewParBatch(name, "main.jl", "work", jobs.WithNWorkers(n))); err != nil {
						b.Fatal(err)
					}
					waitWorkers(b, c, name, n)
					time.Sleep(settle)
					b.StartTimer()
					tallies[m].measure(b, counters[m], func() error {
						start := time.Now()
						var err error
						if m == "sdk" {
							err = c.Delete(ctx, name)
						} else {
							err = cascadeDelete(ctx, raw, observer, ns, name)
						}
						s[m] = append(s[m], time.Since(start))
						return err
					})
				}
				i++
			}
			s.report(b)
			for m, t := range tallies {
				reportCounts(b, t.total, t.ops, m+"-")
				b.Logf("%s Delete: %v", m, t.last)
			}
		})
	}
}

// cascadeDelete is the cluster's own cascading delete of a job: one delete
// of its root with background propagation through cs, then, through the
// uncounted observer, a list of the job's pods every 10 ms until none is
// left.
func cascadeDelete(ctx context.Context, cs, observer kubernetes.Interface, ns, name string) error {
	root := juliarun.NativeLayout().Root(name, ns)
	background := metav1.DeletePropagationBackground
	if err := cs.CoreV1().ConfigMaps(ns).Delete(ctx, root.GetName(), metav1.DeleteOptions{PropagationPolicy: &background}); err != nil {
		return err
	}
	return wait.PollUntilContextTimeout(ctx, 10*time.Millisecond, 3*time.Minute, true, func(ctx context.Context) (bool, error) {
		list, err := observer.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: "juliarun.io/job=" + name, Limit: 1})
		if err != nil {
			return false, err
		}
		return len(list.Items) == 0, nil
	})
}

// waitWorkers waits, up to 5 minutes, until the job has n ready workers.
func waitWorkers(b *testing.B, c juliarun.Client, name string, n int) {
	b.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	st, err := c.Wait(ctx, name, juliarun.AtLeastWorkers(n))
	if err != nil || st.Running < n {
		b.Fatalf("waiting for %d workers of %s: %v (last status %+v)", n, name, err, st)
	}
}
