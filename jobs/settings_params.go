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
