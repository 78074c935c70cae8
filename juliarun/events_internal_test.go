package juliarun

import (
	"context"
	"crypto/rand"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	"github.com/juliarun/sdk/internal/labels"
	"github.com/juliarun/sdk/internal/render"
	"github.com/juliarun/sdk/jobs"
)

// TestWhyPodsWait checks the decisions that explain waiting pods from what
// was read: which pods need their events, which event is the newest
// whichever events API wrote it, and a JuliaParBatch's unreplaced failed
// workers. (TestStatusExplainsWaitingPods shows Multi-Attach and
// FailedMount through Status; the cluster test
// TestStatusExplainsFailedCreate shows FailedCreate end to end.)
func TestWhyPodsWait(t *testing.T) {
	t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	at := func(d time.Duration) metav1.Time { return metav1.NewTime(t0.Add(d)) }
	scheduled := corev1.PodCondition{Type: corev1.PodScheduled, Status: corev1.ConditionTrue}
	creating := &corev1.Pod{Status: corev1.PodStatus{Phase: corev1.PodPending, Conditions: []corev1.PodCondition{scheduled},
		ContainerStatuses: []corev1.ContainerStatus{{State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "ContainerCreating"}}}}}}
	unschedulable := &corev1.Pod{Status: corev1.PodStatus{Phase: corev1.PodPending, Conditions: []corev1.PodCondition{
		{Type: corev1.PodScheduled, Status: corev1.ConditionFalse, Message: "0/3 nodes are available: 3 Insufficient cpu."}}}}
	pulling := &corev1.Pod{Status: corev1.PodStatus{Phase: corev1.PodPending, ContainerStatuses: []corev1.ContainerStatus{
		{State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "ImagePullBackOff", Message: "no such image"}}}}}}
	for _, tt := range []struct {
		name string
		pod  *corev1.Pod
		want bool
	}{
		{"scheduled, containers being created", creating, true},
		{"scheduled, nothing reported yet", &corev1.Pod{Status: corev1.PodStatus{Phase: corev1.PodPending, Conditions: []corev1.PodCondition{scheduled}}}, true},
		{"unschedulable", unschedulable, false},
		{"image pull back-off", pulling, false},
	} {
		if got := needsEvents(tt.pod); got != tt.want {
			t.Errorf("needsEvents(%s) = %v, want %v", tt.name, got, tt.want)
		}
	}

	events := []struct {
		name   string
		events []corev1.Event
		want   string
	}{
		{"none", nil, ""},
		{"multi-attach after a mount failure", []corev1.Event{
			{Reason: "FailedMount", Message: "MountVolume.SetUp failed", LastTimestamp: at(time.Minute)},
			{Reason: "FailedAttachVolume", Message: `Multi-Attach error for volume "pvc-1" Volume is already used by pod(s) w-0 `, LastTimestamp: at(2 * time.Minute)},
		}, `FailedAttachVolume: Multi-Attach error for volume "pvc-1" Volume is already used by pod(s) w-0`},
		{"events.k8s.io series beat an older core event", []corev1.Event{
			{Reason: "FailedCreate", Message: "old", LastTimestamp: at(time.Minute)},
			{Reason: "FailedCreate", Message: `pods "w-3" is forbidden: exceeded quota: q`, EventTime: metav1.NewMicroTime(t0),
				Series: &corev1.EventSeries{LastObservedTime: metav1.NewMicroTime(t0.Add(3 * time.Minute))}},
		}, `FailedCreate: pods "w-3" is forbidden: exceeded quota: q`},
		{"the scheduler's event before its pod condition", []corev1.Event{
			{Reason: "FailedScheduling", Message: `0/2 nodes are available: persistentvolumeclaim "c" not found.`, LastTimestamp: at(time.Minute)},
		}, `unschedulable: 0/2 nodes are available: persistentvolumeclaim "c" not found.`},
		{"only an event time", []corev1.Event{{Reason: "FailedMount", EventTime: metav1.NewMicroTime(t0)}}, "FailedMount"},
	}
	for _, tt := range events {
		if diff := cmp.Diff(tt.want, newestWarning(tt.events)); diff != "" {
			t.Errorf("newestWarning(%s) (-want +got):\n%s", tt.name, diff)
		}
	}

	for _, tt := range []struct {
		name string
		job  batchv1.Job
		want int
	}{
		{"replaced failures are no failed workers", batchv1.Job{Status: batchv1.JobStatus{Failed: 4}}, 0},
		{"failed indexes that stay failed", batchv1.Job{Spec: batchv1.JobSpec{BackoffLimitPerIndex: ptr.To[int32](0)},
			Status: batchv1.JobStatus{Failed: 5, FailedIndexes: ptr.To("1,3-5,9")}}, 5},
		{"no failed index yet", batchv1.Job{Spec: batchv1.JobSpec{BackoffLimitPerIndex: ptr.To[int32](0)}}, 0},
	} {
		if got := failedWorkers(&tt.job); got != tt.want {
			t.Errorf("failedWorkers(%s) = %d, want %d", tt.name, got, tt.want)
		}
	}
}

// TestJoinReasons: each reason is said once, also when one was already
// joined into another (a pending master's wait reason within the phase's).
func TestJoinReasons(t *testing.T) {
	for _, tt := range []struct {
		in   []string
		want string
	}{
		{[]string{"a", "", " b ", "a"}, "a; b"},
		{[]string{"no pod created yet; unschedulable: 0/3 nodes are available", "unschedulable: 0/3 nodes are available"},
			"no pod created yet; unschedulable: 0/3 nodes are available"},
		{[]string{"exit code 13", "exit code 1"}, "exit code 13; exit code 1"},
	} {
		if diff := cmp.Diff(tt.want, joinReasons(tt.in...)); diff != "" {
			t.Errorf("joinReasons(%q) (-want +got):\n%s", tt.in, diff)
		}
	}
}

// TestFailedExits: a failed pod is explained by its exit, or, when it was
// ended from outside (preempted, evicted), by that.
func TestFailedExits(t *testing.T) {
	exited := func(code int32, conds ...corev1.PodCondition) corev1.Pod {
		return corev1.Pod{Status: corev1.PodStatus{Phase: corev1.PodFailed, Conditions: conds,
			ContainerStatuses: []corev1.ContainerStatus{{State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: code}}}}}}
	}
	pods := []corev1.Pod{
		exited(3),
		exited(143, corev1.PodCondition{Type: corev1.DisruptionTarget, Status: corev1.ConditionTrue, Reason: "PreemptionByScheduler",
			Message: "default-scheduler: preempting to accommodate a higher priority pod"}),
		exited(143, corev1.PodCondition{Type: corev1.DisruptionTarget, Status: corev1.ConditionTrue, Reason: "EvictionByEvictionAPI",
			Message: "Eviction API: evicting"}),
		{Status: corev1.PodStatus{Phase: corev1.PodRunning}},
	}
	want := []string{"exit code 3", "preempted by a higher-priority pod", "disrupted: EvictionByEvictionAPI: Eviction API: evicting"}
	if diff := cmp.Diff(want, failedExits(pods)); diff != "" {
		t.Errorf("failedExits (-want +got):\n%s", diff)
	}
}

// TestStatusExplainsWaitingPods runs Status through the Client's own reads
// against a fake API server holding what a cluster would: a Notebook whose
// workers (a StatefulSet: its pods keep their names when made again) wait,
// and the events the attach-detach controller, the kubelet or the
// StatefulSet controller recorded, in their own words. Simulated nodes
// attach and mount nothing, so Multi-Attach is shown here; the real node's
// kubelet shows FailedMount in TestRealNode/WaitingOnAMount.
func TestStatusExplainsWaitingPods(t *testing.T) {
	const ns = "science"
	t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	spec := jobs.NewNotebook("nb", "work", jobs.WithNWorkers(3), jobs.WithPassword("pw")).Spec()
	warning := func(kind, name string, uid types.UID, reason, message string, at time.Duration) *corev1.Event {
		return &corev1.Event{
			ObjectMeta:     metav1.ObjectMeta{Name: fmt.Sprintf("%s.%s.%s", name, uid, reason), Namespace: ns},
			InvolvedObject: corev1.ObjectReference{Kind: kind, Namespace: ns, Name: name, UID: uid},
			Type:           corev1.EventTypeWarning, Reason: reason, Message: message,
			LastTimestamp: metav1.NewTime(t0.Add(at)),
		}
	}
	// creating is a pod scheduled whose containers the kubelet has not
	// created: it waits for its volumes.
	creating := func(name, role string, uid types.UID) *corev1.Pod {
		return &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, UID: uid, Labels: labels.Selector("nb", role)},
			Status: corev1.PodStatus{Phase: corev1.PodPending,
				Conditions: []corev1.PodCondition{{Type: corev1.PodScheduled, Status: corev1.ConditionTrue}},
				ContainerStatuses: []corev1.ContainerStatus{{Name: "notebook", State: corev1.ContainerState{
					Waiting: &corev1.ContainerStateWaiting{Reason: "ContainerCreating"}}}}},
		}
	}
	const (
		multiAttach = `Multi-Attach error for volume "pvc-7a81d56f" Volume is already used by pod(s) nb-0, nb-workers-0`
		// The attach-detach controller's words since mid-2026
		// (kubernetes/kubernetes#138837).
		waitingForDetach = `Waiting for detach for volume "pvc-7a81d56f" Volume is already used by pod(s) nb-0, nb-workers-0`
		missingSecret    = `MountVolume.SetUp failed for volume "secret-0" : secret "missing-secret" not found`
		quota            = `create Pod nb-workers-1 in StatefulSet nb-workers failed error: pods "nb-workers-1" is forbidden: ` +
			`exceeded quota: pods, requested: pods=1, used: pods=2, limited: pods=2`
	)
	worker1 := creating("nb-workers-1", labels.RoleWorker, "w1")
	tests := []struct {
		name string
		// masterReady and workersReady are the StatefulSets' ready
		// replicas, of 1 and 3.
		masterReady, workersReady int32
		objs                      []client.Object // pods and events
		want                      Status
	}{
		{"a ReadWriteOnce volume attached to another node", 1, 1, []client.Object{worker1,
			warning("Pod", "nb-workers-1", "w1", "FailedAttachVolume", multiAttach, time.Minute),
			// Events of other objects and Normal events say nothing.
			warning("Pod", "nb-workers-0", "w0", "FailedMount", missingSecret, 2*time.Minute),
			&corev1.Event{ObjectMeta: metav1.ObjectMeta{Name: "scheduled", Namespace: ns}, Type: corev1.EventTypeNormal, Reason: "Scheduled",
				InvolvedObject: corev1.ObjectReference{Kind: "Pod", Name: "nb-workers-1", UID: "w1"}, LastTimestamp: metav1.NewTime(t0.Add(3 * time.Minute))},
		}, Status{Phase: PhaseRunning, Requested: 3, Running: 1, Reason: "2 of 3 workers waiting: FailedAttachVolume: " + multiAttach}},
		{"the attach-detach controller's newer words", 1, 1, []client.Object{worker1,
			warning("Pod", "nb-workers-1", "w1", "FailedAttachVolume", waitingForDetach, time.Minute),
		}, Status{Phase: PhaseRunning, Requested: 3, Running: 1, Reason: "2 of 3 workers waiting: FailedAttachVolume: " + waitingForDetach}},
		{"a Secret volume whose Secret is missing", 1, 2, []client.Object{worker1,
			warning("Pod", "nb-workers-1", "w1", "FailedMount", missingSecret, time.Minute),
		}, Status{Phase: PhaseRunning, Requested: 3, Running: 2, Reason: "1 of 3 workers waiting: FailedMount: " + missingSecret}},
		{"a newer event of an earlier pod of the same name", 1, 1, []client.Object{worker1,
			warning("Pod", "nb-workers-1", "w1", "FailedAttachVolume", multiAttach, time.Minute),
			warning("Pod", "nb-workers-1", "w1-before", "FailedMount", missingSecret, 5*time.Minute),
		}, Status{Phase: PhaseRunning, Requested: 3, Running: 1, Reason: "2 of 3 workers waiting: FailedAttachVolume: " + multiAttach}},
		{"only an earlier pod of the same name has events", 1, 1, []client.Object{worker1,
			warning("Pod", "nb-workers-1", "w1-before", "FailedMount", missingSecret, 5*time.Minute),
		}, Status{Phase: PhaseRunning, Requested: 3, Running: 1, Reason: "2 of 3 workers waiting: ContainerCreating"}},
		{"no pod: the controller may not create it", 1, 1, []client.Object{
			warning("StatefulSet", "nb-workers", "workers", "FailedCreate", quota, time.Minute),
		}, Status{Phase: PhaseRunning, Requested: 3, Running: 1, Reason: "2 of 3 workers waiting: FailedCreate: " + quota}},
		{"no pod, and only the workers of an earlier job of the same name could not make theirs", 1, 1, []client.Object{
			warning("StatefulSet", "nb-workers", "workers-before", "FailedCreate", quota, time.Minute),
		}, Status{Phase: PhaseRunning, Requested: 3, Running: 1}},
		{"a pending master", 0, 3, []client.Object{creating("nb-0", labels.RoleMaster, "m0"),
			warning("Pod", "nb-0", "m0", "FailedAttachVolume", multiAttach, time.Minute),
		}, Status{Phase: PhasePending, Requested: 3, Running: 3, Reason: "ContainerCreating; FailedAttachVolume: " + multiAttach}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			objs, err := render.Render(spec, ns, rand.Reader)
			if err != nil {
				t.Fatal(err)
			}
			for _, o := range objs {
				switch w := o.(type) {
				case *appsv1.StatefulSet:
					if w.Name == "nb" {
						w.UID, w.Status.ReadyReplicas = "master", tt.masterReady
					} else {
						w.UID, w.Status.ReadyReplicas = "workers", tt.workersReady
					}
				}
			}
			k := &kubeClient{ns: ns, layout: NativeLayout(), c: fakeEvents(append(objs, tt.objs...)...)}
			got, err := k.Status(context.Background(), "nb")
			if err != nil {
				t.Fatal(err)
			}
			tt.want.Name, tt.want.Type = "nb", jobs.TypeNotebook
			if diff := cmp.Diff(&tt.want, got, cmpopts.IgnoreFields(Status{}, "Created", "Endpoint")); diff != "" {
				t.Errorf("Status (-want +got):\n%s", diff)
			}
		})
	}
}

// fakeEvents returns a fake API server holding objs that answers the
// field selectors the Client lists pods and events by, as the API server
// does.
func fakeEvents(objs ...client.Object) client.WithWatch {
	event := func(field func(e *corev1.Event) string) client.IndexerFunc {
		return func(o client.Object) []string { return []string{field(o.(*corev1.Event))} }
	}
	return fake.NewClientBuilder().WithObjects(objs...).
		WithIndex(&corev1.Pod{}, "status.phase", func(o client.Object) []string { return []string{string(o.(*corev1.Pod).Status.Phase)} }).
		WithIndex(&corev1.Event{}, "involvedObject.kind", event(func(e *corev1.Event) string { return e.InvolvedObject.Kind })).
		WithIndex(&corev1.Event{}, "involvedObject.name", event(func(e *corev1.Event) string { return e.InvolvedObject.Name })).
		WithIndex(&corev1.Event{}, "involvedObject.uid", event(func(e *corev1.Event) string { return string(e.InvolvedObject.UID) })).
		WithIndex(&corev1.Event{}, "type", event(func(e *corev1.Event) string { return e.Type })).
		WithIndex(&corev1.Event{}, "reason", event(func(e *corev1.Event) string { return e.Reason })).
		Build()
}
