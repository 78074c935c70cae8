package juliarun

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

// TestWhyPodsWait checks the decisions that explain waiting pods from what
// was read: which pods need their events, which event is the newest
// whichever events API wrote it, and a JuliaParBatch's unreplaced failed
// workers. (Multi-Attach and FailedMount cannot happen on simulated nodes,
// which attach and mount nothing; the cluster test
// TestStatusExplainsFailedCreate shows the event path end to end.)
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
