package juliarun

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

func TestChangesClassifyEvents(t *testing.T) {
	workers := &appsv1.StatefulSet{ObjectMeta: metav1.ObjectMeta{Name: "pi-workers"}}
	tests := []struct {
		name        string
		events      []runtime.Object
		wantFull    bool
		wantWorkers bool
	}{
		{"the worker StatefulSet", []runtime.Object{workers}, false, true},
		{"another kind of the workers' name", []runtime.Object{&batchv1.Job{ObjectMeta: metav1.ObjectMeta{Name: "pi-workers"}}}, true, false},
		{"the master Job", []runtime.Object{&batchv1.Job{ObjectMeta: metav1.ObjectMeta{Name: "pi"}}}, true, false},
		{"a master pod", []runtime.Object{&corev1.Pod{}}, true, false},
		{"a watch that was down", []runtime.Object{nil}, true, false},
		{"both", []runtime.Object{workers, &corev1.Pod{}}, true, true},
	}
	for _, tt := range tests {
		c := newChanges(workers)
		for _, ev := range tt.events {
			c.note(ev)
		}
		select {
		case <-c.signal:
		default:
			t.Errorf("%s: no signal", tt.name)
		}
		full, w := c.take()
		if diff := cmp.Diff([]bool{tt.wantFull, tt.wantWorkers}, []bool{full, w != nil}); diff != "" {
			t.Errorf("%s: [full workers] (-want +got):\n%s", tt.name, diff)
		}
		if full, w := c.take(); full || w != nil {
			t.Errorf("%s: take did not clear", tt.name)
		}
	}
}
