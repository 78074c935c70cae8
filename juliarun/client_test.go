package juliarun_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/go-logr/logr/funcr"
	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/juliarun/sdk/internal/scripts"
	"github.com/juliarun/sdk/jobs"
	"github.com/juliarun/sdk/juliarun"
	"github.com/juliarun/sdk/juliarun/juliaruntest"
	"github.com/juliarun/sdk/resources"
)

// TestScaleFollowsCapacity: on 2 nodes of 4 CPUs, a master asking for 1 CPU
// leaves room for exactly 7 one-CPU workers.
func TestScaleFollowsCapacity(t *testing.T) {
	juliaruntest.SkipIfUnavailable(t)
	cluster := juliaruntest.StartForTest(t, juliaruntest.Options{Nodes: 2, NodeCPU: "4", NodeMemory: "16Gi"})
	e := newEnv(t, cluster)
	ctx := context.Background()
	job := jobs.NewParBatch("pi", "pi.jl", "work", jobs.WithCPU(resources.Cores(1)),
		jobs.WithWorkerCPU(resources.Cores(1)), jobs.WithNWorkers(2))
	if err := e.client.Start(ctx, job); err != nil {
		t.Fatal(err)
	}
	e.waitFor(t, "pi", "2 workers", juliarun.AtLeastWorkers(2))
	if err := e.client.Scale(ctx, "pi", 12); err != nil {
		t.Fatal(err)
	}
	e.waitFor(t, "pi", "7 workers", juliarun.AtLeastWorkers(7))
	time.Sleep(2 * time.Second) // no eighth worker finds room
	n, err := e.client.NWorkers(ctx, "pi")
	if err != nil {
		t.Fatal(err)
	}
	st, err := e.client.Status(ctx, "pi")
	if err != nil {
		t.Fatal(err)
	}
	type counts struct{ NWorkers, Requested, Running int }
	if diff := cmp.Diff(counts{7, 12, 7}, counts{n, st.Requested, st.Running}); diff != "" {
		t.Errorf("after Scale(12) (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(juliarun.PhaseRunning, st.Phase); diff != "" {
		t.Errorf("phase (-want +got):\n%s", diff)
	}
	if !strings.Contains(st.Reason, "5 of 12 workers waiting: unschedulable") {
		t.Errorf("Reason %q does not say why 5 workers wait", st.Reason)
	}
	for _, want := range []int{3, 0} {
		if err := e.client.Scale(ctx, "pi", want); err != nil {
			t.Fatal(err)
		}
		eventually(t, "NWorkers to reach the new count", func(ctx context.Context) (bool, error) {
			n, err := e.client.NWorkers(ctx, "pi")
			return n == want, err
		})
		st, err := e.client.Status(ctx, "pi")
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, st.Requested); diff != "" {
			t.Errorf("Requested after Scale(%d) (-want +got):\n%s", want, diff)
		}
	}
}

// typeCases are one job of every type, with the phase it settles in while
// its processes run.
func typeCases() []struct {
	job   jobs.Job
	phase juliarun.Phase
	// workers is what NWorkers reports once settled.
	workers int
} {
	return []struct {
		job     jobs.Job
		phase   juliarun.Phase
		workers int
	}{
		{jobs.NewBatch("batch", "run.jl", "work", jobs.WithPkgBundle("stats"), jobs.WithAdditionalVolumes("data")), juliarun.PhaseRunning, 0},
		{jobs.NewParBatch("parbatch", "pi.jl", "work", jobs.WithNWorkers(3)), juliarun.PhaseRunning, 3},
		{jobs.NewParBatch("parbatch-never", "pi.jl", "work", jobs.WithNWorkers(2), jobs.WithRestart(jobs.RestartNever)), juliarun.PhaseRunning, 2},
		{jobs.NewParBatchWorkers("array", "unit.jl", "work", jobs.WithNWorkers(4)), juliarun.PhaseRunning, 4},
		{jobs.NewParBatchWorkers("array-onfailure", "unit.jl", "work", jobs.WithNWorkers(2), jobs.WithRestart(jobs.RestartOnFailure)), juliarun.PhaseRunning, 2},
		{jobs.NewNotebook("notebook", "work", jobs.WithPassword("s3cret"), jobs.WithNWorkers(1), jobs.WithExternal(true)), juliarun.PhaseRunning, 1},
		{jobs.NewPkgBuilder("builder", "build.jl", "work", "stats"), juliarun.PhaseRunning, 0},
		{jobs.NewWebserver("web", "nginx.conf", "work", jobs.WithNWorkers(2)), juliarun.PhaseRunning, 2},
		{jobs.NewMessageQ("queue", "rabbitmq.conf", "work"), juliarun.PhaseRunning, 0},
		{jobs.NewGeneric("generic", "busybox", "work", jobs.WithCommand("sleep", "infinity")), juliarun.PhaseRunning, 1},
	}
}

func TestEveryJobTypeLifecycle(t *testing.T) {
	cluster := sharedCluster(t)
	e := newEnv(t, cluster)
	ctx := context.Background()
	for _, tc := range typeCases() {
		name := tc.job.Spec().Name
		t.Run(name, func(t *testing.T) {
			if err := e.client.Start(ctx, tc.job); err != nil {
				t.Fatal(err)
			}
			st := e.waitFor(t, name, string(tc.phase), func(s *juliarun.Status) bool {
				return s.Phase == tc.phase && s.Running == tc.workers
			})
			if diff := cmp.Diff([]any{tc.job.Type(), tc.workers, tc.workers}, []any{st.Type, st.Requested, st.Running}); diff != "" {
				t.Errorf("status (-want +got):\n%s", diff)
			}
			if st.Created.IsZero() {
				t.Error("Status.Created is zero")
			}
			n, err := e.client.NWorkers(ctx, name)
			if err != nil || n != tc.workers {
				t.Errorf("NWorkers = %d, %v; want %d", n, err, tc.workers)
			}
			if err := e.client.Delete(ctx, name); err != nil {
				t.Fatal(err)
			}
			if left := leftovers(t, cluster.Config(), name); len(left) > 0 {
				t.Errorf("left after Delete: %v", left)
			}
			if _, err := e.client.Status(ctx, name); !errors.Is(err, juliarun.ErrNotFound) {
				t.Errorf("Status after Delete: %v, want ErrNotFound", err)
			}
		})
	}
}

func TestList(t *testing.T) {
	e := newEnv(t, sharedCluster(t))
	ctx := context.Background()
	for _, j := range []jobs.Job{jobs.NewBatch("b", "b.jl", "work"), jobs.NewWebserver("a", "n.conf", "work")} {
		if err := e.client.Start(ctx, j); err != nil {
			t.Fatal(err)
		}
	}
	list, err := e.client.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range list {
		got = append(got, s.Name+":"+string(s.Type))
	}
	if diff := cmp.Diff([]string{"a:Webserver", "b:JuliaBatch"}, got); diff != "" {
		t.Errorf("List (-want +got):\n%s", diff)
	}
}

func TestStartOnceOnly(t *testing.T) {
	e := newEnv(t, sharedCluster(t))
	ctx := context.Background()
	job := jobs.NewBatch("once", "run.jl", "work")
	if err := e.client.Start(ctx, job); err != nil {
		t.Fatal(err)
	}
	if err := e.client.Start(ctx, job); !errors.Is(err, juliarun.ErrAlreadyExists) {
		t.Fatalf("second Start: %v, want ErrAlreadyExists", err)
	}
	// Concurrent Starts of a new name: exactly one wins.
	const racers = 8
	errs := make(chan error, racers)
	var wg sync.WaitGroup
	for range racers {
		wg.Go(func() { errs <- e.client.Start(ctx, jobs.NewParBatch("race", "pi.jl", "work", jobs.WithNWorkers(1))) })
	}
	wg.Wait()
	close(errs)
	won, lost := 0, 0
	for err := range errs {
		switch {
		case err == nil:
			won++
		case errors.Is(err, juliarun.ErrAlreadyExists):
			lost++
		default:
			t.Errorf("racing Start: %v", err)
		}
	}
	if diff := cmp.Diff([]int{1, racers - 1}, []int{won, lost}); diff != "" {
		t.Errorf("racing Starts [won lost] (-want +got):\n%s", diff)
	}
	e.waitFor(t, "race", "its worker", juliarun.AtLeastWorkers(1))
}

func TestInvalidJobCreatesNothing(t *testing.T) {
	e := newEnv(t, sharedCluster(t))
	err := e.client.Start(context.Background(), jobs.NewBatch("bad", "", "work", jobs.WithNWorkers(3)))
	if !errors.Is(err, jobs.ErrInvalid) {
		t.Fatalf("Start: %v, want ErrInvalid", err)
	}
	if diff := cmp.Diff(2, len(jobs.AsErrorList(err))); diff != "" {
		t.Errorf("problems reported (-want +got):\n%s", diff)
	}
	if left := leftovers(t, e.cluster.Config(), "bad"); len(left) > 0 {
		t.Errorf("objects created for an invalid job: %v", left)
	}
	if err := e.client.Start(context.Background(), nil); !errors.Is(err, jobs.ErrInvalid) {
		t.Errorf("Start(nil): %v, want ErrInvalid", err)
	}
}

// TestFailedStartLeavesNothing plants a Service where the job's own will go:
// Start fails midway, removes what it created, and leaves the planted
// Service alone.
func TestFailedStartLeavesNothing(t *testing.T) {
	e := newEnv(t, sharedCluster(t))
	ctx := context.Background()
	planted := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "taken-workers", Namespace: e.ns},
		Spec: corev1.ServiceSpec{Ports: []corev1.ServicePort{{Port: 80}}}}
	if _, err := e.cs.CoreV1().Services(e.ns).Create(ctx, planted, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	err := e.client.Start(ctx, jobs.NewParBatch("taken", "pi.jl", "work", jobs.WithNWorkers(2)))
	if err == nil || errors.Is(err, juliarun.ErrAlreadyExists) {
		t.Fatalf("Start over a planted Service: %v, want an error other than ErrAlreadyExists", err)
	}
	if left := leftovers(t, e.cluster.Config(), "taken"); len(left) > 0 {
		t.Errorf("left after a failed Start: %v", left)
	}
	if _, err := e.cs.CoreV1().Services(e.ns).Get(ctx, "taken-workers", metav1.GetOptions{}); err != nil {
		t.Errorf("the planted Service is gone: %v", err)
	}
	// Once the name is free, a retry starts clean.
	if err := e.cs.CoreV1().Services(e.ns).Delete(ctx, "taken-workers", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := e.client.Start(ctx, jobs.NewParBatch("taken", "pi.jl", "work", jobs.WithNWorkers(2))); err != nil {
		t.Fatalf("retry: %v", err)
	}
}

func TestClientErrors(t *testing.T) {
	e := newEnv(t, sharedCluster(t))
	ctx := context.Background()
	if err := e.client.Start(ctx, jobs.NewBatch("single", "run.jl", "work")); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		err  error
		want error
	}{
		{"scale a batch job", e.client.Scale(ctx, "single", 2), juliarun.ErrNotScalable},
		{"scale below zero", e.client.Scale(ctx, "single", -1), jobs.ErrInvalid},
		{"scale absurdly", e.client.Scale(ctx, "single", 1_000_000), jobs.ErrInvalid},
		{"scale a missing job", e.client.Scale(ctx, "nosuch", 2), juliarun.ErrNotFound},
		{"delete a missing job", e.client.Delete(ctx, "nosuch"), juliarun.ErrNotFound},
		{"endpoint without ports", errOf(e.client.Endpoint(ctx, "single")), juliarun.ErrNotFound},
	}
	for _, tt := range tests {
		if !errors.Is(tt.err, tt.want) {
			t.Errorf("%s: %v, want %v", tt.name, tt.err, tt.want)
		}
	}
	if _, err := e.client.NWorkers(ctx, "nosuch"); !errors.Is(err, juliarun.ErrNotFound) {
		t.Errorf("NWorkers of a missing job: %v, want ErrNotFound", err)
	}
}

func errOf[T any](_ T, err error) error { return err }

func TestRestartPolicies(t *testing.T) {
	cluster := sharedCluster(t)
	e := newEnv(t, cluster)
	ctx := context.Background()
	for _, tc := range []struct {
		restart    jobs.RestartPolicy
		wantFailed int
	}{{jobs.RestartAlways, 0}, {jobs.RestartNever, 1}} {
		name := "restart-" + strings.ToLower(string(tc.restart))
		t.Run(string(tc.restart), func(t *testing.T) {
			job := jobs.NewParBatch(name, "pi.jl", "work", jobs.WithNWorkers(2), jobs.WithRestart(tc.restart))
			if err := e.client.Start(ctx, job); err != nil {
				t.Fatal(err)
			}
			e.waitFor(t, name, "2 workers", juliarun.AtLeastWorkers(2))
			victim := e.pods(t, name, "worker")[0]
			if err := cluster.ExitPod(ctx, e.ns, victim.Name, 3); err != nil {
				t.Fatal(err)
			}
			wantRunning := 2 - tc.wantFailed
			var st *juliarun.Status
			eventually(t, "the failure to show", func(ctx context.Context) (bool, error) {
				var err error
				st, err = e.client.Status(ctx, name)
				return err == nil && st.FailedWorkers == tc.wantFailed && st.Running == wantRunning, err
			})
			if tc.restart == jobs.RestartNever {
				time.Sleep(time.Second) // a Never worker stays gone
				if n, err := e.client.NWorkers(ctx, name); err != nil || n != wantRunning {
					t.Errorf("NWorkers = %d, %v; want %d", n, err, wantRunning)
				}
			}
			if tc.wantFailed > 0 && !strings.Contains(st.Reason, "exit code 3") {
				t.Errorf("Reason %q does not give the worker's exit code", st.Reason)
			}
			if tc.restart == jobs.RestartAlways {
				// A JuliaParBatch's failed worker is replaced by a new pod
				// (its workers are an Indexed Job, so they can end with
				// their master: docs/OBJECTS.md).
				index := victim.Labels["batch.kubernetes.io/job-completion-index"]
				eventually(t, "a replacement of worker "+index, func(ctx context.Context) (bool, error) {
					for _, p := range e.pods(t, name, "worker") {
						if p.UID != victim.UID && p.Labels["batch.kubernetes.io/job-completion-index"] == index &&
							p.Status.Phase == corev1.PodRunning {
							return true, nil
						}
					}
					return false, nil
				})
				eventually(t, "NWorkers back at 2", func(ctx context.Context) (bool, error) {
					n, err := e.client.NWorkers(ctx, name)
					return n == 2, err
				})
			}
		})
	}
}

func TestMasterOutcome(t *testing.T) {
	cluster := sharedCluster(t)
	e := newEnv(t, cluster)
	ctx := context.Background()
	for _, tc := range []struct {
		name   string
		code   int
		phase  juliarun.Phase
		reason string
	}{
		{"done", 0, juliarun.PhaseSucceeded, ""},
		{"crashed", 3, juliarun.PhaseFailed, "exit code 3"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := e.client.Start(ctx, jobs.NewBatch(tc.name, "run.jl", "work")); err != nil {
				t.Fatal(err)
			}
			e.waitFor(t, tc.name, "running", juliarun.Running())
			if err := cluster.ExitPod(ctx, e.ns, e.pods(t, tc.name, "master")[0].Name, tc.code); err != nil {
				t.Fatal(err)
			}
			st := e.waitFor(t, tc.name, "the end", juliarun.Finished())
			if st.Phase != tc.phase || !strings.Contains(st.Reason, tc.reason) {
				t.Errorf("status = %s %q, want %s with %q", st.Phase, st.Reason, tc.phase, tc.reason)
			}
		})
	}
}

func TestMissingVolumeIsExplained(t *testing.T) {
	e := newEnv(t, sharedCluster(t))
	ctx := context.Background()
	if err := e.client.Start(ctx, jobs.NewBatch("lost", "run.jl", "nosuchclaim")); err != nil {
		t.Fatal(err)
	}
	var st *juliarun.Status
	eventually(t, "the scheduler's verdict", func(ctx context.Context) (bool, error) {
		var err error
		st, err = e.client.Status(ctx, "lost")
		return err == nil && strings.Contains(st.Reason, `"nosuchclaim"`), err
	})
	if st.Phase != juliarun.PhasePending || !strings.HasPrefix(st.Reason, "unschedulable") {
		t.Errorf("status = %s %q, want Pending and unschedulable", st.Phase, st.Reason)
	}
}

func TestEndpoint(t *testing.T) {
	e := newEnv(t, sharedCluster(t))
	ctx := context.Background()
	if err := e.client.Start(ctx, jobs.NewNotebook("nb", "work")); err != nil {
		t.Fatal(err)
	}
	ep, err := e.client.Endpoint(ctx, "nb")
	if err != nil {
		t.Fatal(err)
	}
	want := &juliarun.Endpoint{Address: "nb." + e.ns + ".svc", ClusterIP: ep.ClusterIP,
		Ports: map[string]int{"nb": 8888}}
	if diff := cmp.Diff(want, ep); diff != "" {
		t.Errorf("Endpoint (-want +got):\n%s", diff)
	}
	if ep.ClusterIP == "" {
		t.Error("no cluster IP")
	}
}

func TestWaitEndsWithContext(t *testing.T) {
	e := newEnv(t, sharedCluster(t))
	if err := e.client.Start(context.Background(), jobs.NewParBatch("idle", "pi.jl", "work")); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	st, err := e.client.Wait(ctx, "idle", juliarun.AtLeastWorkers(1))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Wait: %v, want DeadlineExceeded", err)
	}
	if st == nil || st.Name != "idle" {
		t.Errorf("Wait returned status %+v, want the last one read", st)
	}
}

// TestWorkersEndWithTheirMaster shows the cluster's half of how a
// JuliaParBatch's workers are released when the master ends, with no client
// running: the master exits, a worker exits with scripts.ExitMasterEnded
// (what worker.sh does once master.sh has recorded the master's end; the
// scripts' half is internal/scripts TestWorkersEndWithTheirMaster), and the
// Job controller removes every worker pod, while Status stays truthful.
func TestWorkersEndWithTheirMaster(t *testing.T) {
	cluster := sharedCluster(t)
	e := newEnv(t, cluster)
	ctx := context.Background()
	for _, tc := range []struct {
		restart jobs.RestartPolicy
		code    int
		phase   juliarun.Phase
	}{
		{jobs.RestartAlways, 0, juliarun.PhaseSucceeded},
		{jobs.RestartOnFailure, 3, juliarun.PhaseFailed},
		{jobs.RestartNever, 0, juliarun.PhaseSucceeded},
	} {
		name := "ends-" + strings.ToLower(string(tc.restart))
		t.Run(string(tc.restart), func(t *testing.T) {
			job := jobs.NewParBatch(name, "pi.jl", "work", jobs.WithNWorkers(3), jobs.WithRestart(tc.restart),
				jobs.WithWorkerCPU(resources.Cores(1)))
			if err := e.client.Start(ctx, job); err != nil {
				t.Fatal(err)
			}
			e.waitFor(t, name, "3 workers", juliarun.AtLeastWorkers(3))
			if err := cluster.ExitPod(ctx, e.ns, e.pods(t, name, "master")[0].Name, tc.code); err != nil {
				t.Fatal(err)
			}
			if err := cluster.ExitPod(ctx, e.ns, e.pods(t, name, "worker")[0].Name, scripts.ExitMasterEnded); err != nil {
				t.Fatal(err)
			}
			eventually(t, "every worker pod to end", func(ctx context.Context) (bool, error) {
				for _, p := range e.pods(t, name, "worker") {
					if p.DeletionTimestamp == nil && p.Status.Phase != corev1.PodFailed && p.Status.Phase != corev1.PodSucceeded {
						return false, nil
					}
				}
				return true, nil
			})
			var st *juliarun.Status
			eventually(t, "Status to say the workers were released", func(ctx context.Context) (bool, error) {
				var err error
				st, err = e.client.Status(ctx, name)
				return err == nil && strings.Contains(st.Reason, "workers released: the master ended"), err
			})
			if st.Phase != tc.phase || st.Running != 0 || st.FailedWorkers != 0 {
				t.Errorf("Status = %s, running %d, failed workers %d, %q; want %s, 0, 0",
					st.Phase, st.Running, st.FailedWorkers, st.Reason, tc.phase)
			}
			time.Sleep(2 * time.Second) // and no new worker comes
			for _, p := range e.pods(t, name, "worker") {
				if p.DeletionTimestamp == nil && p.Status.Phase == corev1.PodRunning {
					t.Errorf("worker %s runs after the master ended", p.Name)
				}
			}
		})
	}
}

// TestStatusExplainsFailedCreate: a quota lets the controllers create only
// some of a job's pods. The ones they may not create never exist, so no
// pod status explains them; Status gives the controller's FailedCreate
// event, with the quota's message, for waiting workers and for a master.
func TestStatusExplainsFailedCreate(t *testing.T) {
	e := newEnv(t, sharedCluster(t))
	ctx := context.Background()
	quota := &corev1.ResourceQuota{ObjectMeta: metav1.ObjectMeta{Name: "three-pods"},
		Spec: corev1.ResourceQuotaSpec{Hard: corev1.ResourceList{corev1.ResourcePods: resource.MustParse("3")}}}
	if _, err := e.cs.CoreV1().ResourceQuotas(e.ns).Create(ctx, quota, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the quota to be counted", func(ctx context.Context) (bool, error) {
		q, err := e.cs.CoreV1().ResourceQuotas(e.ns).Get(ctx, quota.Name, metav1.GetOptions{})
		return err == nil && q.Status.Hard != nil, err
	})
	if err := e.client.Start(ctx, jobs.NewParBatch("quota", "pi.jl", "work", jobs.WithNWorkers(4))); err != nil {
		t.Fatal(err)
	}
	var st *juliarun.Status
	eventually(t, "Status to name the quota", func(ctx context.Context) (bool, error) {
		var err error
		st, err = e.client.Status(ctx, "quota")
		return err == nil && st.Running == 2 && strings.Contains(st.Reason, "exceeded quota"), err
	})
	if st.Phase != juliarun.PhaseRunning || st.Running != 2 || !strings.Contains(st.Reason, "2 of 4 workers waiting: FailedCreate") {
		t.Errorf("Status = %s, %d running, %q; want Running, 2, 2 of 4 workers waiting: FailedCreate", st.Phase, st.Running, st.Reason)
	}
	// The quota is full: a master cannot start either.
	if err := e.client.Start(ctx, jobs.NewBatch("no-room", "run.jl", "work")); err != nil {
		t.Fatal(err)
	}
	eventually(t, "Status of the master to name the quota", func(ctx context.Context) (bool, error) {
		var err error
		st, err = e.client.Status(ctx, "no-room")
		return err == nil && strings.Contains(st.Reason, "exceeded quota"), err
	})
	if st.Phase != juliarun.PhasePending {
		t.Errorf("Status = %s %q, want Pending", st.Phase, st.Reason)
	}
}

// TestLoggerFromContext: a call logs to the logger its context carries,
// with the job and namespace attached, and to the Client's logger
// otherwise.
func TestLoggerFromContext(t *testing.T) {
	var clientLog, callLog logBuffer
	e := newEnv(t, apiOnlyCluster(t), juliarun.WithLogger(funcr.New(clientLog.write, funcr.Options{Verbosity: 2})))
	if err := e.client.Start(context.Background(), jobs.NewBatch("logged", "run.jl", "work")); err != nil {
		t.Fatal(err)
	}
	ctx := logr.NewContext(context.Background(), funcr.New(callLog.write, funcr.Options{Verbosity: 2}))
	if _, err := e.client.Status(ctx, "logged"); err != nil {
		t.Fatal(err)
	}
	if got := callLog.String(); !strings.Contains(got, `"status read"`) || !strings.Contains(got, `"job"="logged"`) ||
		!strings.Contains(got, `"namespace"="`+e.ns+`"`) {
		t.Errorf("the context's logger got %q; want the status read with job and namespace", got)
	}
	if strings.Contains(clientLog.String(), `"status read"`) {
		t.Errorf("the Client's logger got the call that carried its own: %q", clientLog.String())
	}
	if !strings.Contains(clientLog.String(), `"job started"`) {
		t.Errorf("the Client's logger missed the Start without a logger in its context: %q", clientLog.String())
	}
}
