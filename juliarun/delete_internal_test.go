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
	one := func(gvk schema.GroupVersionKind) deletionStep { return deletionStep{{gvk: gvk, policy: bg}} }
	byLabel := []deletionStep{one(cm), one(secret), one(svc), one(netpol), one(job), one(sts), one(deploy), one(rs), one(cr)}
	made := &metav1.OwnerReference{Kind: "StatefulSet", Name: "pi-workers", Controller: new(true)}
	tests := []struct {
		name         string
		workloads    []schema.GroupVersionKind
		byController *metav1.OwnerReference
		want         []deletionStep
		wantCheck    []schema.GroupVersionKind
	}{
		{"no pod a controller made: every kind but pods by label, in order", []schema.GroupVersionKind{job, sts}, nil,
			byLabel, []schema.GroupVersionKind{podKind}},
		{"no record: every kind by label", nil, made, byLabel, []schema.GroupVersionKind{podKind}},
		{"pods a controller made: the workloads in the foreground, then the rest (controllers' kinds in the foreground), the root alone of its kind",
			[]schema.GroupVersionKind{job, sts}, made,
			[]deletionStep{
				{{gvk: job, policy: fg, awaited: true}, {gvk: sts, policy: fg, awaited: true}},
				{{gvk: cm, policy: bg, rootOnly: true}, {gvk: secret, policy: bg}, {gvk: svc, policy: bg}, {gvk: netpol, policy: bg},
					{gvk: deploy, policy: bg}, {gvk: rs, policy: fg, ownersWait: true}, {gvk: cr, policy: fg, ownersWait: true}}},
			[]schema.GroupVersionKind{cm, podKind}},
	}
	k := &kubeClient{layout: NativeLayout()}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			steps, check := k.deletionPlan(cm, tt.workloads, tt.byController)
			if diff := cmp.Diff(tt.want, steps, cmp.AllowUnexported(kindDeletion{})); diff != "" {
				t.Errorf("steps (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantCheck, check); diff != "" {
				t.Errorf("kinds looked at last (-want +got):\n%s", diff)
			}
		})
	}
}
