package names

import "k8s.io/apimachinery/pkg/util/validation"

// Suffixes of the objects a job owns. The root object is named after the job.
const (
	MasterSuffix  = "-master"
	WorkersSuffix = "-workers"
	ScriptsSuffix = "-scripts"
	SecretSuffix  = "-secret"
	NetworkSuffix = "-network"
)

// workloadNameMax is the longest StatefulSet or Deployment name whose
// controller-made names still fit a label value: the controller-revision-hash
// label holds "<statefulset>-<hash>" and a ReplicaSet is "<deployment>-<hash>",
// with hashes of up to 10 characters.
const workloadNameMax = validation.DNS1123LabelMaxLength - 11

// MaxJobNameLength is the longest job name for which every derived name is
// valid: the longest workload name is the job name plus WorkersSuffix.
const MaxJobNameLength = workloadNameMax - len(WorkersSuffix)

// Master returns the name of the master (or main) workload.
func Master(job string) string { return job + MasterSuffix }

// Workers returns the name of the worker workload and its headless Service.
func Workers(job string) string { return job + WorkersSuffix }

// Scripts returns the name of the ConfigMap holding the shipped scripts.
func Scripts(job string) string { return job + ScriptsSuffix }

// Secret returns the name of the Secret holding the cluster cookie and the
// notebook password hash.
func Secret(job string) string { return job + SecretSuffix }

// Network returns the name of the job's NetworkPolicy.
func Network(job string) string { return job + NetworkSuffix }
