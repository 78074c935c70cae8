package jobs

import "k8s.io/apimachinery/pkg/api/resource"

// Generic runs a container from any image: NWorkers replicas of Image with
// Command and Args, the run volume mounted like any job's.
type Generic struct {
	Name              string
	Image             string
	RunVolume         string
	Command           []string
	Args              []string
	AdditionalVolumes []string
	Ports             map[string]Port
	External          bool
	CPU               resource.Quantity
	CPULimit          resource.Quantity
	Memory            resource.Quantity
	MemoryLimit       resource.Quantity
	EnvVars           map[string]string
	NWorkers          int
	// Settings are the Kubernetes settings a real cluster asks for: see
	// Settings and the options that set them.
	Settings Settings

	misapplied []string
}

// DefaultGenericReplicas is the number of replicas a Generic job starts
// with unless WithNWorkers says otherwise.
const DefaultGenericReplicas = 1

// NewGeneric returns a Generic job running image, with the defaults of the
// original client: the image's entrypoint, no arguments, 0.1 core, 512 MiB,
// no ports, one replica.
func NewGeneric(name, image, runVolume string, opts ...Option) *Generic {
	s, misapplied := build(Spec{
		Type: TypeGeneric, Name: name, Image: image, RunVolume: runVolume,
		Resources: DefaultRequirements(TypeGeneric), NWorkers: DefaultGenericReplicas,
	}, opts)
	return &Generic{
		Name: s.Name, Image: s.Image, RunVolume: s.RunVolume, Command: s.Command, Args: s.Args,
		AdditionalVolumes: s.AdditionalVolumes, Ports: s.Ports, External: s.External,
		CPU: s.Resources.CPU, CPULimit: s.Resources.CPULimit, Memory: s.Resources.Memory,
		MemoryLimit: s.Resources.MemoryLimit, EnvVars: s.EnvVars, NWorkers: s.NWorkers,
		Settings: s.Settings, misapplied: misapplied,
	}
}

// Type returns TypeGeneric.
func (*Generic) Type() Type { return TypeGeneric }

// Spec returns the job as a Spec.
func (j *Generic) Spec() Spec {
	return Spec{
		Settings: j.Settings,
		Type:     TypeGeneric, Name: j.Name, Image: j.Image, RunVolume: j.RunVolume,
		Command: j.Command, Args: j.Args, AdditionalVolumes: j.AdditionalVolumes,
		Ports: j.Ports, External: j.External, EnvVars: j.EnvVars, NWorkers: j.NWorkers,
		Resources: requirements(j.CPU, j.CPULimit, j.Memory, j.MemoryLimit, 0),
	}
}

// Validate reports every problem of the job, or nil.
func (j *Generic) Validate() error { return validate(j.Spec(), j.misapplied) }
