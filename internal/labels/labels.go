// Package labels holds every label and annotation key juliarun puts on the
// objects it creates, in one place.
package labels

// Prefix starts every label and annotation key of the SDK's own; a job's
// labels and annotations may not use it.
const Prefix = "juliarun.io/"

// Reserved reports whether key is the SDK's: users may not set it.
func Reserved(key string) bool {
	return len(key) >= len(Prefix) && key[:len(Prefix)] == Prefix || key == ManagedBy
}

// Label keys and values.
const (
	// Job is on every object of a job; its value is the job name.
	Job = "juliarun.io/job"
	// Type is the job's type (jobs.Type).
	Type = "juliarun.io/type"
	// Role says what an object is to its job; see the Role* values.
	Role = "juliarun.io/role"
	// ManagedBy is the recommended Kubernetes label; its value is ManagedByValue.
	ManagedBy      = "app.kubernetes.io/managed-by"
	ManagedByValue = "juliarun"

	RoleRoot    = "root"    // the ConfigMap that records the job and owns the rest
	RoleMaster  = "master"  // the master (or main) process and its workload
	RoleWorker  = "worker"  // workers, units of a job array
	RoleService = "service" // Services
	RoleConfig  = "config"  // scripts ConfigMap, Secret
	RoleNetwork = "network" // NetworkPolicy
)

// StartID is the label Start puts on every object it creates: a random
// token, one per Start, that tells the objects this Start made from others
// of the same names when the answer to a creation was lost, and lets a
// failed Start remove exactly what it made.
const StartID = "juliarun.io/start-id"

// OwnsRoot is the annotation, value "true", of the one object a backend
// renders that is to own the root instead of being owned by it: the object
// whose removal by the cluster (a finished Job's TTL) removes the whole
// job. Start creates it without an owner and then makes it the root's.
const OwnsRoot = "juliarun.io/owns-root"

// Pod-index keys set by the workload controllers, read as a unit's index.
const (
	StatefulSetPodIndex = "apps.kubernetes.io/pod-index"
	JobCompletionIndex  = "batch.kubernetes.io/job-completion-index"
)

// ForJob returns the labels of an object of job name, of type typ, with role.
func ForJob(name, typ, role string) map[string]string {
	return map[string]string{Job: name, Type: typ, Role: role, ManagedBy: ManagedByValue}
}

// Selector returns the labels that select the pods of a job with role.
func Selector(name, role string) map[string]string {
	return map[string]string{Job: name, Role: role}
}
