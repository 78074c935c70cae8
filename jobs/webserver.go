package jobs

import "k8s.io/apimachinery/pkg/api/resource"

// Webserver serves files, APIs or a user interface for jobs: NWorkers
// replicas of a web server (nginx by default) configured by CfgFile, a path
// on the run volume.
type Webserver struct {
	Name              string
	CfgFile           string
	RunVolume         string
	AdditionalVolumes []string
	Ports             map[string]Port
	External          bool
	Image             string
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

// DefaultWebserverReplicas is the number of replicas a Webserver starts with
// unless WithNWorkers says otherwise. The job model gives no default; a web
// server with none would serve nothing.
const DefaultWebserverReplicas = 1

// NewWebserver returns a Webserver job configured by cfgFile (a path on the
// run volume), with the defaults of the job model: image nginx, 0.1 core,
// 512 MiB, ports http 80 → 80 and https 443 → 443, one replica.
func NewWebserver(name, cfgFile, runVolume string, opts ...Option) *Webserver {
	s, misapplied := build(Spec{
		Type: TypeWebserver, Name: name, CfgFile: cfgFile, RunVolume: runVolume,
		Image: DefaultWebserverImage, Resources: DefaultRequirements(TypeWebserver),
		Ports: DefaultPorts(TypeWebserver), NWorkers: DefaultWebserverReplicas,
	}, opts)
	return &Webserver{
		Name: s.Name, CfgFile: s.CfgFile, RunVolume: s.RunVolume,
		AdditionalVolumes: s.AdditionalVolumes, Ports: s.Ports, External: s.External, Image: s.Image,
		CPU: s.Resources.CPU, CPULimit: s.Resources.CPULimit, Memory: s.Resources.Memory,
		MemoryLimit: s.Resources.MemoryLimit, EnvVars: s.EnvVars, NWorkers: s.NWorkers,
		Settings: s.Settings, misapplied: misapplied,
	}
}

// Type returns TypeWebserver.
func (*Webserver) Type() Type { return TypeWebserver }

// Spec returns the job as a Spec.
func (j *Webserver) Spec() Spec {
	return Spec{
		Settings: j.Settings,
		Type:     TypeWebserver, Name: j.Name, CfgFile: j.CfgFile, RunVolume: j.RunVolume,
		AdditionalVolumes: j.AdditionalVolumes, Ports: j.Ports, External: j.External,
		Image: j.Image, EnvVars: j.EnvVars, NWorkers: j.NWorkers,
		Resources: requirements(j.CPU, j.CPULimit, j.Memory, j.MemoryLimit, 0),
	}
}

// Validate reports every problem of the job, or nil.
func (j *Webserver) Validate() error { return validate(j.Spec(), j.misapplied) }
