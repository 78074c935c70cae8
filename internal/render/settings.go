package render

import (
	"sort"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/juliarun/sdk/internal/labels"
	"github.com/juliarun/sdk/internal/names"
	"github.com/juliarun/sdk/jobs"
)

// place applies the placement and identity settings of p's pods to spec.
func (r *renderer) place(spec *corev1.PodSpec, p process) {
	set := p.settings
	spec.NodeSelector = merged(set.NodeSelector)
	for _, t := range set.Tolerations {
		spec.Tolerations = append(spec.Tolerations, *t.DeepCopy())
	}
	spec.Affinity = set.Affinity.DeepCopy()
	for _, c := range set.TopologySpreadConstraints {
		c := *c.DeepCopy()
		if c.LabelSelector == nil {
			// Spread the role's own pods, the common case.
			c.LabelSelector = &metav1.LabelSelector{MatchLabels: labels.Selector(r.s.Name, p.role)}
		}
		spec.TopologySpreadConstraints = append(spec.TopologySpreadConstraints, c)
	}
	spec.PriorityClassName = set.PriorityClassName
	if set.RuntimeClassName != "" {
		name := set.RuntimeClassName
		spec.RuntimeClassName = &name
	}
	spec.ServiceAccountName = set.ServiceAccountName
	for _, s := range r.s.Settings.ImagePullSecrets {
		spec.ImagePullSecrets = append(spec.ImagePullSecrets, corev1.LocalObjectReference{Name: s})
	}
}

// envFrom makes every key of the named Secrets and ConfigMaps a variable.
func envFrom(set *jobs.PodSettings) []corev1.EnvFromSource {
	var out []corev1.EnvFromSource
	for _, s := range set.EnvFromSecrets {
		out = append(out, corev1.EnvFromSource{SecretRef: &corev1.SecretEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: s}}})
	}
	for _, c := range set.EnvFromConfigMaps {
		out = append(out, corev1.EnvFromSource{ConfigMapRef: &corev1.ConfigMapEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: c}}})
	}
	return out
}

// envFromKeys returns the variables taken from Secret and ConfigMap keys:
// the pod spec names the key, the kubelet reads the value, and neither the
// record nor the SDK ever holds it.
func envFromKeys(set *jobs.PodSettings) []corev1.EnvVar {
	var out []corev1.EnvVar
	for name, src := range set.EnvFrom {
		v := corev1.EnvVar{Name: name, ValueFrom: &corev1.EnvVarSource{}}
		if src.Secret != "" {
			v.ValueFrom.SecretKeyRef = &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: src.Secret}, Key: src.Key}
		} else {
			v.ValueFrom.ConfigMapKeyRef = &corev1.ConfigMapKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: src.ConfigMap}, Key: src.Key}
		}
		out = append(out, v)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// settingsVolumes returns the Secret, ConfigMap and emptyDir volumes of the
// settings, then the memory-backed /dev/shm.
func settingsVolumes(set *jobs.PodSettings) []corev1.Volume {
	var out []corev1.Volume
	for i, v := range set.Volumes {
		vol := corev1.Volume{Name: names.SettingsVolume(i)}
		switch {
		case v.Secret != "":
			vol.Secret = &corev1.SecretVolumeSource{SecretName: v.Secret}
		case v.ConfigMap != "":
			vol.ConfigMap = &corev1.ConfigMapVolumeSource{LocalObjectReference: corev1.LocalObjectReference{Name: v.ConfigMap}}
		default:
			vol.EmptyDir = &corev1.EmptyDirVolumeSource{}
			if !v.SizeLimit.IsZero() {
				limit := v.SizeLimit.DeepCopy()
				vol.EmptyDir.SizeLimit = &limit
			}
		}
		out = append(out, vol)
	}
	if !set.ShmSize.IsZero() {
		size := set.ShmSize.DeepCopy()
		out = append(out, corev1.Volume{Name: names.VolumeShm, VolumeSource: corev1.VolumeSource{
			EmptyDir: &corev1.EmptyDirVolumeSource{Medium: corev1.StorageMediumMemory, SizeLimit: &size}}})
	}
	return out
}

func settingsMounts(set *jobs.PodSettings) []corev1.VolumeMount {
	var out []corev1.VolumeMount
	for i, v := range set.Volumes {
		out = append(out, corev1.VolumeMount{Name: names.SettingsVolume(i), MountPath: v.MountPath, ReadOnly: !v.EmptyDir})
	}
	if !set.ShmSize.IsZero() {
		out = append(out, corev1.VolumeMount{Name: names.VolumeShm, MountPath: jobs.ShmPath})
	}
	return out
}
