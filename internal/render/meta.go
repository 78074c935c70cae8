package render

import (
	"maps"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/juliarun/sdk/internal/labels"
	"github.com/juliarun/sdk/jobs"
)

func typeMeta(apiVersion, kind string) metav1.TypeMeta {
	return metav1.TypeMeta{APIVersion: apiVersion, Kind: kind}
}

// meta returns the metadata of an object of the job: its name, namespace,
// the job's own labels and annotations (WithLabels, WithAnnotations) and
// the SDK's labels with role, which win. Owner references to the root are
// the client's to add, once the root has its UID.
func (r *renderer) meta(name, role string) metav1.ObjectMeta {
	return metav1.ObjectMeta{
		Name:        name,
		Namespace:   r.ns,
		Labels:      merged(r.s.Settings.Labels, labels.ForJob(r.s.Name, string(r.s.Type), role)),
		Annotations: merged(r.s.Settings.Annotations),
	}
}

// podMeta returns the pod-template metadata of the pods of role with
// settings: the job's labels and annotations, the role's pods' own, and the
// SDK's labels, which win.
func (r *renderer) podMeta(role string, settings *jobs.PodSettings) metav1.ObjectMeta {
	return metav1.ObjectMeta{
		Labels:      merged(r.s.Settings.Labels, settings.Labels, labels.ForJob(r.s.Name, string(r.s.Type), role)),
		Annotations: merged(r.s.Settings.Annotations, settings.Annotations),
	}
}

// merged returns the union of ms, later maps winning; nil when all are
// empty.
func merged(ms ...map[string]string) map[string]string {
	var out map[string]string
	for _, m := range ms {
		if len(m) == 0 {
			continue
		}
		if out == nil {
			out = map[string]string{}
		}
		maps.Copy(out, m)
	}
	return out
}
