package jobs

import "k8s.io/apimachinery/pkg/api/resource"

// ParBatchWorkers is a JuliaParBatchWorkers job: an array of NWorkers
// independent units, each like a JuliaBatch job running StartScript, scaled
// as one. Each unit knows its index (JRUN_UNIT_INDEX), so it can take its
// share of a work queue. CPU, Memory and GPU are per unit.
type ParBatchWorkers struct {
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
	Restart           RestartPolicy
	// Settings are the Kubernetes settings a real cluster asks for: see
	// Settings and the options that set them.
	Settings Settings

	misapplied []string
}

// NewParBatchWorkers returns a JuliaParBatchWorkers job whose units run
// startScript (a path on the run volume), with the defaults of the job
// model: image julia, each unit 0.1 core and 512 MiB with no GPU, shell
// worker.sh, no units, RestartAlways, no ports.
func NewParBatchWorkers(name, startScript, runVolume string, opts ...Option) *ParBatchWorkers {
	s, misapplied := build(Spec{
		Type: TypeParBatchWorkers, Name: name, StartScript: startScript, RunVolume: runVolume,
		Image: DefaultImage, Shell: ShellWorker, Resources: DefaultRequirements(TypeParBatchWorkers),
		Restart: RestartAlways,
	}, opts)
	return &ParBatchWorkers{
		Name: s.Name, StartScript: s.StartScript, RunVolume: s.RunVolume, PkgBundle: s.PkgBundle,
		AdditionalVolumes: s.AdditionalVolumes, Ports: s.Ports, External: s.External, Image: s.Image,
		CPU: s.Resources.CPU, CPULimit: s.Resources.CPULimit, Memory: s.Resources.Memory,
		MemoryLimit: s.Resources.MemoryLimit, GPU: s.Resources.GPU, Shell: s.Shell, EnvVars: s.EnvVars,
		NWorkers: s.NWorkers, Restart: s.Restart,
		Settings: s.Settings, misapplied: misapplied,
	}
}

// Type returns TypeParBatchWorkers.
func (*ParBatchWorkers) Type() Type { return TypeParBatchWorkers }

// Spec returns the job as a Spec.
func (j *ParBatchWorkers) Spec() Spec {
	return Spec{
		Settings: j.Settings,
		Type:     TypeParBatchWorkers, Name: j.Name, StartScript: j.StartScript, RunVolume: j.RunVolume,
		PkgBundle: j.PkgBundle, AdditionalVolumes: j.AdditionalVolumes, Ports: j.Ports,
		External: j.External, Image: j.Image, Shell: j.Shell, EnvVars: j.EnvVars,
		Resources: requirements(j.CPU, j.CPULimit, j.Memory, j.MemoryLimit, j.GPU),
		NWorkers:  j.NWorkers, Restart: j.Restart,
	}
}

// Validate reports every problem of the job, or nil.
func (j *ParBatchWorkers) Validate() error { return validate(j.Spec(), j.misapplied) }
