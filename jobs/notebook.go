package jobs

import "k8s.io/apimachinery/pkg/api/resource"

// Notebook is an interactive Jupyter notebook whose kernels run Julia,
// reachable on its nb port and protected by an optional password. It may
// have workers that join its Julia kernel like a JuliaParBatch's join the
// master.
type Notebook struct {
	Name              string
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
	Password          string

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

// NewNotebook returns a Notebook job with the defaults of the job model:
// image julia, 0.1 core and 512 MiB with no GPU for the notebook and each
// worker, shell notebook.sh, worker shell master.sh running worker.sh, no
// workers, RestartAlways, port nb 8888 → 8888, no password.
func NewNotebook(name, runVolume string, opts ...Option) *Notebook {
	s, misapplied := build(Spec{
		Type: TypeNotebook, Name: name, RunVolume: runVolume,
		Image: DefaultNotebookImage, Shell: ShellNotebook, Resources: DefaultRequirements(TypeNotebook),
		Ports: DefaultPorts(TypeNotebook), Restart: RestartAlways,
		WorkerResources: DefaultRequirements(TypeNotebook),
		WorkerShell:     ShellMaster, WorkerStartScript: DefaultWorkerStartScript,
	}, opts)
	return &Notebook{
		Name: s.Name, RunVolume: s.RunVolume, PkgBundle: s.PkgBundle,
		AdditionalVolumes: s.AdditionalVolumes, Ports: s.Ports, External: s.External, Image: s.Image,
		CPU: s.Resources.CPU, CPULimit: s.Resources.CPULimit, Memory: s.Resources.Memory,
		MemoryLimit: s.Resources.MemoryLimit, GPU: s.Resources.GPU, Shell: s.Shell, EnvVars: s.EnvVars,
		Password: s.Password,
		NWorkers: s.NWorkers, WorkerCPU: s.WorkerResources.CPU, WorkerCPULimit: s.WorkerResources.CPULimit,
		WorkerMemory: s.WorkerResources.Memory, WorkerMemoryLimit: s.WorkerResources.MemoryLimit,
		WorkerGPU: s.WorkerResources.GPU, WorkerShell: s.WorkerShell, WorkerStartScript: s.WorkerStartScript,
		WorkerEnvVars: s.WorkerEnvVars, Restart: s.Restart,
		Settings: s.Settings, misapplied: misapplied,
	}
}

// Type returns TypeNotebook.
func (*Notebook) Type() Type { return TypeNotebook }

// Spec returns the job as a Spec.
func (j *Notebook) Spec() Spec {
	return Spec{
		Settings: j.Settings,
		Type:     TypeNotebook, Name: j.Name, RunVolume: j.RunVolume,
		PkgBundle: j.PkgBundle, AdditionalVolumes: j.AdditionalVolumes, Ports: j.Ports,
		External: j.External, Image: j.Image, Shell: j.Shell, EnvVars: j.EnvVars, Password: j.Password,
		Resources: requirements(j.CPU, j.CPULimit, j.Memory, j.MemoryLimit, j.GPU),
		NWorkers:  j.NWorkers, Restart: j.Restart,
		WorkerResources: requirements(j.WorkerCPU, j.WorkerCPULimit, j.WorkerMemory,
			j.WorkerMemoryLimit, j.WorkerGPU),
		WorkerShell: j.WorkerShell, WorkerStartScript: j.WorkerStartScript, WorkerEnvVars: j.WorkerEnvVars,
	}
}

// Validate reports every problem of the job, or nil.
func (j *Notebook) Validate() error { return validate(j.Spec(), j.misapplied) }
