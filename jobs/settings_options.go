package jobs

import (
	"maps"
	"slices"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
)

// podOption is an option that sets one setting of role's pods.
func podOption(role Role, param string, set func(*PodSettings)) Option {
	return optionFunc(func(o *options) { set(o.spec.Settings.Pods(role)); o.mark(roleParam(role, param)) })
}

// WithNodeSelector places role's pods on nodes with all of these labels,
// replacing any given before. Default: any node.
func WithNodeSelector(role Role, labels map[string]string) Option {
	labels = maps.Clone(labels)
	return podOption(role, podNodeSelector, func(p *PodSettings) { p.NodeSelector = maps.Clone(labels) })
}

// WithTolerations lets role's pods run on nodes with matching taints (a GPU
// pool's nvidia.com/gpu=present:NoSchedule), replacing any given before.
// Default: none.
func WithTolerations(role Role, tolerations ...corev1.Toleration) Option {
	tolerations = cloneAll(tolerations)
	return podOption(role, podTolerations, func(p *PodSettings) { p.Tolerations = cloneAll(tolerations) })
}

// WithAffinity sets role's pods' node, pod and anti-pod affinity. Default:
// none.
func WithAffinity(role Role, affinity *corev1.Affinity) Option {
	affinity = affinity.DeepCopy()
	return podOption(role, podAffinity, func(p *PodSettings) { p.Affinity = affinity.DeepCopy() })
}

// WithTopologySpread spreads role's pods over zones or nodes, replacing any
// constraints given before. A constraint without a label selector selects
// the role's own pods. Default: none.
func WithTopologySpread(role Role, constraints ...corev1.TopologySpreadConstraint) Option {
	constraints = cloneAll(constraints)
	return podOption(role, podTopologySpread, func(p *PodSettings) { p.TopologySpreadConstraints = cloneAll(constraints) })
}

// WithPriorityClass gives role's pods the priority of the named
// PriorityClass: the scheduler preempts lower-priority pods to place them.
// While workers preempted that way wait for room again, their job's Status
// says how many were preempted. Default: the cluster's default priority.
func WithPriorityClass(role Role, name string) Option {
	return podOption(role, podPriorityClass, func(p *PodSettings) { p.PriorityClassName = name })
}

// WithRuntimeClass runs role's pods with the named RuntimeClass (gVisor,
// Kata, an NVIDIA runtime). Default: the node's default runtime.
func WithRuntimeClass(role Role, name string) Option {
	return podOption(role, podRuntimeClass, func(p *PodSettings) { p.RuntimeClassName = name })
}

// WithServiceAccount runs role's pods as the named service account; its
// token is mounted only with WithServiceAccountToken(role, true). Default:
// the namespace's default account.
func WithServiceAccount(role Role, name string) Option {
	return podOption(role, podServiceAccount, func(p *PodSettings) { p.ServiceAccountName = name })
}

// WithServiceAccountToken mounts the service account's token in role's
// pods, for a process that calls the Kubernetes API. Default: false, no
// token (Julia code rarely needs one, and a token is a credential).
func WithServiceAccountToken(role Role, mount bool) Option {
	return podOption(role, podServiceAccountTok, func(p *PodSettings) { p.ServiceAccountToken = mount })
}

// WithPodLabels labels role's pods, replacing any given before. Keys under
// juliarun.io/ are the SDK's. Default: none beyond WithLabels'.
func WithPodLabels(role Role, labels map[string]string) Option {
	labels = maps.Clone(labels)
	return podOption(role, podLabels, func(p *PodSettings) { p.Labels = maps.Clone(labels) })
}

// WithPodAnnotations annotates role's pods, replacing any given before.
// Default: none beyond WithAnnotations'.
func WithPodAnnotations(role Role, annotations map[string]string) Option {
	annotations = maps.Clone(annotations)
	return podOption(role, podAnnotations, func(p *PodSettings) { p.Annotations = maps.Clone(annotations) })
}

// WithEnvFrom sets environment variables of role's pods from Secret and
// ConfigMap keys (FromSecret, FromConfigMap), replacing any given before.
// Only the names are stored in the job record, never the values, unlike
// the literal values of WithEnvVars. Default: none.
func WithEnvFrom(role Role, vars map[string]EnvSource) Option {
	vars = maps.Clone(vars)
	return podOption(role, podEnvFrom, func(p *PodSettings) { p.EnvFrom = maps.Clone(vars) })
}

// WithEnvFromSecrets makes every key of the named Secrets an environment
// variable of role's pods, replacing any given before. Default: none.
func WithEnvFromSecrets(role Role, secrets ...string) Option {
	secrets = slices.Clone(secrets)
	return podOption(role, podEnvFromSecrets, func(p *PodSettings) { p.EnvFromSecrets = slices.Clone(secrets) })
}

// WithEnvFromConfigMaps makes every key of the named ConfigMaps an
// environment variable of role's pods, replacing any given before.
// Default: none.
func WithEnvFromConfigMaps(role Role, configMaps ...string) Option {
	configMaps = slices.Clone(configMaps)
	return podOption(role, podEnvFromConfigMaps, func(p *PodSettings) { p.EnvFromConfigMaps = slices.Clone(configMaps) })
}

// WithVolumes mounts Secrets, ConfigMaps and empty directories in role's
// pods (SecretVolume, ConfigMapVolume, EmptyDirVolume), replacing any given
// before. Claims are mounted with WithAdditionalVolumes. Default: none.
func WithVolumes(role Role, volumes ...Volume) Option {
	volumes = cloneAll(volumes)
	return podOption(role, podVolumes, func(p *PodSettings) { p.Volumes = cloneAll(volumes) })
}

// WithShmSize mounts a memory-backed directory of at most size at /dev/shm
// in role's pods, for Julia code that shares memory between processes (a
// container's own /dev/shm is 64 MiB). Its pages count against the pod's
// memory limit. Default: the container runtime's 64 MiB.
func WithShmSize(role Role, size resource.Quantity) Option {
	size = size.DeepCopy()
	return podOption(role, podShmSize, func(p *PodSettings) { p.ShmSize = size.DeepCopy() })
}

// WithPodOverlay merges overlay into role's pod template with
// strategic-merge semantics, for what no option covers (a sidecar, a
// container setting, a DNS policy). The SDK's container is named "main".
// The overlay is stored in the job record, so Update and a restarted
// client see it. Validate reports as Forbidden what would break the job:
// the SDK's labels, its volumes, JRUN_* variables, and the main container's
// command, args and working directory; and it warns (Warnings) about what
// makes the pod inadmissible under Pod Security "restricted". Default:
// none.
func WithPodOverlay(role Role, overlay corev1.PodTemplateSpec) Option {
	overlay = *overlay.DeepCopy()
	return podOption(role, podOverlay, func(p *PodSettings) { p.Overlay = overlay.DeepCopy() })
}

// WithLabels labels every object of the job, its pods included, replacing
// any given before. Keys under juliarun.io/ are the SDK's. Default: none.
func WithLabels(labels map[string]string) Option {
	labels = maps.Clone(labels)
	return optionFunc(func(o *options) { o.spec.Settings.Labels = maps.Clone(labels); o.mark(paramLabels) })
}

// WithAnnotations annotates every object of the job, its pods included,
// replacing any given before. Default: none.
func WithAnnotations(annotations map[string]string) Option {
	annotations = maps.Clone(annotations)
	return optionFunc(func(o *options) {
		o.spec.Settings.Annotations = maps.Clone(annotations)
		o.mark(paramAnnotations)
	})
}

// WithImagePullSecrets names the Secrets the kubelet pulls the job's image
// with, for a private registry, replacing any given before. Default: none
// (the service account's).
func WithImagePullSecrets(secrets ...string) Option {
	secrets = slices.Clone(secrets)
	return optionFunc(func(o *options) {
		o.spec.Settings.ImagePullSecrets = slices.Clone(secrets)
		o.mark(paramImagePullSecrets)
	})
}

// WithImagePullPolicy says when the kubelet pulls the job's image.
// Default: "", the cluster's (Always for :latest or no tag, else
// IfNotPresent).
func WithImagePullPolicy(policy corev1.PullPolicy) Option {
	return optionFunc(func(o *options) { o.spec.Settings.ImagePullPolicy = policy; o.mark(paramImagePullPolicy) })
}

// WithRunTimeLimit ends a batch-like job (JuliaBatch, JuliaParBatch,
// PkgBuilder) that runs longer than limit, counted from its start: its
// pods are stopped and Status says Failed with the reason. Default: 0, no
// limit.
func WithRunTimeLimit(limit time.Duration) Option {
	return optionFunc(func(o *options) { o.spec.Settings.RunTimeLimit = limit; o.mark(paramRunTimeLimit) })
}

// WithTTLAfterFinished removes every object of a batch-like job (JuliaBatch,
// JuliaParBatch, PkgBuilder), its record included, ttl after it finished,
// done by the cluster with no client running. Its logs go with it. Default:
// kept until Delete.
func WithTTLAfterFinished(ttl time.Duration) Option {
	return optionFunc(func(o *options) { o.spec.Settings.TTLAfterFinished = &ttl; o.mark(paramTTLAfterFinished) })
}

// WithRetryLimit starts a failed master of a batch-like job (JuliaBatch,
// JuliaParBatch, PkgBuilder) again, up to n times, before the job is
// Failed. Default: 0, a failure is final.
func WithRetryLimit(n int) Option {
	return optionFunc(func(o *options) { o.spec.Settings.RetryLimit = n; o.mark(paramRetryLimit) })
}

// deepCopier is a Kubernetes API type with a generated DeepCopy.
type deepCopier[T any] interface{ DeepCopy() *T }

// cloneAll deep-copies a list of API values.
func cloneAll[T any, P interface {
	*T
	deepCopier[T]
}](in []T) []T {
	if in == nil {
		return nil
	}
	out := make([]T, len(in))
	for i := range in {
		out[i] = *P(&in[i]).DeepCopy()
	}
	return out
}
