package bench_test

import (
	"context"
	"fmt"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/juliarun/sdk/bench"
	"github.com/juliarun/sdk/juliarun/juliaruntest"
)

// BenchmarkStart times starting one job of each type three ways on the same
// API server (without nodes, so no controller competes for the CPU),
// interleaved in every iteration with the order rotating:
//
//   - sdk: Client.Start, which validates, renders and creates the objects;
//   - clientgo: the same objects, rendered beforehand (untimed), created by
//     hand-written calls of client-go's typed clientset, root first, the
//     others owned by it: the least a program can do;
//   - kubectl: `kubectl apply -f` of juliarun.Manifest's YAML, written
//     beforehand (untimed), with a warm discovery cache.
//
// The Services of each iteration are deleted after it, untimed (the API
// server has 254 Service IPs). Neither Go client has a client-side rate
// limit; both count their requests through the same kind of wrapping
// transport. Metrics: the median of each method, sdk-ms, clientgo-ms and
// kubectl-ms, and each Go client's requests (sdk-reqs/op,
// clientgo-reqs/op).
func BenchmarkStart(b *testing.B) {
	cluster := startCluster(b, juliaruntest.Options{})
	ns := newNamespace(b, cluster, "start")
	cfg := unlimited(cluster.Config())
	var counter, rawCounter bench.Counter
	c := newClient(b, counter.Instrument(cfg), ns)
	cs := clientset(b, rawCounter.Instrument(cfg))
	admin := clientset(b, cfg) // cleanup, not counted
	k := newKubectl(b, cluster)
	ctx := context.Background()
	seq := 0
	next := func(prefix string) string { seq++; return fmt.Sprintf("%s-%d", prefix, seq) }

	// Warm every path once: connections, controller-runtime's per-kind REST
	// clients, client-go's group clients.
	for _, jt := range jobTypes {
		if err := c.Start(ctx, jt.job(next("warm"))); err != nil {
			b.Fatal(err)
		}
		if err := createRaw(ctx, cs, render(b, jt.job(next("warm")), ns)); err != nil {
			b.Fatal(err)
		}
	}

	methods := []string{"sdk", "clientgo", "kubectl"}
	for _, jt := range jobTypes {
		b.Run("type="+jt.name, func(b *testing.B) {
			s := samples{}
			var total, rawTotal bench.Counts
			i := 0
			for b.Loop() {
				// Prepared untimed: the objects for client-go, the file for
				// kubectl.
				raw := render(b, jt.job(next("clientgo")), ns)
				file := writeManifest(b, jt.job(next("kubectl")), ns)
				sdkJob := jt.job(next("sdk"))
				for _, m := range rotate(methods, i) {
					switch m {
					case "sdk":
						before := counter.Snapshot()
						s.time(b, m, func() error { return c.Start(ctx, sdkJob) })
						total = addCounts(total, counter.Snapshot().Sub(before))
					case "clientgo":
						before := rawCounter.Snapshot()
						s.time(b, m, func() error { return createRaw(ctx, cs, raw) })
						rawTotal = addCounts(rawTotal, rawCounter.Snapshot().Sub(before))
					case "kubectl":
						s.time(b, m, func() error {
							_, err := k.run(ctx, "apply", "-f", file)
							return err
						})
					}
				}
				i++
				// The API server has room for 254 Service IPs: free them.
				b.StopTimer()
				deleteServices(ctx, b, admin, ns)
				b.StartTimer()
			}
			s.report(b)
			reportCounts(b, total, i, "sdk-")
			reportCounts(b, rawTotal, i, "clientgo-")
		})
	}
}

// deleteServices deletes every Service in ns.
func deleteServices(ctx context.Context, b *testing.B, cs kubernetes.Interface, ns string) {
	b.Helper()
	list, err := cs.CoreV1().Services(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		b.Fatal(err)
	}
	for _, svc := range list.Items {
		if err := cs.CoreV1().Services(ns).Delete(ctx, svc.Name, metav1.DeleteOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}
