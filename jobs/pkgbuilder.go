package jobs

import "k8s.io/apimachinery/pkg/api/resource"

// PkgBuilder builds or updates a Julia package bundle: like a JuliaBatch job
// that runs BuilderScript with the bundle's claim mounted read-write and set
// as the Julia depot and project, so what it installs and precompiles lands
// in the bundle.
type PkgBuilder struct {
	Name              string
	BuilderScript     string
	RunVolume         string
	PkgBundle         string
	AdditionalVolumes []string
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

// NewPkgBuilder returns a PkgBuilder job that runs builderScript (a path on
// the run volume) to build pkgBundle (a claim name), with the defaults of
// the job model: image julia, 2 cores, 8 GiB, no GPU, shell master.sh.
func NewPkgBuilder(name, builderScript, runVolume, pkgBundle string, opts ...Option) *PkgBuilder {
	s, misapplied := build(Spec{
		Type: TypePkgBuilder, Name: name, BuilderScript: builderScript, RunVolume: runVolume,
		PkgBundle: pkgBundle, Image: DefaultImage, Shell: ShellMaster,
		Resources: DefaultRequirements(TypePkgBuilder),
	}, opts)
	return &PkgBuilder{
		Name: s.Name, BuilderScript: s.BuilderScript, RunVolume: s.RunVolume, PkgBundle: s.PkgBundle,
		AdditionalVolumes: s.AdditionalVolumes, Image: s.Image,
		CPU: s.Resources.CPU, CPULimit: s.Resources.CPULimit, Memory: s.Resources.Memory,
		MemoryLimit: s.Resources.MemoryLimit, GPU: s.Resources.GPU, Shell: s.Shell, EnvVars: s.EnvVars,
		Settings: s.Settings, misapplied: misapplied,
	}
}

// Type returns TypePkgBuilder.
func (*PkgBuilder) Type() Type { return TypePkgBuilder }

// Spec returns the job as a Spec.
func (j *PkgBuilder) Spec() Spec {
	return Spec{
		Settings: j.Settings,
		Type:     TypePkgBuilder, Name: j.Name, BuilderScript: j.BuilderScript, RunVolume: j.RunVolume,
		PkgBundle: j.PkgBundle, AdditionalVolumes: j.AdditionalVolumes, Image: j.Image,
		Shell: j.Shell, EnvVars: j.EnvVars,
		Resources: requirements(j.CPU, j.CPULimit, j.Memory, j.MemoryLimit, j.GPU),
	}
}

// Validate reports every problem of the job, or nil.
func (j *PkgBuilder) Validate() error { return validate(j.Spec(), j.misapplied) }
