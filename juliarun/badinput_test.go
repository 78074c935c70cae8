package juliarun_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/juliarun/sdk/jobs"
	"github.com/juliarun/sdk/juliarun"
	"github.com/juliarun/sdk/juliarun/juliaruntest"
)

// snapshot is what the cluster holds of a job: kind, name, UID and
// resourceVersion of each object, sorted. On a cluster without controllers
// nothing changes it but clients.
func snapshot(t *testing.T, admin client.Client, ns, name string) []string {
	t.Helper()
	objs, err := storedObjects(context.Background(), admin, ns, []string{name})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, o := range objs[name] {
		out = append(out, o.kindName+" "+o.uid+" "+o.rv)
	}
	slices.Sort(out)
	return out
}

// noPanic runs f and turns a panic into an error.
func noPanic(f func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	return f()
}

// TestBadInput feeds the Client what it must refuse: nil jobs (also typed
// nil pointers), an invalid job, absurd worker counts, and job names that
// no job can have, among them names that would widen or narrow a label
// selector. Each gets an error matching jobs.ErrInvalid, never a panic, and
// an existing job stays exactly as it was.
func TestBadInput(t *testing.T) {
	e := newEnv(t, apiOnlyCluster(t))
	w := newFaultWorker(t, e)
	c := e.client
	ctx := context.Background()
	if err := c.Start(ctx, jobs.NewParBatch("a", "pi.jl", "work", jobs.WithNWorkers(2))); err != nil {
		t.Fatal(err)
	}
	before := snapshot(t, w.admin, e.ns, "a")
	always := func(*juliarun.Status) bool { return true }
	tests := []struct {
		name string
		call func() error
	}{
		{"Start(nil)", func() error { return c.Start(ctx, nil) }},
		{"Start of a nil *Batch", func() error { return c.Start(ctx, (*jobs.Batch)(nil)) }},
		{"Start of a nil *ParBatch", func() error { return c.Start(ctx, (*jobs.ParBatch)(nil)) }},
		{"Update of a nil *Notebook", func() error { return c.Update(ctx, (*jobs.Notebook)(nil)) }},
		{"Manifest of a nil *Generic", func() error {
			_, err := juliarun.Manifest(juliarun.NewNativeBackend(), (*jobs.Generic)(nil), e.ns)
			return err
		}},
		{"Start of an invalid job", func() error { return c.Start(ctx, jobs.NewBatch("Bad_Name", "", "work")) }},
		{"Update to an invalid job", func() error { return c.Update(ctx, jobs.NewParBatch("a", "", "work")) }},
		{"Scale to 10^6", func() error { return c.Scale(ctx, "a", 1_000_000) }},
		{"Scale to -1", func() error { return c.Scale(ctx, "a", -1) }},
		{"Delete of a name that narrows the selector", func() error { return c.Delete(ctx, "a,juliarun.io/role=worker") }},
		{"Delete of a name with a set selector", func() error { return c.Delete(ctx, "a) ,x in (y") }},
		{"Delete of an empty name", func() error { return c.Delete(ctx, "") }},
		{"Wait on a name that widens the selector", func() error {
			_, err := c.Wait(ctx, "x,juliarun.io/job!=x", always)
			return err
		}},
		{"Status of an upper-case name", func() error { return errOf(c.Status(ctx, "A")) }},
		{"NWorkers of a path", func() error { return errOf(c.NWorkers(ctx, "../a")) }},
		{"Scale of a name too long", func() error { return c.Scale(ctx, strings.Repeat("a", 64), 1) }},
		{"Endpoint of a name with a slash", func() error { return errOf(c.Endpoint(ctx, "a/b")) }},
		{"Logs of an empty name", func() error { return errOf(c.Logs(ctx, "", juliarun.LogOptions{})) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := noPanic(tt.call); !errors.Is(err, jobs.ErrInvalid) {
				t.Errorf("got %v, want an error matching jobs.ErrInvalid", err)
			}
		})
	}
	if diff := cmp.Diff(before, snapshot(t, w.admin, e.ns, "a")); diff != "" {
		t.Errorf("job a changed (-before +after):\n%s", diff)
	}
	st, err := c.Status(ctx, "a")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(2, st.Requested); diff != "" {
		t.Errorf("requested workers of a (-want +got):\n%s", diff)
	}
	if err := c.Delete(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	// (The invalid job's name is no valid label value: nothing can carry it.)
	if left := inNamespace(leftovers(t, e.cluster.Config(), "a"), e.ns); len(left) > 0 {
		t.Errorf("left: %v", left)
	}
}

// TestNamesOfAnotherJobsObjects starts jobs whose names are those of
// another job's objects ("a-workers" while job a has a StatefulSet and a
// Service of that name), plainly and with every request of the Start in
// turn losing its answer or (where the Start fails) cancelled. Each Start either fails, leaving
// nothing of the new job, or succeeds with a complete job; the other job
// stays exactly as it was, and so it does when the new job is deleted.
func TestNamesOfAnotherJobsObjects(t *testing.T) {
	e := newEnv(t, apiOnlyCluster(t))
	w := newFaultWorker(t, e)
	ctx := context.Background()
	tests := []struct {
		existing, next jobs.Job
		fails          bool
	}{
		// a's headless worker Service is a-workers; so is the new job's master Service.
		{jobs.NewParBatch("a", "pi.jl", "work", jobs.WithNWorkers(2)),
			jobs.NewParBatch("a-workers", "pi.jl", "work", jobs.WithNWorkers(1)), true},
		// The same collision, the other way round.
		{jobs.NewParBatch("b-workers", "pi.jl", "work", jobs.WithNWorkers(1)),
			jobs.NewParBatch("b", "pi.jl", "work", jobs.WithNWorkers(1)), true},
		// c's scripts ConfigMap has the name the new root needs.
		{jobs.NewParBatch("c", "pi.jl", "work"), jobs.NewBatch("c-scripts", "run.jl", "work"), true},
		// d's Secret is d-secret; the new job's objects of that name are of other kinds.
		{jobs.NewNotebook("d", "work", jobs.WithPassword("pw")), jobs.NewBatch("d-secret", "run.jl", "work"), false},
		// e's worker StatefulSet is e-workers; the new job's workload is a Deployment.
		{jobs.NewParBatch("e", "pi.jl", "work", jobs.WithNWorkers(1)),
			jobs.NewGeneric("e-workers", "busybox", "work"), false},
	}
	runs := 0
	for _, tt := range tests {
		existing, next := tt.existing.Spec().Name, tt.next.Spec().Name
		t.Run(next+" beside "+existing, func(t *testing.T) {
			if err := e.client.Start(ctx, tt.existing); err != nil {
				t.Fatal(err)
			}
			before := snapshot(t, w.admin, e.ns, existing)
			n, err := countRequests(func(ctx context.Context) error { return w.faulty.Start(ctx, tt.next) })
			if (err != nil) != tt.fails {
				t.Fatalf("Start(%s): %v, want failure %v", next, err, tt.fails)
			}
			if err != nil && !apierrors.IsAlreadyExists(err) {
				t.Errorf("Start(%s): %v, want an error that IsAlreadyExists", next, err)
			}
			try := func(what string, err error) {
				runs++
				objs, lerr := storedObjects(ctx, w.admin, e.ns, []string{next})
				if lerr != nil {
					t.Fatal(lerr)
				}
				switch {
				case err != nil && len(objs[next]) > 0:
					t.Errorf("%s: failed (%v) and left %v", what, err, objs[next])
				case err == nil:
					for _, p := range checkComplete(tt.next, e.ns, objs[next]) {
						t.Errorf("%s: %s", what, p)
					}
					if err := e.client.Delete(ctx, next); err != nil {
						t.Errorf("%s: Delete: %v", what, err)
					}
				}
				if diff := cmp.Diff(before, snapshot(t, w.admin, e.ns, existing)); diff != "" {
					t.Errorf("%s: job %s changed (-before +after):\n%s", what, existing, diff)
				}
			}
			try("plain Start", err) // the counting run above
			type sweep struct {
				action cueAction
				how    string
			}
			sweeps := []sweep{{loseAnswer, "answer lost to"}}
			if tt.fails {
				sweeps = append(sweeps, sweep{cancelDuring, "cancelled during"})
			}
			for k := 1; k <= n; k++ {
				for _, a := range sweeps {
					cctx, cancel := context.WithCancel(ctx)
					err := w.faulty.Start(withCue(cctx, &cue{at: k, action: a.action, cancel: cancel}), tt.next)
					cancel()
					try(fmt.Sprintf("Start %s request %d of %d", a.how, k, n), err)
				}
			}
			if err := e.client.Delete(ctx, existing); err != nil {
				t.Fatal(err)
			}
		})
	}
	t.Logf("%d Starts beside another job's objects", runs)
}

// TestMissingNamespace: a Client of a namespace that does not exist fails
// Start with the API server's NotFound for the namespace, creates nothing,
// and finds no job there.
func TestMissingNamespace(t *testing.T) {
	cluster := apiOnlyCluster(t)
	c, err := juliarun.New(cluster.Config(), juliarun.WithNamespace("nosuch"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	err = c.Start(ctx, jobs.NewParBatch("lost", "pi.jl", "work"))
	var status apierrors.APIStatus
	if !errors.As(err, &status) || !apierrors.IsNotFound(err) || errors.Is(err, juliarun.ErrNotFound) {
		t.Fatalf("Start: %v, want the API server's NotFound", err)
	}
	type what struct{ Kind, Name string }
	d := status.Status().Details
	if diff := cmp.Diff(what{"namespaces", "nosuch"}, what{d.Kind, d.Name}); diff != "" {
		t.Errorf("what was not found (-want +got):\n%s", diff)
	}
	if _, err := c.Status(ctx, "lost"); !errors.Is(err, juliarun.ErrNotFound) {
		t.Errorf("Status: %v, want ErrNotFound", err)
	}
	if err := c.Delete(ctx, "lost"); !errors.Is(err, juliarun.ErrNotFound) {
		t.Errorf("Delete: %v, want ErrNotFound", err)
	}
	if list, err := c.List(ctx); err != nil || len(list) > 0 {
		t.Errorf("List: %v, %v; want nothing", list, err)
	}
	if left := leftovers(t, cluster.Config(), "lost"); len(left) > 0 { // in any namespace
		t.Errorf("left: %v", left)
	}
}

// TestGPUsOnAClusterWithout asks for a GPU on a cluster whose nodes have
// no nvidia.com/gpu: the job starts, stays Pending, and Status says why.
func TestGPUsOnAClusterWithout(t *testing.T) {
	juliaruntest.SkipIfUnavailable(t)
	cluster := juliaruntest.StartForTest(t, juliaruntest.Options{Nodes: 1, NodeCPU: "8", NodeGPU: 0})
	e := newEnv(t, cluster)
	ctx := context.Background()
	for _, job := range []jobs.Job{
		jobs.NewBatch("gpu-batch", "run.jl", "work", jobs.WithGPU(1)),
		jobs.NewParBatch("gpu-master", "pi.jl", "work", jobs.WithGPU(2), jobs.WithNWorkers(1)),
	} {
		name := job.Spec().Name
		t.Run(name, func(t *testing.T) {
			if err := e.client.Start(ctx, job); err != nil {
				t.Fatal(err)
			}
			var st *juliarun.Status
			eventually(t, "the scheduler's verdict", func(ctx context.Context) (bool, error) {
				var err error
				st, err = e.client.Status(ctx, name)
				return err == nil && strings.Contains(st.Reason, "nvidia.com/gpu"), err
			})
			if st.Phase != juliarun.PhasePending {
				t.Errorf("phase %s, want Pending (%s)", st.Phase, st.Reason)
			}
			t.Logf("Status.Reason: %s", st.Reason)
			if err := e.client.Delete(ctx, name); err != nil {
				t.Fatal(err)
			}
		})
	}
}
