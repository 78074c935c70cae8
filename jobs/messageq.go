package jobs

import "k8s.io/apimachinery/pkg/api/resource"

// MessageQ is a message queue (RabbitMQ by default) for communication
// between processes within or across jobs, configured by CfgFile, a path on
// the run volume.
type MessageQ struct {
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
	// Settings are the Kubernetes settings a real cluster asks for: see
	// Settings and the options that set them.
	Settings Settings

	misapplied []string
}

// NewMessageQ returns a MessageQ job configured by cfgFile (a path on the
// run volume), with the defaults of the job model: image rabbitmq, 1 core,
// 4 GiB, ports amqp 5672, amqptls 5671, mgmt 15672 and mgmttls 15671 (see
// DefaultPorts for the one correction to the original table).
func NewMessageQ(name, cfgFile, runVolume string, opts ...Option) *MessageQ {
	s, misapplied := build(Spec{
		Type: TypeMessageQ, Name: name, CfgFile: cfgFile, RunVolume: runVolume,
		Image: DefaultMessageQImage, Resources: DefaultRequirements(TypeMessageQ),
		Ports: DefaultPorts(TypeMessageQ),
	}, opts)
	return &MessageQ{
		Name: s.Name, CfgFile: s.CfgFile, RunVolume: s.RunVolume,
		AdditionalVolumes: s.AdditionalVolumes, Ports: s.Ports, External: s.External, Image: s.Image,
		CPU: s.Resources.CPU, CPULimit: s.Resources.CPULimit, Memory: s.Resources.Memory,
		MemoryLimit: s.Resources.MemoryLimit, EnvVars: s.EnvVars,
		Settings: s.Settings, misapplied: misapplied,
	}
}

// Type returns TypeMessageQ.
func (*MessageQ) Type() Type { return TypeMessageQ }

// Spec returns the job as a Spec.
func (j *MessageQ) Spec() Spec {
	return Spec{
		Settings: j.Settings,
		Type:     TypeMessageQ, Name: j.Name, CfgFile: j.CfgFile, RunVolume: j.RunVolume,
		AdditionalVolumes: j.AdditionalVolumes, Ports: j.Ports, External: j.External,
		Image: j.Image, EnvVars: j.EnvVars,
		Resources: requirements(j.CPU, j.CPULimit, j.Memory, j.MemoryLimit, 0),
	}
}

// Validate reports every problem of the job, or nil.
func (j *MessageQ) Validate() error { return validate(j.Spec(), j.misapplied) }
