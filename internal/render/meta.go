package render

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/juliarun/sdk/internal/labels"
)

func typeMeta(apiVersion, kind string) metav1.TypeMeta {
	return metav1.TypeMeta{APIVersion: apiVersion, Kind: kind}
}

// meta returns the metadata of an object of the job: its name, namespace
// and the job's labels with role. Owner references to the root are the
// client's to add, once the root has its UID.
func (r *renderer) meta(name, role string) metav1.ObjectMeta {
	return metav1.ObjectMeta{
		Name:      name,
		Namespace: r.ns,
		Labels:    labels.ForJob(r.s.Name, string(r.s.Type), role),
	}
}

// podLabels returns the labels of the job's pods with role.
func (r *renderer) podLabels(role string) map[string]string {
	return labels.ForJob(r.s.Name, string(r.s.Type), role)
}

// metav1ObjectMeta returns pod-template metadata with labels.
func metav1ObjectMeta(l map[string]string) metav1.ObjectMeta { return metav1.ObjectMeta{Labels: l} }
