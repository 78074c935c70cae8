package bench_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

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

// BenchmarkDelete measures Client.Delete of a ParBatch job with 1, 100 and
// 1000 running workers on the simulated cluster, until every object and pod
// of the job is gone. Each iteration starts the job and waits for its
// workers untimed. Metrics: reqs/op, <verb>/op, resp-B/op and ns/op.
func BenchmarkDelete(b *testing.B) {
	cluster := startCluster(b, bigCluster)
	ns := newNamespace(b, cluster, "delete")
	ctx := context.Background()
	var counter bench.Counter
	c := newClient(b, counter.Instrument(unlimited(cluster.Config())), ns)
	seq := 0
	for _, n := range workerCounts {
		b.Run(fmt.Sprintf("workers=%d", n), func(b *testing.B) {
			var t tally
			for b.Loop() {
				b.StopTimer()
				seq++
				name := fmt.Sprintf("del-%d", seq)
				if err := c.Start(ctx, jobs.NewParBatch(name, "main.jl", "work", jobs.WithNWorkers(n))); err != nil {
					b.Fatal(err)
				}
				waitWorkers(b, c, name, n)
				b.StartTimer()
				t.measure(b, &counter, func() error { return c.Delete(ctx, name) })
			}
			t.report(b)
			b.Logf("Delete: %v", t.last)
		})
	}
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
