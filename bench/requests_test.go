package bench_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/juliarun/sdk/bench"
	"github.com/juliarun/sdk/jobs"
	"github.com/juliarun/sdk/juliarun/juliaruntest"
)

// BenchmarkRequests counts the API requests of each Client operation, by
// verb, on an API server without nodes (no controller acts, so the counts
// are the client's alone), next to the minimum: one create per object for
// Start, one write for Scale, one delete per object for Delete (a single
// delete of the root would do where the garbage collector runs). For Start
// and Delete it also counts what kubectl needs for the same job, from
// `kubectl -v=6`: `apply -f` of juliarun.Manifest, and the `delete` command
// Manifest documents.
//
// Metrics: reqs/op and <verb>/op of the SDK, min-reqs/op, kubectl-reqs/op,
// resp-B/op (response bytes the SDK read).
func BenchmarkRequests(b *testing.B) {
	cluster := startCluster(b, juliaruntest.Options{})
	ns := newNamespace(b, cluster, "requests")
	var counter bench.Counter
	c := newClient(b, counter.Instrument(unlimited(cluster.Config())), ns)
	admin := clientset(b, cluster.Config()) // cleanup, not counted
	k := newKubectl(b, cluster)
	ctx := context.Background()
	seq := 0
	next := func(prefix string) string { seq++; return fmt.Sprintf("%s-%d", prefix, seq) }

	for _, jt := range jobTypes {
		b.Run("Start/type="+jt.name, func(b *testing.B) {
			var t tally
			for b.Loop() {
				job := jt.job(next("start"))
				t.measure(b, &counter, func() error { return c.Start(ctx, job) })
				// The API server has room for 254 Service IPs: free them.
				b.StopTimer()
				deleteServices(ctx, b, admin, ns)
				b.StartTimer()
			}
			t.report(b)
			b.ReportMetric(float64(len(render(b, jt.job("min"), ns))), "min-reqs/op")
			kc, err := k.requests(ctx, "apply", "-f", writeManifest(b, jt.job(next("kubectl")), ns))
			if err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(kc.Total()), "kubectl-reqs/op")
			b.Logf("sdk Start: %v", t.last)
			b.Logf("kubectl apply: %v", kc)
		})
	}

	// One ParBatch job with 0 workers for Scale, NWorkers and Status.
	const name = "scaled"
	if err := c.Start(ctx, jobs.NewParBatch(name, "main.jl", "work")); err != nil {
		b.Fatal(err)
	}
	b.Run("Scale/0to100", func(b *testing.B) {
		var t tally
		for b.Loop() {
			t.measure(b, &counter, func() error { return c.Scale(ctx, name, 100) })
			b.StopTimer()
			if err := c.Scale(ctx, name, 0); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
		}
		t.report(b)
		b.ReportMetric(1, "min-reqs/op")
		b.Logf("sdk Scale: %v", t.last)
	})
	b.Run("NWorkers", func(b *testing.B) {
		var t tally
		for b.Loop() {
			t.measure(b, &counter, func() error { _, err := c.NWorkers(ctx, name); return err })
		}
		t.report(b)
		b.ReportMetric(1, "min-reqs/op")
		b.Logf("sdk NWorkers: %v", t.last)
	})
	b.Run("Status", func(b *testing.B) {
		var t tally
		for b.Loop() {
			t.measure(b, &counter, func() error { _, err := c.Status(ctx, name); return err })
		}
		t.report(b)
		b.Logf("sdk Status: %v", t.last)
	})

	for _, jt := range jobTypes {
		b.Run("Delete/type="+jt.name, func(b *testing.B) {
			var t tally
			for b.Loop() {
				b.StopTimer()
				job := jt.job(next("delete"))
				if err := c.Start(ctx, job); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				t.measure(b, &counter, func() error { return c.Delete(ctx, job.Spec().Name) })
			}
			t.report(b)
			b.ReportMetric(float64(len(render(b, jt.job("min"), ns))), "min-reqs/op")
			job := jt.job(next("kubectl"))
			if err := c.Start(ctx, job); err != nil {
				b.Fatal(err)
			}
			kc, err := k.requests(ctx, "delete", "-n", ns, "all,configmap,secret,networkpolicy",
				"-l", "juliarun.io/job="+job.Spec().Name)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(kc.Total()), "kubectl-reqs/op")
			b.Logf("sdk Delete: %v", t.last)
			b.Logf("kubectl delete: %v", kc)
		})
	}
}
