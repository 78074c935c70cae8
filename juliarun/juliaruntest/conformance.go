package juliaruntest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/juliarun/sdk/internal/labels"
	"github.com/juliarun/sdk/jobs"
	"github.com/juliarun/sdk/juliarun"
	"github.com/juliarun/sdk/resources"
)

// conformanceNamespaces numbers the namespaces TestBackend makes.
var conformanceNamespaces atomic.Int32

// TestBackend runs the Client's whole contract against backend on cluster,
// which needs simulated nodes (Options.Nodes; 2 nodes of 8 CPUs are
// plenty): every job type is started, waited for, counted, scaled, read
// (Status, Logs, Endpoint, List), updated and deleted, leaving no object of
// any kind the backend's Layout lists; bad input is refused with the
// documented errors and creates nothing; a dry run creates nothing; of
// racing Starts of one name exactly one wins. A Backend author calls it
// from a test:
//
//	func TestMyBackend(t *testing.T) {
//		c := juliaruntest.StartForTest(t, juliaruntest.Options{Nodes: 2, NodeCPU: "8"})
//		juliaruntest.TestBackend(t, c, mybackend.New())
//	}
//
// Each run works in a namespace of its own that enforces Pod Security
// "restricted", with the volumes work, data and stats.
func TestBackend(t *testing.T, cluster *Cluster, backend juliarun.Backend) {
	t.Helper()
	ctx := context.Background()
	cs, err := kubernetes.NewForConfig(cluster.Config())
	if err != nil {
		t.Fatal(err)
	}
	ns := fmt.Sprintf("conformance-%d", conformanceNamespaces.Add(1))
	if _, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns,
		Labels: map[string]string{"pod-security.kubernetes.io/enforce": "restricted"}}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, v := range []string{"work", "data", "stats"} {
		if err := cluster.CreateVolume(ctx, ns, v, "1Gi"); err != nil {
			t.Fatal(err)
		}
	}
	c, err := juliarun.New(cluster.Config(), juliarun.WithNamespace(ns), juliarun.WithBackend(backend))
	if err != nil {
		t.Fatal(err)
	}
	admin, err := client.New(cluster.Config(), client.Options{})
	if err != nil {
		t.Fatal(err)
	}
	k := &conformance{c: c, admin: admin, ns: ns, layout: backend.Layout()}

	small := []jobs.Option{jobs.WithCPU(resources.Cores(0.1)), jobs.WithMemory(resources.MiB(128))}
	lifecycles := []jobs.Job{
		jobs.NewBatch("c-batch", "run.jl", "work", jobs.WithPkgBundle("stats")),
		jobs.NewParBatch("c-parbatch", "pi.jl", "work", jobs.WithNWorkers(2)),
		jobs.NewParBatch("c-parbatch-never", "pi.jl", "work", jobs.WithNWorkers(1), jobs.WithRestart(jobs.RestartNever)),
		jobs.NewParBatchWorkers("c-array", "unit.jl", "work", jobs.WithNWorkers(2)),
		jobs.NewParBatchWorkers("c-array-onfailure", "unit.jl", "work", jobs.WithNWorkers(2), jobs.WithRestart(jobs.RestartOnFailure)),
		jobs.NewNotebook("c-notebook", "work", jobs.WithPassword("s3cret"), jobs.WithNWorkers(1)),
		jobs.NewPkgBuilder("c-builder", "build.jl", "work", "stats", small...),
		jobs.NewWebserver("c-web", "nginx.conf", "work", jobs.WithNWorkers(2)),
		jobs.NewMessageQ("c-queue", "rabbitmq.conf", "work", small...),
		jobs.NewGeneric("c-generic", "busybox", "work", jobs.WithCommand("sleep", "infinity"),
			jobs.WithPorts(map[string]jobs.Port{"web": {Container: 8080, Service: 80}})),
		// Settings change how a job is laid out: with a TTL the master Job
		// owns the root instead of the reverse.
		jobs.NewParBatch("c-settings", "pi.jl", "work", jobs.WithNWorkers(2),
			jobs.WithTTLAfterFinished(time.Hour), jobs.WithRunTimeLimit(time.Hour),
			jobs.WithLabels(map[string]string{"team": "conformance"}),
			jobs.WithVolumes(jobs.Workers, jobs.EmptyDirVolume("/scratch", resources.MiB(64))),
			jobs.WithShmSize(jobs.Workers, resources.MiB(256))),
	}
	t.Run("lifecycle", func(t *testing.T) {
		for _, job := range lifecycles {
			t.Run(job.Spec().Name, func(t *testing.T) {
				t.Parallel()
				k.lifecycle(t, job)
			})
		}
	})
	t.Run("bad input", k.badInput)
	t.Run("dry run", k.dryRun)
	t.Run("racing starts", k.racingStarts)
}

type conformance struct {
	c      juliarun.Client
	admin  client.Client
	ns     string
	layout juliarun.Layout
}

// lifecycle is one job's life as a program lives it.
func (k *conformance) lifecycle(t *testing.T, job jobs.Job) {
	ctx := context.Background()
	s := job.Spec()
	if err := k.c.Start(ctx, job); err != nil {
		t.Fatalf("Start: %v", err)
	}
	workers := 0
	if jobs.HasWorkers(s.Type) {
		workers = s.NWorkers
	}
	st := k.wait(t, s.Name, "running with its workers", func(st *juliarun.Status) bool {
		return st.Phase == juliarun.PhaseRunning && st.Running >= workers
	})
	if st.Name != s.Name || st.Type != s.Type || st.Requested != workers {
		t.Errorf("Status = %s %s requested %d; want %s %s requested %d", st.Name, st.Type, st.Requested, s.Name, s.Type, workers)
	}
	if n, err := k.c.NWorkers(ctx, s.Name); err != nil || n != st.Running {
		t.Errorf("NWorkers = %d, %v; want %d, as Status said", n, err, st.Running)
	}
	rc, err := k.c.Logs(ctx, s.Name, juliarun.LogOptions{Lines: 5})
	if err != nil {
		t.Errorf("Logs: %v", err)
	} else {
		out, err := io.ReadAll(rc)
		rc.Close()
		if err != nil || len(out) == 0 {
			t.Errorf("Logs read %q, %v; want the master's (or first worker's) output", out, err)
		}
	}
	if jobs.HasWorkers(s.Type) {
		workers++
		if err := k.c.Scale(ctx, s.Name, workers); err != nil {
			t.Fatalf("Scale: %v", err)
		}
		k.wait(t, s.Name, fmt.Sprintf("%d workers", workers), juliarun.AtLeastWorkers(workers))
		// The job as Scale left it is the job as it runs: no change.
		if err := k.c.Update(ctx, withNWorkers(job, workers)); err != nil {
			t.Errorf("Update with the count Scale set: %v", err)
		}
		// The count it started with is a change, which Update leaves to Scale.
		err := k.c.Update(ctx, job)
		if errs := jobs.AsErrorList(err); !errors.Is(err, jobs.ErrInvalid) || len(errs) != 1 || errs[0].Field != "nworkers" {
			t.Errorf("Update with another worker count: %v, want ErrInvalid for nworkers only", err)
		}
	} else if err := k.c.Scale(ctx, s.Name, 1); !errors.Is(err, juliarun.ErrNotScalable) {
		t.Errorf("Scale of a %s: %v, want ErrNotScalable", s.Type, err)
	}
	ep, err := k.c.Endpoint(ctx, s.Name)
	switch {
	case len(s.Ports) > 0 && (err != nil || len(ep.Ports) != len(s.Ports)):
		t.Errorf("Endpoint of a job with ports %v: %+v, %v", s.Ports, ep, err)
	case len(s.Ports) == 0 && !errors.Is(err, juliarun.ErrNotFound):
		t.Errorf("Endpoint of a job without ports: %+v, %v; want ErrNotFound", ep, err)
	}
	list, err := k.c.List(ctx)
	found := false
	for _, l := range list {
		found = found || l.Name == s.Name
	}
	if err != nil || !found {
		t.Errorf("List: %v, %v; want %s in it", names(list), err, s.Name)
	}
	if err := k.c.Delete(ctx, s.Name); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if left := k.leftovers(ctx, s.Name); len(left) > 0 {
		t.Errorf("left after Delete: %v", left)
	}
	if _, err := k.c.Status(ctx, s.Name); !errors.Is(err, juliarun.ErrNotFound) {
		t.Errorf("Status after Delete: %v, want ErrNotFound", err)
	}
	if err := k.c.Delete(ctx, s.Name); !errors.Is(err, juliarun.ErrNotFound) {
		t.Errorf("Delete of a deleted job: %v, want ErrNotFound", err)
	}
}

func names(list []juliarun.Status) []string {
	var out []string
	for _, s := range list {
		out = append(out, s.Name)
	}
	return out
}

func (k *conformance) wait(t *testing.T, name, what string, cond juliarun.Condition) *juliarun.Status {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	st, err := k.c.Wait(ctx, name, cond)
	if err != nil || !cond(st) {
		t.Fatalf("Wait for %s: %v (last status %+v)", what, err, st)
	}
	return st
}

// leftovers lists every object of any kind of the layout labelled with
// the job's name, as the admin sees them.
func (k *conformance) leftovers(ctx context.Context, name string) []string {
	var left []string
	for _, gvk := range k.layout.Kinds() {
		list := &unstructured.UnstructuredList{}
		list.SetGroupVersionKind(gvk.GroupVersion().WithKind(gvk.Kind + "List"))
		if err := k.admin.List(ctx, list, client.InNamespace(k.ns), client.MatchingLabels{labels.Job: name}); err != nil {
			left = append(left, fmt.Sprintf("listing %ss: %v", gvk.Kind, err))
			continue
		}
		for _, o := range list.Items {
			left = append(left, gvk.Kind+" "+o.GetName())
		}
	}
	return left
}

// badInput: what the Client refuses, with the error it documents, and
// without creating anything.
func (k *conformance) badInput(t *testing.T) {
	ctx := context.Background()
	invalid := jobs.NewParBatch("c-Invalid", "", "work", jobs.WithNWorkers(-1), jobs.WithPorts(map[string]jobs.Port{"x": {Container: 0, Service: 1}}))
	err := k.c.Start(ctx, invalid)
	if !errors.Is(err, jobs.ErrInvalid) || len(jobs.AsErrorList(err)) < 3 {
		t.Errorf("Start of an invalid job: %v; want ErrInvalid listing every problem", err)
	}
	if left := k.leftovers(ctx, "c-Invalid"); len(left) > 0 {
		t.Errorf("an invalid Start created %v", left)
	}
	for _, tc := range []struct {
		what string
		err  error
		want error
	}{
		{"Scale of a missing job", k.c.Scale(ctx, "c-missing", 1), juliarun.ErrNotFound},
		{"Scale below zero", k.c.Scale(ctx, "c-missing", -1), jobs.ErrInvalid},
		{"Delete of a missing job", k.c.Delete(ctx, "c-missing"), juliarun.ErrNotFound},
		{"Status of a name that is a selector", func() error { _, err := k.c.Status(ctx, "a,b=c"); return err }(), jobs.ErrInvalid},
		{"Update of a missing job", k.c.Update(ctx, jobs.NewBatch("c-missing", "r.jl", "work")), juliarun.ErrNotFound},
		{"Start of a nil job", k.c.Start(ctx, nil), jobs.ErrInvalid},
	} {
		if !errors.Is(tc.err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.what, tc.err, tc.want)
		}
	}
}

// dryRun: a dry-run Start is accepted for a valid job, refused for a taken
// name, and creates nothing.
func (k *conformance) dryRun(t *testing.T) {
	ctx := context.Background()
	job := jobs.NewParBatch("c-dry", "pi.jl", "work", jobs.WithNWorkers(2))
	if err := k.c.Start(ctx, job, juliarun.WithDryRun(true)); err != nil {
		t.Fatalf("dry-run Start: %v", err)
	}
	if left := k.leftovers(ctx, "c-dry"); len(left) > 0 {
		t.Errorf("a dry-run Start created %v", left)
	}
	if err := k.c.Start(ctx, job); err != nil {
		t.Fatal(err)
	}
	if err := k.c.Start(ctx, job, juliarun.WithDryRun(true)); !errors.Is(err, juliarun.ErrAlreadyExists) {
		t.Errorf("dry-run Start of a taken name: %v, want ErrAlreadyExists", err)
	}
	if err := k.c.Delete(ctx, "c-dry", juliarun.WithWait(false)); err != nil {
		t.Fatal(err)
	}
	if _, err := k.c.Status(ctx, "c-dry"); !errors.Is(err, juliarun.ErrNotFound) {
		t.Errorf("Status right after a Delete that does not wait: %v, want ErrNotFound (the root is gone first)", err)
	}
}

// racingStarts: of several Starts of one name at once, one wins and the
// others get ErrAlreadyExists; what is left is the winner's whole job.
func (k *conformance) racingStarts(t *testing.T) {
	ctx := context.Background()
	const racers = 4
	errs := make([]error, racers)
	var wg sync.WaitGroup
	for i := range racers {
		wg.Go(func() {
			errs[i] = k.c.Start(ctx, jobs.NewParBatchWorkers("c-race", "unit.jl", "work", jobs.WithNWorkers(1)))
		})
	}
	wg.Wait()
	won := 0
	for _, err := range errs {
		switch {
		case err == nil:
			won++
		case !errors.Is(err, juliarun.ErrAlreadyExists):
			t.Errorf("a racing Start: %v, want nil or ErrAlreadyExists", err)
		}
	}
	if won != 1 {
		t.Errorf("%d racing Starts won, want 1", won)
	}
	k.wait(t, "c-race", "its unit", juliarun.AtLeastWorkers(1))
	if err := k.c.Delete(ctx, "c-race"); err != nil {
		t.Fatal(err)
	}
	if left := k.leftovers(ctx, "c-race"); len(left) > 0 {
		t.Errorf("left after Delete: %v", left)
	}
}

// withNWorkers returns a copy of job asking for n workers.
func withNWorkers(job jobs.Job, n int) jobs.Job {
	switch j := job.(type) {
	case *jobs.ParBatch:
		c := *j
		c.NWorkers = n
		return &c
	case *jobs.ParBatchWorkers:
		c := *j
		c.NWorkers = n
		return &c
	case *jobs.Notebook:
		c := *j
		c.NWorkers = n
		return &c
	case *jobs.Webserver:
		c := *j
		c.NWorkers = n
		return &c
	case *jobs.Generic:
		c := *j
		c.NWorkers = n
		return &c
	}
	return job
}
