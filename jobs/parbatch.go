package jobs

import "k8s.io/apimachinery/pkg/api/resource"

// ParBatch is a JuliaParBatch job: a master Julia process and NWorkers
// worker processes, each in its own container, joined through Julia's
// Distributed. Workers have uniform resources; the master's may differ. The
// job runs while the master runs; the SDK keeps matching the running
// workers to the requested count as the cluster has room.
type ParBatch struct {
	Name              string
	StartScript       string
	RunVolume         string
	PkgBundle         string
	AdditionalVolumes []string
	Ports             map[string]Port
	External          bool
	Image             string
	CPU               resource.Quantity
	CPULimit          resource.Quantity
	Memory            resource.Quantity
	MemoryLimit       resource.Quantity
	GPU               int
	Shell             string
	EnvVars           map[string]string

	NWorkers          int
	WorkerCPU         resource.Quantity
	WorkerCPULimit    resource.Quantity
	WorkerMemory      resource.Quantity
	WorkerMemoryLimit resource.Quantity
	WorkerGPU         int
	WorkerShell       string
	WorkerStartScript string
	WorkerEnvVars     map[string]string
	Restart           RestartPolicy
	// Settings are the Kubernetes settings a real cluster asks for: see
	// Settings and the options that set them.
	Settings Settings

	misapplied []string
}

// NewParBatch returns a JuliaParBatch job whose master runs startScript (a
// path on the run volume), with the defaults of the job model: image julia,
// master and each worker 0.1 core and 512 MiB with no GPU, shells master.sh,
// worker start script worker.sh, no workers, RestartAlways, no ports.
func NewParBatch(name, startScript, runVolume string, opts ...Option) *ParBatch {
	s, misapplied := build(Spec{
		Type: TypeParBatch, Name: name, StartScript: startScript, RunVolume: runVolume,
		Image: DefaultImage, Shell: ShellMaster, Resources: DefaultRequirements(TypeParBatch),
		Restart: RestartAlways, WorkerResources: DefaultRequirements(TypeParBatch),
		WorkerShell: ShellMaster, WorkerStartScript: DefaultWorkerStartScript,
	}, opts)
	return &ParBatch{
		Name: s.Name, StartScript: s.StartScript, RunVolume: s.RunVolume, PkgBundle: s.PkgBundle,
		AdditionalVolumes: s.AdditionalVolumes, Ports: s.Ports, External: s.External, Image: s.Image,
		CPU: s.Resources.CPU, CPULimit: s.Resources.CPULimit, Memory: s.Resources.Memory,
		MemoryLimit: s.Resources.MemoryLimit, GPU: s.Resources.GPU, Shell: s.Shell, EnvVars: s.EnvVars,
		NWorkers: s.NWorkers, WorkerCPU: s.WorkerResources.CPU, WorkerCPULimit: s.WorkerResources.CPULimit,
		WorkerMemory: s.WorkerResources.Memory, WorkerMemoryLimit: s.WorkerResources.MemoryLimit,
		WorkerGPU: s.WorkerResources.GPU, WorkerShell: s.WorkerShell, WorkerStartScript: s.WorkerStartScript,
		WorkerEnvVars: s.WorkerEnvVars, Restart: s.Restart,
		Settings: s.Settings, misapplied: misapplied,
	}
}

// Type returns TypeParBatch.
func (*ParBatch) Type() Type { return TypeParBatch }

// Spec returns the job as a Spec.
func (j *ParBatch) Spec() Spec {
	return Spec{
		Settings: j.Settings,
		Type:     TypeParBatch, Name: j.Name, StartScript: j.StartScript, RunVolume: j.RunVolume,
		PkgBundle: j.PkgBundle, AdditionalVolumes: j.AdditionalVolumes, Ports: j.Ports,
		External: j.External, Image: j.Image, Shell: j.Shell, EnvVars: j.EnvVars,
		Resources: requirements(j.CPU, j.CPULimit, j.Memory, j.MemoryLimit, j.GPU),
		NWorkers:  j.NWorkers, Restart: j.Restart,
		WorkerResources: requirements(j.WorkerCPU, j.WorkerCPULimit, j.WorkerMemory,
			j.WorkerMemoryLimit, j.WorkerGPU),
		WorkerShell: j.WorkerShell, WorkerStartScript: j.WorkerStartScript, WorkerEnvVars: j.WorkerEnvVars,
	}
}

// Validate reports every problem of the job, or nil.
func (j *ParBatch) Validate() error { return validate(j.Spec(), j.misapplied) }
