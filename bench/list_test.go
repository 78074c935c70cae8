package bench_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"

	"github.com/juliarun/sdk/bench"
	"github.com/juliarun/sdk/jobs"
	"github.com/juliarun/sdk/juliarun"
	"github.com/juliarun/sdk/resources"
)

// jobCounts are the numbers of jobs List is measured at.
var jobCounts = []int{1, 100, 1000}

// listJob returns the i-th job of BenchmarkList and how many pods it runs
// (one each):
// the first eight are one of each type (small, at most one worker), the
// rest cycle through cheap ones (Batch, ParBatch without workers, a job
// array of one unit, Generic), every tenth a Webserver of one replica, so
// that 1000 of them fit the big cluster's 1100 pods and its Service range.
func listJob(i int) (jobs.Job, int) {
	name := fmt.Sprintf("job-%04d", i)
	small := []jobs.Option{jobs.WithCPU(resources.Cores(0.1)), jobs.WithMemory(resources.MiB(256))}
	switch i {
	case 3:
		return jobs.NewNotebook(name, "work"), 1
	case 4:
		return jobs.NewPkgBuilder(name, "build.jl", "work", "stats", small...), 1
	case 6:
		return jobs.NewMessageQ(name, "rabbitmq.conf", "work", small...), 1
	}
	if i%10 == 9 || i == 5 {
		return jobs.NewWebserver(name, "nginx.conf", "work", jobs.WithNWorkers(1)), 1
	}
	switch i % 4 {
	case 1:
		return jobs.NewParBatch(name, "main.jl", "work"), 1
	case 2:
		return jobs.NewParBatchWorkers(name, "unit.jl", "work", jobs.WithNWorkers(1)), 1
	case 3:
		return jobs.NewGeneric(name, "busybox", "work", jobs.WithCommand("sleep", "infinity")), 1
	}
	return jobs.NewBatch(name, "main.jl", "work"), 1
}

// BenchmarkList measures Client.List with 1, 100 and 1000 running jobs of
// every type (listJob) on the simulated cluster, next to what List did
// before it read every kind at once: Client.Status of each job in turn
// (status-each), the two interleaved, the order rotating. At 100 jobs it
// also measures Client.Status of one running job of each type. Metrics:
// sdk-ms, status-each-ms, and each method's reqs/op, <verb>/op and
// resp-B/op; for Status, reqs/op, <verb>/op, resp-B/op and ns/op.
func BenchmarkList(b *testing.B) {
	cluster := startCluster(b, bigCluster)
	ns := newNamespace(b, cluster, "list")
	cfg := unlimited(cluster.Config())
	ctx := context.Background()
	var counter bench.Counter
	c := newClient(b, counter.Instrument(cfg), ns)
	setup := newClient(b, cfg, ns)
	cs := clientset(b, cfg)
	started, pods := 0, 0
	for _, n := range jobCounts {
		pods += startListJobs(ctx, b, setup, started, n)
		started = n
		waitRunningPods(ctx, b, cs, ns, pods)
		time.Sleep(2 * settle)
		b.Run(fmt.Sprintf("jobs=%d", n), func(b *testing.B) {
			s := samples{}
			tallies := map[string]*tally{"sdk": {}, "status-each": {}}
			i := 0
			for b.Loop() {
				for _, m := range rotate([]string{"sdk", "status-each"}, i) {
					tallies[m].measure(b, &counter, func() error {
						start := time.Now()
						got, err := listWith(ctx, c, m, n)
						s[m] = append(s[m], time.Since(start))
						if err == nil && got != n {
							err = fmt.Errorf("%s: %d running jobs, want %d", m, got, n)
						}
						return err
					})
				}
				i++
			}
			s.report(b)
			for m, t := range tallies {
				reportCounts(b, t.total, t.ops, m+"-")
				b.Logf("%s: %v", m, t.last)
			}
		})
		if n != 100 {
			continue
		}
		for i := range 8 {
			job, _ := listJob(i)
			b.Run("Status/type="+string(job.Type()), func(b *testing.B) {
				var t tally
				for b.Loop() {
					t.measure(b, &counter, func() error {
						st, err := c.Status(ctx, job.Spec().Name)
						if err == nil && st.Phase != juliarun.PhaseRunning {
							err = fmt.Errorf("%s is %s: %s", st.Name, st.Phase, st.Reason)
						}
						return err
					})
				}
				t.report(b)
				b.Logf("Status of a %s: %v", job.Type(), t.last)
			})
		}
	}
}

// listWith reads the status of the first n jobs of listJob with method
// (sdk: one Client.List; status-each: Client.Status of each job, by its
// known name, as List did before) and returns how many run.
func listWith(ctx context.Context, c juliarun.Client, method string, n int) (int, error) {
	var list []juliarun.Status
	if method == "sdk" {
		var err error
		if list, err = c.List(ctx); err != nil {
			return 0, err
		}
	} else {
		for i := range n {
			job, _ := listJob(i)
			st, err := c.Status(ctx, job.Spec().Name)
			if err != nil {
				return 0, err
			}
			list = append(list, *st)
		}
	}
	running := 0
	for _, st := range list {
		if st.Phase == juliarun.PhaseRunning {
			running++
		}
	}
	return running, nil
}

// startListJobs starts jobs from (listJob) up to n, 16 at a time, and
// returns how many pods they run.
func startListJobs(ctx context.Context, b *testing.B, c juliarun.Client, from, n int) int {
	b.Helper()
	start := time.Now()
	next := make(chan int)
	errs := make(chan error, n)
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			for i := range next {
				job, _ := listJob(i)
				errs <- c.Start(ctx, job)
			}
		})
	}
	pods := 0
	for i := from; i < n; i++ {
		_, p := listJob(i)
		pods += p
		next <- i
	}
	close(next)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			b.Fatal(err)
		}
	}
	b.Logf("%d jobs started in %v", n-from, time.Since(start).Round(time.Millisecond))
	return pods
}

// waitRunningPods waits, up to 10 minutes, until n pods of the namespace's
// jobs run and are ready.
func waitRunningPods(ctx context.Context, b *testing.B, cs kubernetes.Interface, ns string, n int) {
	b.Helper()
	start := time.Now()
	err := wait.PollUntilContextTimeout(ctx, time.Second, 10*time.Minute, true, func(ctx context.Context) (bool, error) {
		list, err := cs.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: "app.kubernetes.io/managed-by=juliarun"})
		if err != nil {
			return false, err
		}
		ready := 0
		for i := range list.Items {
			if podReady(&list.Items[i]) {
				ready++
			}
		}
		return ready >= n, nil
	})
	if err != nil {
		b.Fatalf("waiting for %d running pods: %v", n, err)
	}
	b.Logf("%d pods running in %v", n, time.Since(start).Round(time.Millisecond))
}
