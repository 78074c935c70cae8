package juliarun

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/watch"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/juliarun/sdk/internal/labels"
	"github.com/juliarun/sdk/jobs"
)

// TestWaiterApply checks what a Wait makes of its watches' events: the
// workloads and master pods it judges next, and whether a batch changed
// only a master's workers (counted with no request) or more.
func TestWaiterApply(t *testing.T) {
	jobKind := batchv1.SchemeGroupVersion.WithKind("Job")
	stsKind := appsv1.SchemeGroupVersion.WithKind("StatefulSet")
	meta := func(name string) metav1.ObjectMeta {
		return metav1.ObjectMeta{Name: name, Labels: map[string]string{labels.Job: "pi"}}
	}
	master := &batchv1.Job{TypeMeta: metav1.TypeMeta{Kind: "Job"}, ObjectMeta: metav1.ObjectMeta{Name: "pi"}}
	workers := &appsv1.StatefulSet{TypeMeta: metav1.TypeMeta{Kind: "StatefulSet"}, ObjectMeta: metav1.ObjectMeta{Name: "pi-workers"}}
	ready := func(n int32) *appsv1.StatefulSet {
		return &appsv1.StatefulSet{ObjectMeta: meta("pi-workers"), Status: appsv1.StatefulSetStatus{ReadyReplicas: n}}
	}
	masterJob := &batchv1.Job{ObjectMeta: meta("pi")}
	masterPod := &corev1.Pod{ObjectMeta: meta("pi-x"), Status: corev1.PodStatus{Phase: corev1.PodRunning}}
	ev := func(gvk schema.GroupVersionKind, typ watch.EventType, o client.Object) streamEvent {
		return streamEvent{gvk: gvk, event: watch.Event{Type: typ, Object: o}}
	}
	tests := []struct {
		name        string
		events      []streamEvent
		wantBatch   batchChanges
		wantReady   int32  // of the workers seen, -1 for none
		wantPods    int    // master pods seen
		wantMissing string // what the snapshot says is missing
	}{
		{"the workers", []streamEvent{ev(stsKind, watch.Modified, ready(2))},
			batchChanges{workers: true}, 2, 0, ""},
		{"the workers twice: the last one counts", []streamEvent{ev(stsKind, watch.Modified, ready(2)), ev(stsKind, watch.Modified, ready(3))},
			batchChanges{workers: true}, 3, 0, ""},
		{"the master", []streamEvent{ev(jobKind, watch.Modified, masterJob)},
			batchChanges{other: true}, 1, 0, ""},
		{"a master pod", []streamEvent{ev(podKind, watch.Added, masterPod)},
			batchChanges{other: true}, 1, 1, ""},
		{"a master pod gone", []streamEvent{ev(podKind, watch.Added, masterPod), ev(podKind, watch.Deleted, masterPod)},
			batchChanges{other: true}, 1, 0, ""},
		{"another job's object of the kind", []streamEvent{ev(stsKind, watch.Modified, &appsv1.StatefulSet{ObjectMeta: metav1.ObjectMeta{Name: "pi-workers"}})},
			batchChanges{}, 1, 0, ""},
		{"another object of the job", []streamEvent{ev(stsKind, watch.Modified, &appsv1.StatefulSet{ObjectMeta: meta("pi-extra")})},
			batchChanges{}, 1, 0, ""},
		{"the workers deleted", []streamEvent{ev(stsKind, watch.Deleted, ready(0))},
			batchChanges{workers: true, deleted: true}, -1, 0, "StatefulSet pi-workers"},
		{"a reset without the workers", []streamEvent{{gvk: stsKind, reset: true}},
			batchChanges{other: true}, -1, 0, "StatefulSet pi-workers"},
		{"a reset with them", []streamEvent{{gvk: stsKind, reset: true, objects: []client.Object{ready(4)}}},
			batchChanges{workers: true, other: true}, 4, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := &waiter{k: &kubeClient{}, s: jobs.Spec{Name: "pi"}, master: master, workers: workers,
				kinds: &workloadKinds{order: []schema.GroupVersionKind{jobKind, stsKind},
					sample: map[schema.GroupVersionKind]client.Object{jobKind: master, stsKind: workers},
					of:     map[client.Object]schema.GroupVersionKind{master: jobKind, workers: stsKind}},
				current: map[workloadKey]client.Object{
					{jobKind, "pi"}: masterJob, {stsKind, "pi-workers"}: ready(1)},
				masterPods: map[string]corev1.Pod{}}
			var batch batchChanges
			for _, e := range tt.events {
				w.apply(e, &batch)
			}
			if diff := cmp.Diff(tt.wantBatch, batch, cmp.AllowUnexported(batchChanges{})); diff != "" {
				t.Errorf("batch (-want +got):\n%s", diff)
			}
			snap := w.snapshot()
			gotReady := int32(-1)
			if s, ok := snap.workers.(*appsv1.StatefulSet); ok {
				gotReady = s.Status.ReadyReplicas
			}
			got := []any{gotReady, len(snap.pods), snap.missing}
			if diff := cmp.Diff([]any{tt.wantReady, tt.wantPods, tt.wantMissing}, got); diff != "" {
				t.Errorf("[ready pods missing] (-want +got):\n%s", diff)
			}
		})
	}
}
