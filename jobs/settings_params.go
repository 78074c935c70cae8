package jobs

// The parameters of Settings, in the job model's style. Those of one role's
// pods are named under the role: master.tolerations, workers.node_selector.
const (
	paramLabels           = "labels"
	paramAnnotations      = "annotations"
	paramImagePullSecrets = "image_pull_secrets"
	paramImagePullPolicy  = "image_pull_policy"
	paramRunTimeLimit     = "run_time_limit"
	paramTTLAfterFinished = "ttl_after_finished"
	paramRetryLimit       = "retry_limit"

	podNodeSelector      = "node_selector"
	podTolerations       = "tolerations"
	podAffinity          = "affinity"
	podTopologySpread    = "topology_spread_constraints"
	podPriorityClass     = "priority_class"
	podRuntimeClass      = "runtime_class"
	podServiceAccount    = "service_account"
	podServiceAccountTok = "service_account_token"
	podLabels            = "labels"
	podAnnotations       = "annotations"
	podEnvFrom           = "env_from"
	podEnvFromSecrets    = "env_from_secrets"
	podEnvFromConfigMaps = "env_from_configmaps"
	podVolumes           = "volumes"
	podShmSize           = "shm_size"
	podOverlay           = "overlay"
)

// podParams lists the settings of one role's pods.
func podParams() []string {
	return []string{podNodeSelector, podTolerations, podAffinity, podTopologySpread, podPriorityClass,
		podRuntimeClass, podServiceAccount, podServiceAccountTok, podLabels, podAnnotations, podEnvFrom,
		podEnvFromSecrets, podEnvFromConfigMaps, podVolumes, podShmSize, podOverlay}
}

// roleParam names the setting param of role's pods: "workers.tolerations".
func roleParam(role Role, param string) string { return string(role) + "." + param }

// settingsParams lists the settings a job of type t may have.
func settingsParams(t Type) []string {
	out := []string{paramLabels, paramAnnotations, paramImagePullSecrets, paramImagePullPolicy}
	for _, p := range podParams() {
		out = append(out, roleParam(Master, p))
		if HasMasterWorkers(t) {
			out = append(out, roleParam(Workers, p))
		}
	}
	if finishes(t) {
		out = append(out, paramRunTimeLimit, paramTTLAfterFinished)
	}
	if retries(t) {
		out = append(out, paramRetryLimit)
	}
	return out
}

// retries reports whether a failed master of type t may be started again:
// not a JuliaParBatch's, whose workers end with its first run (docs/OBJECTS.md,
// "When the master ends").
func retries(t Type) bool { return t == TypeBatch || t == TypePkgBuilder }

// finishes reports whether a job of type t ends when its master's process
// does (the batch-like types), so that a run-time limit, a retry limit and a
// removal after it finished mean something.
func finishes(t Type) bool {
	return t == TypeBatch || t == TypeParBatch || t == TypePkgBuilder
}

// settingsFields maps each setting to its value in a Spec, for Changed.
func settingsFields() []specField {
	out := []specField{
		{paramLabels, func(s Spec) any { return s.Settings.Labels }},
		{paramAnnotations, func(s Spec) any { return s.Settings.Annotations }},
		{paramImagePullSecrets, func(s Spec) any { return s.Settings.ImagePullSecrets }},
		{paramImagePullPolicy, func(s Spec) any { return s.Settings.ImagePullPolicy }},
		{paramRunTimeLimit, func(s Spec) any { return s.Settings.RunTimeLimit }},
		{paramTTLAfterFinished, func(s Spec) any { return s.Settings.TTLAfterFinished }},
		{paramRetryLimit, func(s Spec) any { return s.Settings.RetryLimit }},
	}
	pod := map[string]func(p *PodSettings) any{
		podNodeSelector:      func(p *PodSettings) any { return p.NodeSelector },
		podTolerations:       func(p *PodSettings) any { return p.Tolerations },
		podAffinity:          func(p *PodSettings) any { return p.Affinity },
		podTopologySpread:    func(p *PodSettings) any { return p.TopologySpreadConstraints },
		podPriorityClass:     func(p *PodSettings) any { return p.PriorityClassName },
		podRuntimeClass:      func(p *PodSettings) any { return p.RuntimeClassName },
		podServiceAccount:    func(p *PodSettings) any { return p.ServiceAccountName },
		podServiceAccountTok: func(p *PodSettings) any { return p.ServiceAccountToken },
		podLabels:            func(p *PodSettings) any { return p.Labels },
		podAnnotations:       func(p *PodSettings) any { return p.Annotations },
		podEnvFrom:           func(p *PodSettings) any { return p.EnvFrom },
		podEnvFromSecrets:    func(p *PodSettings) any { return p.EnvFromSecrets },
		podEnvFromConfigMaps: func(p *PodSettings) any { return p.EnvFromConfigMaps },
		podVolumes:           func(p *PodSettings) any { return p.Volumes },
		podShmSize:           func(p *PodSettings) any { return p.ShmSize },
		podOverlay:           func(p *PodSettings) any { return p.Overlay },
	}
	for _, role := range []Role{Master, Workers} {
		for _, param := range podParams() {
			get := pod[param]
			out = append(out, specField{roleParam(role, param), func(s Spec) any { return get(s.Settings.Pods(role)) }})
		}
	}
	return out
}

// PodParams returns the settings of role's pods by parameter name
// ("workers.tolerations"), for a backend that says which of them Update may
// change.
func PodParams(role Role) []string {
	var out []string
	for _, p := range podParams() {
		out = append(out, roleParam(role, p))
	}
	return out
}
