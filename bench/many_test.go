package bench_test

import (
	"context"
	"flag"
	"fmt"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/juliarun/sdk/bench"
	"github.com/juliarun/sdk/jobs"
	"github.com/juliarun/sdk/juliarun"
	"github.com/juliarun/sdk/juliarun/juliaruntest"
)

// manyJobs is the number of jobs BenchmarkManyJobs starts at once.
var manyJobs = flag.Int("bench.manyjobs", 200, "number of jobs BenchmarkManyJobs starts concurrently")

// BenchmarkManyJobs starts -bench.manyjobs (200) Batch jobs concurrently,
// one goroutine each, through one Client, on an API server without nodes,
// under three client-side rate limits:
//
//   - default: the rest.Config's own, which client-go defaults to QPS 5 and
//     burst 10;
//   - 100x200: juliarun.WithRateLimit(100, 200);
//   - none: no client-side limit (QPS -1), to show what the API server
//     itself allows.
//
// Metrics: jobs/s, the client's heap at its peak over the heap before
// (peak-heap-MiB, sampled every 10 ms), and, with -benchmem, B/op and
// allocs/op of the whole operation (all jobs), plus the requests made.
func BenchmarkManyJobs(b *testing.B) {
	cluster := startCluster(b, juliaruntest.Options{})
	ns := newNamespace(b, cluster, "many")
	ctx := context.Background()
	seq := 0
	for _, limit := range []struct {
		name string
		cfg  func() juliarun.Option
		qps  float32
	}{
		{"default", func() juliarun.Option { return nil }, 0},
		{"100x200", func() juliarun.Option { return juliarun.WithRateLimit(100, 200) }, 0},
		{"none", func() juliarun.Option { return nil }, -1},
	} {
		b.Run("limit="+limit.name, func(b *testing.B) {
			var counter bench.Counter
			cfg := counter.Instrument(cluster.Config())
			cfg.QPS, cfg.Burst = limit.qps, 0 // 0: client-go's defaults (5, 10)
			c := newClient(b, cfg, ns, limit.cfg())
			b.ReportAllocs()
			var elapsed time.Duration
			var peak uint64
			ops := 0
			before := counter.Snapshot()
			for b.Loop() {
				b.StopTimer()
				names := make([]string, *manyJobs)
				for i := range names {
					seq++
					names[i] = fmt.Sprintf("many-%d", seq)
				}
				runtime.GC()
				var ms runtime.MemStats
				runtime.ReadMemStats(&ms)
				base := ms.HeapAlloc
				stop := sampleHeap(&peak, base)
				b.StartTimer()

				start := time.Now()
				errs := make(chan error, len(names))
				var wg sync.WaitGroup
				for _, name := range names {
					wg.Go(func() { errs <- c.Start(ctx, jobs.NewBatch(name, "main.jl", "work")) })
				}
				wg.Wait()
				elapsed += time.Since(start)
				stop()
				close(errs)
				for err := range errs {
					if err != nil {
						b.Fatal(err)
					}
				}
				ops++
			}
			b.ReportMetric(float64(ops**manyJobs)/elapsed.Seconds(), "jobs/s")
			b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
			reportCounts(b, counter.Snapshot().Sub(before), ops, "")
		})
	}
}

// sampleHeap records in *peak, every 10 ms until the returned function is
// called, the largest heap seen above base.
func sampleHeap(peak *uint64, base uint64) (stop func()) {
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(10 * time.Millisecond)
		defer t.Stop()
		for {
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			if ms.HeapAlloc > base && ms.HeapAlloc-base > *peak {
				*peak = ms.HeapAlloc - base
			}
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return func() { close(done); <-finished }
}
