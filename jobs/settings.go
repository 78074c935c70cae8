package jobs

import (
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
)

// Settings are what a real cluster asks of a job beyond the job model's
// parameters: where its pods may run, under which identity, with which
// metadata, secrets and extra storage, and how long it lives. Every job type
// has them (its Settings field); the zero value changes nothing. The options
// that set them (WithTolerations, WithTTLAfterFinished, …) say which types
// each applies to.
type Settings struct {
	// Master is the settings of the pods that run the job's main process:
	// the master, each unit of a job array, each replica of a Webserver or
	// Generic job.
	Master PodSettings
	// Workers is the settings of the Distributed workers of a JuliaParBatch
	// or Notebook; the other types have none.
	Workers PodSettings

	// Labels and Annotations go on every object of the job, pods
	// included. Keys under juliarun.io/ are the SDK's own.
	Labels      map[string]string
	Annotations map[string]string

	// ImagePullSecrets name the Secrets (of type
	// kubernetes.io/dockerconfigjson) the kubelet pulls the job's image
	// with; ImagePullPolicy says when it pulls ("": the cluster's default,
	// Always for an image without a tag or with :latest).
	ImagePullSecrets []string
	ImagePullPolicy  corev1.PullPolicy

	// RunTimeLimit ends a batch-like job that runs longer, as Failed
	// (0: no limit). TTLAfterFinished removes every object of a finished
	// batch-like job that long after it finished, with no client running
	// (nil: kept until Delete). RetryLimit is how many times a failed
	// master is started again (0: never).
	RunTimeLimit     time.Duration
	TTLAfterFinished *time.Duration
	RetryLimit       int
}

// PodSettings are the Kubernetes settings of one role's pods.
type PodSettings struct {
	// Placement, as in a PodSpec.
	NodeSelector              map[string]string
	Tolerations               []corev1.Toleration
	Affinity                  *corev1.Affinity
	TopologySpreadConstraints []corev1.TopologySpreadConstraint
	PriorityClassName         string
	RuntimeClassName          string

	// ServiceAccountName is the pods' service account ("": the
	// namespace's default). Its token is mounted only when
	// ServiceAccountToken says so.
	ServiceAccountName  string
	ServiceAccountToken bool

	// Labels and Annotations go on the role's pods only.
	Labels      map[string]string
	Annotations map[string]string

	// EnvFrom sets environment variables from keys of Secrets and
	// ConfigMaps; EnvFromSecrets and EnvFromConfigMaps make every key of
	// the named objects a variable. The job record holds only the names.
	EnvFrom           map[string]EnvSource
	EnvFromSecrets    []string
	EnvFromConfigMaps []string

	// Volumes are Secrets, ConfigMaps and emptyDirs mounted at chosen
	// paths; ShmSize, when set, mounts a memory-backed emptyDir of that
	// size at /dev/shm (a container's own is 64 MiB).
	Volumes []Volume
	ShmSize resource.Quantity

	// Overlay is merged into the rendered pod template with strategic-merge
	// semantics (lists of containers, volumes, env merge by name), for
	// what no option covers. It may not change what the SDK relies on: see
	// WithPodOverlay.
	Overlay *corev1.PodTemplateSpec
}

// Role names the pods a setting is for.
type Role string

// The roles.
const (
	// Master: the pods of the job's main process (the master, each unit of
	// a job array, each replica of a Webserver or Generic job).
	Master Role = "master"
	// Workers: the Distributed workers of a JuliaParBatch or Notebook.
	Workers Role = "workers"
)

// EnvSource is where an environment variable's value comes from: a key of
// a Secret or of a ConfigMap. Make one with FromSecret or FromConfigMap.
type EnvSource struct {
	Secret    string `json:"secret,omitempty"`
	ConfigMap string `json:"configmap,omitempty"`
	Key       string `json:"key"`
}

// FromSecret is the value of key in the Secret named secret.
func FromSecret(secret, key string) EnvSource { return EnvSource{Secret: secret, Key: key} }

// FromConfigMap is the value of key in the ConfigMap named configMap.
func FromConfigMap(configMap, key string) EnvSource { return EnvSource{ConfigMap: configMap, Key: key} }

// Volume is a Secret, a ConfigMap or an empty directory mounted at
// MountPath. Make one with SecretVolume, ConfigMapVolume or EmptyDirVolume.
type Volume struct {
	MountPath string `json:"mount_path"`
	Secret    string `json:"secret,omitempty"`
	ConfigMap string `json:"configmap,omitempty"`
	// EmptyDir, when true, is a directory that lives as long as the pod,
	// at most SizeLimit large (zero: no limit).
	EmptyDir  bool              `json:"empty_dir,omitempty"`
	SizeLimit resource.Quantity `json:"size_limit,omitzero"`
}

// SecretVolume mounts the Secret named secret, read-only, at mountPath.
func SecretVolume(secret, mountPath string) Volume {
	return Volume{MountPath: mountPath, Secret: secret}
}

// ConfigMapVolume mounts the ConfigMap named configMap, read-only, at
// mountPath.
func ConfigMapVolume(configMap, mountPath string) Volume {
	return Volume{MountPath: mountPath, ConfigMap: configMap}
}

// EmptyDirVolume mounts a writable empty directory at mountPath, at most
// sizeLimit large (zero: no limit).
func EmptyDirVolume(mountPath string, sizeLimit resource.Quantity) Volume {
	return Volume{MountPath: mountPath, EmptyDir: true, SizeLimit: sizeLimit}
}

// ShmPath is where WithShmSize mounts its memory-backed directory.
const ShmPath = "/dev/shm"

// Pods returns the settings of role's pods.
func (s *Settings) Pods(role Role) *PodSettings {
	if role == Workers {
		return &s.Workers
	}
	return &s.Master
}

// DeepCopy returns a copy of v that shares nothing with it.
func (v *Volume) DeepCopy() *Volume {
	out := *v
	out.SizeLimit = v.SizeLimit.DeepCopy()
	return &out
}
