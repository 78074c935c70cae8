package render

import (
	"fmt"
	"maps"
	"reflect"
	"slices"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/juliarun/sdk/jobs"
)

// settingsRecord is a job's Kubernetes settings in the record (version 2),
// keys named as the options' parameters (jobs.Settings). Variables from
// Secrets and ConfigMaps are recorded by name and key: no value is ever in
// the record.
type settingsRecord struct {
	Labels           map[string]string `json:"labels,omitempty"`
	Annotations      map[string]string `json:"annotations,omitempty"`
	ImagePullSecrets []string          `json:"image_pull_secrets,omitempty"`
	ImagePullPolicy  corev1.PullPolicy `json:"image_pull_policy,omitempty"`
	RunTimeLimit     string            `json:"run_time_limit,omitempty"`
	TTLAfterFinished string            `json:"ttl_after_finished,omitempty"`
	RetryLimit       int               `json:"retry_limit,omitempty"`
	Master           *podRecord        `json:"master,omitempty"`
	Workers          *podRecord        `json:"workers,omitempty"`
}

type podRecord struct {
	NodeSelector              map[string]string                 `json:"node_selector,omitempty"`
	Tolerations               []corev1.Toleration               `json:"tolerations,omitempty"`
	Affinity                  *corev1.Affinity                  `json:"affinity,omitempty"`
	TopologySpreadConstraints []corev1.TopologySpreadConstraint `json:"topology_spread_constraints,omitempty"`
	PriorityClass             string                            `json:"priority_class,omitempty"`
	RuntimeClass              string                            `json:"runtime_class,omitempty"`
	ServiceAccount            string                            `json:"service_account,omitempty"`
	ServiceAccountToken       bool                              `json:"service_account_token,omitempty"`
	Labels                    map[string]string                 `json:"labels,omitempty"`
	Annotations               map[string]string                 `json:"annotations,omitempty"`
	EnvFrom                   map[string]jobs.EnvSource         `json:"env_from,omitempty"`
	EnvFromSecrets            []string                          `json:"env_from_secrets,omitempty"`
	EnvFromConfigMaps         []string                          `json:"env_from_configmaps,omitempty"`
	Volumes                   []jobs.Volume                     `json:"volumes,omitempty"`
	ShmSize                   string                            `json:"shm_size,omitempty"`
	Overlay                   *corev1.PodTemplateSpec           `json:"overlay,omitempty"`
}

// hasSettings reports whether s sets any Kubernetes setting: a record
// without them is written as version 1, which older SDKs read.
func hasSettings(s jobs.Spec) bool { return !reflect.ValueOf(s.Settings).IsZero() }

func encodeSettings(set jobs.Settings) *settingsRecord {
	r := &settingsRecord{
		Labels: set.Labels, Annotations: set.Annotations, ImagePullSecrets: set.ImagePullSecrets,
		ImagePullPolicy: set.ImagePullPolicy, RetryLimit: set.RetryLimit,
		Master: encodePods(set.Master), Workers: encodePods(set.Workers),
	}
	if set.RunTimeLimit != 0 {
		r.RunTimeLimit = set.RunTimeLimit.String()
	}
	if set.TTLAfterFinished != nil {
		r.TTLAfterFinished = set.TTLAfterFinished.String()
	}
	return r
}

func encodePods(p jobs.PodSettings) *podRecord {
	if reflect.ValueOf(p).IsZero() {
		return nil
	}
	r := &podRecord{
		NodeSelector: p.NodeSelector, Tolerations: p.Tolerations, Affinity: p.Affinity,
		TopologySpreadConstraints: p.TopologySpreadConstraints, PriorityClass: p.PriorityClassName,
		RuntimeClass: p.RuntimeClassName, ServiceAccount: p.ServiceAccountName,
		ServiceAccountToken: p.ServiceAccountToken, Labels: p.Labels, Annotations: p.Annotations,
		EnvFrom: p.EnvFrom, EnvFromSecrets: p.EnvFromSecrets, EnvFromConfigMaps: p.EnvFromConfigMaps,
		Volumes: p.Volumes, Overlay: p.Overlay,
	}
	if !p.ShmSize.IsZero() {
		r.ShmSize = p.ShmSize.String()
	}
	return r
}

func decodeSettings(r *settingsRecord) (jobs.Settings, error) {
	if r == nil {
		return jobs.Settings{}, nil
	}
	set := jobs.Settings{
		Labels: maps.Clone(r.Labels), Annotations: maps.Clone(r.Annotations),
		ImagePullSecrets: slices.Clone(r.ImagePullSecrets), ImagePullPolicy: r.ImagePullPolicy,
		RetryLimit: r.RetryLimit,
	}
	var err error
	if r.RunTimeLimit != "" {
		if set.RunTimeLimit, err = time.ParseDuration(r.RunTimeLimit); err != nil {
			return set, fmt.Errorf("decoding the job record: run_time_limit: %w", err)
		}
	}
	if r.TTLAfterFinished != "" {
		ttl, err := time.ParseDuration(r.TTLAfterFinished)
		if err != nil {
			return set, fmt.Errorf("decoding the job record: ttl_after_finished: %w", err)
		}
		set.TTLAfterFinished = &ttl
	}
	if set.Master, err = decodePods(r.Master, "master"); err != nil {
		return set, err
	}
	if set.Workers, err = decodePods(r.Workers, "workers"); err != nil {
		return set, err
	}
	return set, nil
}

func decodePods(r *podRecord, role string) (jobs.PodSettings, error) {
	if r == nil {
		return jobs.PodSettings{}, nil
	}
	p := jobs.PodSettings{
		NodeSelector: r.NodeSelector, Tolerations: r.Tolerations, Affinity: r.Affinity,
		TopologySpreadConstraints: r.TopologySpreadConstraints, PriorityClassName: r.PriorityClass,
		RuntimeClassName: r.RuntimeClass, ServiceAccountName: r.ServiceAccount,
		ServiceAccountToken: r.ServiceAccountToken, Labels: r.Labels, Annotations: r.Annotations,
		EnvFrom: r.EnvFrom, EnvFromSecrets: r.EnvFromSecrets, EnvFromConfigMaps: r.EnvFromConfigMaps,
		Volumes: r.Volumes, Overlay: r.Overlay,
	}
	if r.ShmSize != "" {
		q, err := resource.ParseQuantity(r.ShmSize)
		if err != nil {
			return p, fmt.Errorf("decoding the job record: %s.shm_size %q: %w", role, r.ShmSize, err)
		}
		p.ShmSize = q
	}
	return p, nil
}
