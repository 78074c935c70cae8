package jobs

import (
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/juliarun/sdk/internal/scripts"
	"github.com/juliarun/sdk/resources"
)

// Default images and the shell scripts the SDK ships.
const (
	DefaultImage = "julia"
	// DefaultNotebookImage is the Notebook's image: the public `julia`
	// image has no Python and no Jupyter, so a notebook cannot start in
	// it. Jupyter docker-stacks' julia-notebook has Julia, IJulia (in its
	// JULIA_DEPOT_PATH=/opt/julia) and Jupyter, and runs as uid 1000
	// (images/julia-notebook/Dockerfile,
	// images/docker-stacks-foundation/Dockerfile). The original JuliaRun
	// default, `julia`, meant its own image that had Jupyter.
	DefaultNotebookImage  = "quay.io/jupyter/julia-notebook"
	DefaultWebserverImage = "nginx"
	DefaultMessageQImage  = "rabbitmq"

	ShellMaster   = "master.sh"
	ShellWorker   = "worker.sh"
	ShellNotebook = "notebook.sh"

	// DefaultWorkerStartScript is what a ParBatch or Notebook worker runs
	// unless told otherwise: the SDK's worker.sh, which starts a Julia worker
	// that joins the master.
	DefaultWorkerStartScript = ShellWorker

	// MasterPort is the port a master's Julia Distributed cluster uses; a
	// job with workers may not expose it as one of its own ports.
	MasterPort = scripts.WorkerPort

	// MaxWorkers is the largest worker count a job may ask for.
	MaxWorkers = 100000
)

// ShippedShells lists the shell scripts the SDK ships. A Shell outside this
// list must be an absolute path to a script in the image.
func ShippedShells() []string { return []string{ShellMaster, ShellNotebook, ShellWorker} }

// DefaultRequirements returns the per-process CPU and memory requests of a
// job of type t (0.1 core and 512 MiB, but PkgBuilder 2 cores and 8 GiB and
// MessageQ 1 core and 4 GiB), with no limits and no GPUs.
func DefaultRequirements(t Type) resources.Requirements {
	switch t {
	case TypePkgBuilder:
		return resources.Requirements{CPU: resources.Cores(2), Memory: resources.GiB(8)}
	case TypeMessageQ:
		return resources.Requirements{CPU: resources.Cores(1), Memory: resources.GiB(4)}
	}
	return resources.Requirements{CPU: resources.Cores(0.1), Memory: resources.MiB(512)}
}

// DefaultPorts returns the ports a job of type t exposes unless told
// otherwise: Notebook nb 8888, Webserver http 80 and https 443, MessageQ
// amqp 5672, amqptls 5671, mgmt 15672 and mgmttls 15671. Other types expose
// none.
//
// The original documentation gives mgmttls as (15672, 15671), which would
// use container port 15672 twice; RabbitMQ's management TLS port is 15671 in
// the container too, so that is what this returns.
func DefaultPorts(t Type) map[string]Port {
	switch t {
	case TypeNotebook:
		return map[string]Port{"nb": {8888, 8888}}
	case TypeWebserver:
		return map[string]Port{"http": {80, 80}, "https": {443, 443}}
	case TypeMessageQ:
		return map[string]Port{
			"amqptls": {5671, 5671}, "amqp": {5672, 5672},
			"mgmttls": {15671, 15671}, "mgmt": {15672, 15672},
		}
	}
	return nil
}

// BurstRequirements returns the limits the original JuliaRun documented as
// "burstable to": 1 core and 1 GiB for most types, PkgBuilder 2 cores (its
// request) with memory unchanged, MessageQ 2 cores. Pass them to
// WithCPULimit and WithMemoryLimit to get the original behaviour; no job
// has limits by default.
func BurstRequirements(t Type) (cpuLimit, memoryLimit resource.Quantity) {
	switch t {
	case TypePkgBuilder:
		return resources.Cores(2), resources.GiB(8)
	case TypeMessageQ:
		return resources.Cores(2), resources.GiB(4)
	}
	return resources.Cores(1), resources.GiB(1)
}
