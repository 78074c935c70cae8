package names

import "k8s.io/apimachinery/pkg/util/validation"

// Suffixes of the objects a job owns. The root ConfigMap, the master (or
// main) workload, its Service and the NetworkPolicy are named after the job
// itself: they are of different kinds, so the names do not collide, and
// `kubectl logs job/<name>` finds the master.
const (
	WorkersSuffix = "-workers"
	ScriptsSuffix = "-scripts"
	SecretSuffix  = "-secret"
)

// workloadNameMax is the longest StatefulSet or Deployment name whose
// controller-made names still fit a label value: the controller-revision-hash
// label holds "<statefulset>-<hash>" and a ReplicaSet is "<deployment>-<hash>",
// with hashes of up to 10 characters.
const workloadNameMax = validation.DNS1123LabelMaxLength - 11

// MaxJobNameLength is the longest job name for which every derived name is
// valid: the longest workload name is the job name plus WorkersSuffix.
const MaxJobNameLength = workloadNameMax - len(WorkersSuffix)

// Root returns the name of the job's root ConfigMap, which owns the rest.
func Root(job string) string { return job }

// Master returns the name of the master (or main) workload and its Service.
func Master(job string) string { return job }

// Workers returns the name of the worker workload and its headless Service.
func Workers(job string) string { return job + WorkersSuffix }

// Scripts returns the name of the ConfigMap holding the shipped scripts.
func Scripts(job string) string { return job + ScriptsSuffix }

// Secret returns the name of the Secret holding the cluster cookie and the
// notebook password hash.
func Secret(job string) string { return job + SecretSuffix }

// Network returns the name of the job's NetworkPolicy.
func Network(job string) string { return job }
