package jobs

import (
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/juliarun/sdk/resources"
)

// Spec is a job of any type in one shape: what a Backend renders. Each job
// type's Spec method fills the fields that apply to it; the rest are zero.
type Spec struct {
	Type Type
	Name string

	// StartScript, BuilderScript and CfgFile are paths relative to the run
	// volume (or absolute paths in the container).
	StartScript   string
	BuilderScript string
	CfgFile       string

	RunVolume         string
	PkgBundle         string
	AdditionalVolumes []string

	Ports    map[string]Port
	External bool

	Image   string
	Command []string
	Args    []string
	Shell   string
	EnvVars map[string]string

	// Resources is what the master (or each unit of a job array, or each
	// replica of a Webserver or Generic job) asks for.
	Resources resources.Requirements

	// Password is the notebook's password in plain text; backends store
	// only its hash.
	Password string

	NWorkers          int
	Restart           RestartPolicy
	WorkerResources   resources.Requirements
	WorkerShell       string
	WorkerStartScript string
	WorkerEnvVars     map[string]string

	// Settings are the job's Kubernetes settings (placement, identity,
	// metadata, secrets, storage, lifecycle).
	Settings Settings
}

// HasWorkers reports whether jobs of type t have workers that Scale changes.
func HasWorkers(t Type) bool {
	for _, p := range optionalParams(t) {
		if p == paramNWorkers {
			return true
		}
	}
	return false
}

// HasMasterWorkers reports whether jobs of type t have a master that workers
// join through Julia's Distributed (JuliaParBatch and Notebook).
func HasMasterWorkers(t Type) bool { return t == TypeParBatch || t == TypeNotebook }

// requirements builds the Spec view of a job type's flat resource fields.
func requirements(cpu, cpuLimit, memory, memoryLimit resource.Quantity, gpu int) resources.Requirements {
	return resources.Requirements{CPU: cpu, CPULimit: cpuLimit, Memory: memory, MemoryLimit: memoryLimit, GPU: gpu}
}
