package juliarun

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/juliarun/sdk/jobs"
)

// Layout is everything the Client knows about how a Backend lays a job out
// on the cluster: where its record is, which workload holds its workers
// and how to scale it, how to read counts and phases from what it read,
// which kinds it has. The Client asks its Backend's Layout and assumes
// nothing else; docs/BACKENDS.md explains each method, and
// juliaruntest.TestBackend checks a Backend against the Client's contract.
//
// Every method is a pure function of its arguments: the Client does the
// I/O. A Backend that differs from the native one in a few places can
// embed NativeLayout() and override those methods.
type Layout interface {
	// Kinds lists every kind of object a job may have, including what the
	// cluster's controllers make from it (ReplicaSets, Pods): Delete
	// removes each of them by the label juliarun.io/job, Pods last.
	Kinds() []schema.GroupVersionKind
	// ControllerKinds lists the kinds, among Kinds, of the objects the
	// cluster's controllers make from a job's workloads (ReplicaSets,
	// ControllerRevisions, Pods): owned by a workload, not by the root.
	// Where a garbage collector runs, Delete leaves them to it and waits
	// for the workloads, deleted in the foreground, to go with them.
	ControllerKinds() []schema.GroupVersionKind

	// Root returns an empty object of the kind, namespace and name of job
	// name's root: the first object Start creates, whose creation claims
	// the name, which owns the job's other objects and holds its record.
	Root(name, namespace string) client.Object
	// Record returns the job recorded in root, as read from the cluster.
	// It wraps ErrNotFound when root is no job's root.
	Record(root client.Object) (jobs.Spec, error)
	// SetRecord records s in root, for Update to write back.
	SetRecord(root client.Object, s jobs.Spec) error

	// Workloads returns empty objects of the kinds, namespace and names of
	// the job's master (or main) workload and of its worker workload,
	// whose size is the worker count; nil where the job has none.
	Workloads(s jobs.Spec, namespace string) (master, workers client.Object)
	// ScalePatch returns the patch that asks the worker workload for n
	// workers: one write, whatever n.
	ScalePatch(workers client.Object, n int) (client.Patch, error)
	// Counts reads the worker counts from the worker workload, as read
	// from the cluster.
	Counts(workers client.Object) WorkerCounts
	// Phase decides the job's phase and its reason from its master
	// workload (nil for jobs without one), its worker workload (nil for
	// jobs without workers) and a few of the pods of the role that
	// decides (the master's, else the workers').
	Phase(master, workers client.Object, pods []corev1.Pod) (Phase, string)
	// PhaseNeedsPods reports whether Phase needs those pods to decide on
	// the workloads master and workers as read. When it does not, Status,
	// List and Wait read no pods to decide, and Phase gets none: a running
	// job is read with its record and its workloads alone.
	PhaseNeedsPods(master, workers client.Object) bool
	// PodOf reports whether pod is the name of a pod the controller of the
	// workload workers makes. Events carry no labels: Status knows the
	// scheduler's Preempted events of the job's deleted workers by it.
	PodOf(workers client.Object, pod string) bool

	// Service returns the name of the Service that Endpoint reports, ""
	// when the job has none.
	Service(s jobs.Spec) string
	// Updatable returns the parameters (the job model's names) that Update
	// may change on a running job of spec s.
	Updatable(s jobs.Spec) []string
	// UpdatePatch returns the patch that gives the worker workload the
	// pod template of the same workload in rendered (a fresh Render of
	// the updated job).
	UpdatePatch(rendered []client.Object, workers client.Object) (client.Patch, error)
	// PasswordSecret returns the name and key of the Secret that holds a
	// notebook's password hash, for Update to compare a password with.
	PasswordSecret(s jobs.Spec) (name, key string)
	// PasswordMatches reports whether password is the one hash was made
	// from.
	PasswordMatches(hash, password string) bool
}

// WorkerCounts is what a worker workload says of its workers.
type WorkerCounts struct {
	// Requested is the worker count asked for (Start, Scale).
	Requested int
	// Running is the number of workers running and ready.
	Running int
	// Failed counts the workers that failed and will not be replaced.
	Failed int
	// Released says the workers were ended because the master ended.
	Released bool
	// Problem is what the workload says keeps it from making pods, if
	// anything (its pods' own reasons are read from them).
	Problem string
}
