package jobs

import "k8s.io/apimachinery/pkg/api/resource"

// Batch is a JuliaBatch job: one Julia process in one container, limited to
// the CPU and memory it asks for. The process may start threads or local
// worker processes within those limits.
type Batch struct {
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
	// Settings are the Kubernetes settings a real cluster asks for: see
	// Settings and the options that set them.
	Settings Settings

	misapplied []string
}

// NewBatch returns a JuliaBatch job that runs startScript (a path on the run
// volume) with the defaults of the job model: image julia, 0.1 core, 512 MiB,
// no GPU, shell master.sh, no ports.
func NewBatch(name, startScript, runVolume string, opts ...Option) *Batch {
	s, misapplied := build(Spec{
		Type: TypeBatch, Name: name, StartScript: startScript, RunVolume: runVolume,
		Image: DefaultImage, Shell: ShellMaster, Resources: DefaultRequirements(TypeBatch),
	}, opts)
	return &Batch{
		Name: s.Name, StartScript: s.StartScript, RunVolume: s.RunVolume, PkgBundle: s.PkgBundle,
		AdditionalVolumes: s.AdditionalVolumes, Ports: s.Ports, External: s.External, Image: s.Image,
		CPU: s.Resources.CPU, CPULimit: s.Resources.CPULimit, Memory: s.Resources.Memory,
		MemoryLimit: s.Resources.MemoryLimit, GPU: s.Resources.GPU, Shell: s.Shell, EnvVars: s.EnvVars,
		Settings: s.Settings, misapplied: misapplied,
	}
}

// Type returns TypeBatch.
func (*Batch) Type() Type { return TypeBatch }

// Spec returns the job as a Spec.
func (j *Batch) Spec() Spec {
	return Spec{
		Settings: j.Settings,
		Type:     TypeBatch, Name: j.Name, StartScript: j.StartScript, RunVolume: j.RunVolume,
		PkgBundle: j.PkgBundle, AdditionalVolumes: j.AdditionalVolumes, Ports: j.Ports,
		External: j.External, Image: j.Image, Shell: j.Shell, EnvVars: j.EnvVars,
		Resources: requirements(j.CPU, j.CPULimit, j.Memory, j.MemoryLimit, j.GPU),
	}
}

// Validate reports every problem of the job, or nil.
func (j *Batch) Validate() error { return validate(j.Spec(), j.misapplied) }
