package juliarun

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

func TestDeletionPlan(t *testing.T) {
	cm := corev1.SchemeGroupVersion.WithKind("ConfigMap")
	secret := corev1.SchemeGroupVersion.WithKind("Secret")
	svc := corev1.SchemeGroupVersion.WithKind("Service")
	netpol := networkingv1.SchemeGroupVersion.WithKind("NetworkPolicy")
	job := batchv1.SchemeGroupVersion.WithKind("Job")
	sts := appsv1.SchemeGroupVersion.WithKind("StatefulSet")
	deploy := appsv1.SchemeGroupVersion.WithKind("Deployment")
	rs := appsv1.SchemeGroupVersion.WithKind("ReplicaSet")
	cr := appsv1.SchemeGroupVersion.WithKind("ControllerRevision")
	bg, fg := metav1.DeletePropagationBackground, metav1.DeletePropagationForeground
	one := func(gvk schema.GroupVersionKind) deletionStep {
		return deletionStep{kinds: []schema.GroupVersionKind{gvk}, policy: bg}
	}
	byLabel := []deletionStep{one(cm), one(secret), one(svc), one(netpol), one(job), one(sts), one(deploy), one(rs), one(cr), one(podKind)}
	made := &metav1.OwnerReference{Kind: "StatefulSet", Name: "pi-workers", Controller: new(true)}
	tests := []struct {
		name         string
		workloads    []schema.GroupVersionKind
		byController *metav1.OwnerReference
		want         []deletionStep
		wantFinal    deletionStep
	}{
		{"no pod a controller made: every kind by label, in order", []schema.GroupVersionKind{job, sts}, nil,
			byLabel, one(podKind)},
		{"no record: every kind by label", nil, made, byLabel, one(podKind)},
		{"pods a controller made: the workloads in the foreground, the rest but the controllers' kinds, the root alone of its kind",
			[]schema.GroupVersionKind{job, sts}, made,
			[]deletionStep{{kinds: []schema.GroupVersionKind{job, sts}, policy: fg},
				{kinds: []schema.GroupVersionKind{cm, secret, svc, netpol, deploy}, policy: bg, rootOnly: cm}},
			deletionStep{kinds: []schema.GroupVersionKind{cm, rs, cr, podKind}, policy: bg}},
	}
	k := &kubeClient{layout: NativeLayout()}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			steps, final := k.deletionPlan(cm, tt.workloads, tt.byController)
			opts := cmp.AllowUnexported(deletionStep{})
			if diff := cmp.Diff(tt.want, steps, opts); diff != "" {
				t.Errorf("steps (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantFinal, final, opts); diff != "" {
				t.Errorf("final step (-want +got):\n%s", diff)
			}
		})
	}
}
