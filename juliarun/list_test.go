package juliarun_test

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/juliarun/sdk/jobs"
	"github.com/juliarun/sdk/juliarun"
	"github.com/juliarun/sdk/resources"
)

// TestListAgreesWithStatus starts jobs of every kind of workload in every
// state List judges differently (running, with workers waiting for room,
// with a failed worker, pending for a missing volume, succeeded) and checks
// that List, which reads every job's objects at once, says of each what
// Status says of it alone.
func TestListAgreesWithStatus(t *testing.T) {
	cluster := sharedCluster(t)
	e := newEnv(t, cluster)
	ctx := context.Background()
	start := []jobs.Job{
		jobs.NewParBatch("running", "pi.jl", "work", jobs.WithNWorkers(2)),
		jobs.NewParBatch("crowded", "pi.jl", "work", jobs.WithNWorkers(2), jobs.WithWorkerCPU(resources.Cores(1000))),
		jobs.NewParBatch("failing", "pi.jl", "work", jobs.WithNWorkers(2), jobs.WithRestart(jobs.RestartNever)),
		jobs.NewParBatchWorkers("array", "unit.jl", "work", jobs.WithNWorkers(2), jobs.WithRestart(jobs.RestartOnFailure)),
		jobs.NewNotebook("notebook", "work", jobs.WithNWorkers(1)),
		jobs.NewWebserver("web", "nginx.conf", "work"),
		jobs.NewBatch("lost", "run.jl", "nosuchclaim"),
		jobs.NewBatch("done", "run.jl", "work"),
	}
	for _, j := range start {
		if err := e.client.Start(ctx, j); err != nil {
			t.Fatal(err)
		}
	}
	e.waitFor(t, "running", "2 workers", juliarun.AtLeastWorkers(2))
	e.waitFor(t, "crowded", "its workers waiting", func(s *juliarun.Status) bool {
		return s.Phase == juliarun.PhaseRunning && strings.Contains(s.Reason, "2 of 2 workers waiting")
	})
	e.waitFor(t, "failing", "2 workers", juliarun.AtLeastWorkers(2))
	if err := cluster.ExitPod(ctx, e.ns, e.pods(t, "failing", "worker")[0].Name, 3); err != nil {
		t.Fatal(err)
	}
	e.waitFor(t, "failing", "a failed worker", func(s *juliarun.Status) bool { return s.FailedWorkers == 1 })
	e.waitFor(t, "array", "its units", juliarun.AtLeastWorkers(2))
	e.waitFor(t, "notebook", "running", juliarun.Running())
	e.waitFor(t, "web", "running", juliarun.Running())
	e.waitFor(t, "done", "running", juliarun.Running())
	if err := cluster.ExitPod(ctx, e.ns, e.pods(t, "done", "master")[0].Name, 0); err != nil {
		t.Fatal(err)
	}
	e.waitFor(t, "done", "the end", juliarun.Finished())

	// The cluster may still move between List and the Status calls: look
	// until they agree.
	var diff string
	eventually(t, "List to agree with Status", func(ctx context.Context) (bool, error) {
		list, err := e.client.List(ctx)
		if err != nil {
			return false, err
		}
		var each []juliarun.Status
		for _, j := range start {
			st, err := e.client.Status(ctx, j.Spec().Name)
			if err != nil {
				return false, err
			}
			each = append(each, *st)
		}
		diff = cmp.Diff(each, list, cmpopts.SortSlices(func(a, b juliarun.Status) bool { return a.Name < b.Name }))
		if diff == "" {
			for _, st := range list {
				t.Logf("%s: %s, %d of %d running, %d failed; %s", st.Name, st.Phase, st.Running, st.Requested, st.FailedWorkers, st.Reason)
			}
		}
		return diff == "", nil
	})
	if diff != "" {
		t.Errorf("List (-Status +List):\n%s", diff)
	}
}
