package juliarun

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// TestPreemptedWorkers checks which Preempted events count as preempted
// workers of a workload: those of its own pods, by the names its
// controller gives them, since it was made, each pod once.
func TestPreemptedWorkers(t *testing.T) {
	t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	meta := func(name string) metav1.ObjectMeta {
		return metav1.ObjectMeta{Name: name, CreationTimestamp: metav1.NewTime(t0)}
	}
	job := &batchv1.Job{ObjectMeta: meta("low-workers")}
	sts := &appsv1.StatefulSet{ObjectMeta: meta("nb-workers")}
	deploy := &appsv1.Deployment{ObjectMeta: meta("web")}
	// The longest workers name (52 characters): index 10000 and up cut it.
	long := &batchv1.Job{ObjectMeta: meta(strings.Repeat("a", 44) + "-workers")}
	preempted := func(pod string, uid types.UID, at time.Duration) corev1.Event {
		return corev1.Event{Reason: reasonPreempted, Type: corev1.EventTypeNormal,
			InvolvedObject: corev1.ObjectReference{Kind: "Pod", Name: pod, UID: uid},
			EventTime:      metav1.NewMicroTime(t0.Add(at)),
			Message:        "Preempted by pod 0ee33b9a on node workers-0"}
	}
	for _, tt := range []struct {
		name    string
		workers client.Object
		events  []corev1.Event
		want    string
	}{
		{"no events", job, nil, ""},
		{"indexed job, one", job, []corev1.Event{preempted("low-workers-0-d7cfd", "a", time.Second)},
			"1 worker preempted by a higher-priority pod"},
		{"indexed job, two pods, one counted twice", job, []corev1.Event{
			preempted("low-workers-0-d7cfd", "a", time.Second), preempted("low-workers-0-d7cfd", "a", 2*time.Second),
			preempted("low-workers-1-897f9", "b", time.Second)},
			"2 workers preempted by higher-priority pods"},
		{"indexed job: the master, another job's workers, a job named like the workers", job, []corev1.Event{
			preempted("low-x7k2p", "m", time.Second),
			preempted("low-workers-workers-0-d7cfd", "o", time.Second),
			preempted("lower-workers-0-d7cfd", "p", time.Second),
			preempted("low-workers-x-d7cfd", "q", time.Second),
			preempted("low-workers-0", "r", time.Second)},
			""},
		{"before the workload was made: an earlier job of the same name", job, []corev1.Event{
			preempted("low-workers-0-d7cfd", "a", -time.Minute)}, ""},
		{"not a preemption", job, []corev1.Event{{Reason: "Scheduled",
			InvolvedObject: corev1.ObjectReference{Kind: "Pod", Name: "low-workers-0-d7cfd", UID: "a"},
			EventTime:      metav1.NewMicroTime(t0.Add(time.Second))}}, ""},
		{"indexed job, name cut short at index 10000", long, []corev1.Event{
			preempted(strings.Repeat("a", 44)+"-worker-10000-d7cfd", "a", time.Second),
			preempted(strings.Repeat("a", 44)+"-workers-9999-d7cfd", "b", time.Second),
			preempted(strings.Repeat("a", 44)+"-worke-10000-d7cfd", "c", time.Second),
			preempted(strings.Repeat("a", 44)+"-worker-9999-d7cfd", "d", time.Second)},
			"2 workers preempted by higher-priority pods"},
		{"statefulset: the same name twice is two pods", sts, []corev1.Event{
			preempted("nb-workers-0", "a", time.Second), preempted("nb-workers-0", "b", time.Minute),
			preempted("nb-workers-1-x", "c", time.Second), preempted("nb-0", "d", time.Second)},
			"2 workers preempted by higher-priority pods"},
		{"deployment", deploy, []corev1.Event{
			preempted("web-7d4b9c6f8-abcde", "a", time.Second),
			preempted("web-api-7d4b9c6f8-abcde", "b", time.Second)},
			"1 worker preempted by a higher-priority pod"},
		{"a workload of a kind no controller names", &corev1.Pod{ObjectMeta: meta("low-workers")}, []corev1.Event{
			preempted("low-workers-0-d7cfd", "a", time.Second)}, ""},
	} {
		if diff := cmp.Diff(tt.want, preemptedWorkers(NativeLayout(), tt.workers, tt.events)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.name, diff)
		}
	}
}
