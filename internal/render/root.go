package render

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"

	"github.com/juliarun/sdk/internal/labels"
	"github.com/juliarun/sdk/internal/names"
	"github.com/juliarun/sdk/internal/scripts"
	"github.com/juliarun/sdk/jobs"
)

// RootKeySpec is the key of the root ConfigMap that holds the job's record
// (EncodeRecord), the notebook password left out.
const RootKeySpec = "job.json"

// root returns the job's root ConfigMap. Creating it claims the job's name:
// the API server refuses a second one atomically. Every other object of the
// job is owned by it, so deleting it lets the garbage collector remove them.
func (r *renderer) root() (*corev1.ConfigMap, error) {
	data, err := EncodeRecord(r.s)
	if err != nil {
		return nil, fmt.Errorf("recording the job: %w", err)
	}
	return &corev1.ConfigMap{
		TypeMeta:   typeMeta("v1", "ConfigMap"),
		ObjectMeta: r.meta(names.Root(r.s.Name), labels.RoleRoot),
		Data:       map[string]string{RootKeySpec: string(data)},
	}, nil
}

// DecodeRoot returns the Spec recorded in a root ConfigMap.
func DecodeRoot(cm *corev1.ConfigMap) (jobs.Spec, error) {
	raw, ok := cm.Data[RootKeySpec]
	if !ok {
		return jobs.Spec{}, fmt.Errorf("ConfigMap %s has no %s: not a juliarun job", cm.Name, RootKeySpec)
	}
	s, err := DecodeRecord([]byte(raw))
	if err != nil {
		return jobs.Spec{}, fmt.Errorf("ConfigMap %s: %w", cm.Name, err)
	}
	return s, nil
}

// scriptsConfigMap returns the ConfigMap of the scripts the SDK ships.
func (r *renderer) scriptsConfigMap() *corev1.ConfigMap {
	immutable := true
	return &corev1.ConfigMap{
		TypeMeta:   typeMeta("v1", "ConfigMap"),
		ObjectMeta: r.meta(names.Scripts(r.s.Name), labels.RoleConfig),
		Immutable:  &immutable,
		Data:       scripts.Files(),
	}
}
