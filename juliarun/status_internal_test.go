package juliarun

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/juliarun/sdk/internal/labels"
	"github.com/juliarun/sdk/jobs"
)

func int32p(n int32) *int32 { return &n }

// pod returns a pod of job pi with role, in phase, whose container exited
// with code unless code is negative.
func pod(name, role string, phase corev1.PodPhase, code int32) corev1.Pod {
	p := corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels.Selector("pi", role)},
		Status: corev1.PodStatus{Phase: phase}}
	if code >= 0 {
		p.Status.ContainerStatuses = []corev1.ContainerStatus{{State: corev1.ContainerState{
			Terminated: &corev1.ContainerStateTerminated{ExitCode: code}}}}
	}
	return p
}

func TestDecide(t *testing.T) {
	spec := jobs.Spec{Name: "pi", Type: jobs.TypeParBatch}
	ep := &Endpoint{Address: "pi.science.svc", Ports: map[string]int{"web": 80}}
	tests := []struct {
		name string
		obs  observation
		want Status
	}{
		{"missing workload", observation{missing: "Job pi-workers", counts: WorkerCounts{Requested: 3}, phase: PhaseRunning},
			Status{Phase: PhasePending, Reason: "incomplete: Job pi-workers is missing (being started or deleted)"}},
		{"running with its workers", observation{hasMaster: true, counts: WorkerCounts{Requested: 3, Running: 3}, phase: PhaseRunning, endpoint: ep},
			Status{Phase: PhaseRunning, Requested: 3, Running: 3, Endpoint: ep}},
		{"workers released", observation{hasMaster: true, counts: WorkerCounts{Requested: 2, Released: true}, phase: PhaseSucceeded},
			Status{Phase: PhaseSucceeded, Requested: 2, Reason: "workers released: the master ended"}},
		{"workers failed, with their exits", observation{hasMaster: true, counts: WorkerCounts{Requested: 2, Running: 1, Failed: 1}, phase: PhaseRunning,
			failedWorkers: []corev1.Pod{pod("pi-workers-0", labels.RoleWorker, corev1.PodFailed, 3)}},
			Status{Phase: PhaseRunning, Requested: 2, Running: 1, FailedWorkers: 1, Reason: "1 workers failed: exit code 3"}},
		{"workers wait", observation{hasMaster: true, counts: WorkerCounts{Requested: 12, Running: 7}, phase: PhaseRunning, workersWait: "unschedulable: no room"},
			Status{Phase: PhaseRunning, Requested: 12, Running: 7, Reason: "5 of 12 workers waiting: unschedulable: no room"}},
		{"no waiting once ended", observation{hasMaster: true, counts: WorkerCounts{Requested: 12, Running: 7}, phase: PhaseFailed, reason: "exit code 1", workersWait: "unschedulable: no room"},
			Status{Phase: PhaseFailed, Requested: 12, Running: 7, Reason: "exit code 1"}},
		{"a stale wait reason is left out when none wait", observation{hasMaster: true, counts: WorkerCounts{Requested: 2, Running: 2}, phase: PhaseRunning, workersWait: "unschedulable"},
			Status{Phase: PhaseRunning, Requested: 2, Running: 2}},
		{"pending master", observation{hasMaster: true, phase: PhasePending, reason: "ContainerCreating", masterWait: "FailedMount: no volume"},
			Status{Phase: PhasePending, Reason: "ContainerCreating; FailedMount: no volume"}},
		{"no master to wait for", observation{phase: PhasePending, reason: "no workers requested", masterWait: "ignored"},
			Status{Phase: PhasePending, Reason: "no workers requested"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.obs.spec = spec
			tt.want.Name, tt.want.Type = spec.Name, spec.Type
			if diff := cmp.Diff(&tt.want, decide(&tt.obs)); diff != "" {
				t.Errorf("decide (-want +got):\n%s", diff)
			}
		})
	}
}

func TestNativePhaseNeedsPods(t *testing.T) {
	job := func(ready int32, conds ...batchv1.JobConditionType) *batchv1.Job {
		j := &batchv1.Job{Spec: batchv1.JobSpec{Parallelism: int32p(1)}, Status: batchv1.JobStatus{Ready: &ready}}
		for _, c := range conds {
			j.Status.Conditions = append(j.Status.Conditions, batchv1.JobCondition{Type: c, Status: corev1.ConditionTrue, Message: "m"})
		}
		return j
	}
	sts := func(replicas, ready int32) *appsv1.StatefulSet {
		return &appsv1.StatefulSet{Spec: appsv1.StatefulSetSpec{Replicas: &replicas}, Status: appsv1.StatefulSetStatus{ReadyReplicas: ready}}
	}
	suspended := job(0)
	suspended.Spec.Suspend = new(true)
	tests := []struct {
		name            string
		master, workers client.Object
		wantNeeds       bool
		// wantPhase is Phase's answer without pods, where it needs none.
		wantPhase Phase
	}{
		{"master Job running", job(1), sts(2, 0), false, PhaseRunning},
		{"master Job not ready yet", job(0), sts(2, 0), true, ""},
		{"master Job complete", job(0, batchv1.JobComplete), nil, false, PhaseSucceeded},
		{"master Job failed: its pods give the exits", job(0, batchv1.JobFailed), nil, true, ""},
		{"StatefulSet master ready", sts(1, 1), sts(3, 3), false, PhaseRunning},
		{"StatefulSet master not ready", sts(1, 0), nil, true, ""},
		{"job array asking for no units", nil, suspended, false, PhasePending},
		{"job array of a ready unit", nil, job(1), false, PhaseRunning},
		{"Deployment of no replicas", nil, &appsv1.Deployment{Spec: appsv1.DeploymentSpec{Replicas: int32p(0)}}, false, PhasePending},
		{"Deployment not ready", nil, &appsv1.Deployment{Spec: appsv1.DeploymentSpec{Replicas: int32p(2)}}, true, ""},
	}
	l := NativeLayout()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			needs := l.PhaseNeedsPods(tt.master, tt.workers)
			if needs != tt.wantNeeds {
				t.Errorf("PhaseNeedsPods = %v, want %v", needs, tt.wantNeeds)
			}
			if !needs {
				if got, _ := l.Phase(tt.master, tt.workers, nil); got != tt.wantPhase {
					t.Errorf("Phase without pods = %s, want %s", got, tt.wantPhase)
				}
			}
		})
	}
}

func TestBulkReader(t *testing.T) {
	b := &bulkReader{layout: NativeLayout(), byJob: map[string][]corev1.Pod{"pi": {
		pod("pi-a", labels.RoleMaster, corev1.PodRunning, -1),
		pod("pi-workers-0", labels.RoleWorker, corev1.PodFailed, 3),
		pod("pi-workers-1", labels.RoleWorker, corev1.PodPending, -1),
		pod("pi-workers-2", labels.RoleWorker, corev1.PodFailed, 4),
	}}, services: []corev1.Service{
		{ObjectMeta: metav1.ObjectMeta{Name: "pi", Namespace: "science", Labels: map[string]string{labels.Job: "pi"}},
			Spec: corev1.ServiceSpec{ClusterIP: "10.0.0.1", Ports: []corev1.ServicePort{{Name: "web", Port: 80}}}},
		{ObjectMeta: metav1.ObjectMeta{Name: "other", Labels: map[string]string{labels.Job: "other"}}},
	}}
	ctx := context.Background()
	names := func(role string, phase corev1.PodPhase, limit int64) []string {
		pods, err := b.pods(ctx, "pi", role, phase, limit)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, p := range pods {
			out = append(out, p.Name)
		}
		return out
	}
	for _, tt := range []struct {
		role  string
		phase corev1.PodPhase
		limit int64
		want  []string
	}{
		{labels.RoleMaster, "", maxReasonPods, []string{"pi-a"}},
		{labels.RoleWorker, corev1.PodFailed, maxReasonPods, []string{"pi-workers-0", "pi-workers-2"}},
		{labels.RoleWorker, corev1.PodFailed, 1, []string{"pi-workers-0"}},
		{labels.RoleWorker, "", 0, []string{"pi-workers-0", "pi-workers-1", "pi-workers-2"}},
		{labels.RoleWorker, corev1.PodRunning, 0, nil},
	} {
		if diff := cmp.Diff(tt.want, names(tt.role, tt.phase, tt.limit)); diff != "" {
			t.Errorf("pods %s %q limit %d (-want +got):\n%s", tt.role, tt.phase, tt.limit, diff)
		}
	}
	withPorts := jobs.Spec{Name: "pi", Ports: map[string]jobs.Port{"web": {Container: 8080, Service: 80}}}
	ep, err := b.endpoint(ctx, withPorts)
	if err != nil {
		t.Fatal(err)
	}
	want := &Endpoint{Address: "pi.science.svc", ClusterIP: "10.0.0.1", Ports: map[string]int{"web": 80}}
	if diff := cmp.Diff(want, ep); diff != "" {
		t.Errorf("endpoint (-want +got):\n%s", diff)
	}
	withPorts.Name = "gone"
	if _, err := b.endpoint(ctx, withPorts); !apierrors.IsNotFound(err) {
		t.Errorf("endpoint of a job without its Service: %v, want NotFound", err)
	}
}
