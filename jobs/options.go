package jobs

import (
	"maps"
	"slices"

	"k8s.io/apimachinery/pkg/api/resource"
)

// Option sets an optional parameter of a job. Every job constructor takes
// the same options; one that does not apply to the job's type is reported by
// Validate as a Forbidden field, never dropped in silence. When an option is
// given twice, the last one wins.
type Option interface {
	apply(*options)
}

// optionFunc adapts a function to Option.
type optionFunc func(*options)

func (f optionFunc) apply(o *options) { f(o) }

// options collects what the options set on top of a type's defaults, and
// which parameters they named.
type options struct {
	spec Spec
	set  []string
}

func (o *options) mark(param string) {
	if !slices.Contains(o.set, param) {
		o.set = append(o.set, param)
	}
}

// build applies opts to s and returns the result, with the parameters the
// options named that do not apply to s.Type.
func build(s Spec, opts []Option) (Spec, []string) {
	o := options{spec: s}
	for _, opt := range opts {
		if opt != nil {
			opt.apply(&o)
		}
	}
	allowed := optionalParams(s.Type)
	var misapplied []string
	for _, p := range o.set {
		if !slices.Contains(allowed, p) {
			misapplied = append(misapplied, p)
		}
	}
	return o.spec, misapplied
}

// WithPkgBundle attaches the package bundle in the named claim, mounted
// read-only with the Julia load path set. Default: no bundle.
func WithPkgBundle(name string) Option {
	return optionFunc(func(o *options) { o.spec.PkgBundle = name; o.mark(paramPkgBundle) })
}

// WithAdditionalVolumes mounts more claims, each at /mnt/<name>, replacing
// any given before. Default: none.
func WithAdditionalVolumes(names ...string) Option {
	names = slices.Clone(names)
	return optionFunc(func(o *options) { o.spec.AdditionalVolumes = slices.Clone(names); o.mark(paramAdditionalVolumes) })
}

// WithPorts sets the ports the job exposes, by name, replacing the type's
// default ports (see DefaultPorts); nil or empty exposes none.
func WithPorts(ports map[string]Port) Option {
	ports = maps.Clone(ports)
	return optionFunc(func(o *options) { o.spec.Ports = maps.Clone(ports); o.mark(paramPorts) })
}

// WithExternal makes the job's ports reachable from outside the cluster (a
// LoadBalancer Service). Default: false, reachable only inside the cluster.
func WithExternal(external bool) Option {
	return optionFunc(func(o *options) { o.spec.External = external; o.mark(paramExternal) })
}

// WithImage sets the container image. Default: "julia" ("nginx" for
// Webserver, "rabbitmq" for MessageQ).
func WithImage(image string) Option {
	return optionFunc(func(o *options) { o.spec.Image = image; o.mark(paramImage) })
}

// WithCommand replaces a Generic job's image entrypoint. Default: the
// image's entrypoint.
func WithCommand(command ...string) Option {
	command = slices.Clone(command)
	return optionFunc(func(o *options) { o.spec.Command = slices.Clone(command); o.mark(paramCommand) })
}

// WithArgs sets a Generic job's arguments. Default: none.
func WithArgs(args ...string) Option {
	args = slices.Clone(args)
	return optionFunc(func(o *options) { o.spec.Args = slices.Clone(args); o.mark(paramArgs) })
}

// WithCPU sets the CPU request of the master (or of each unit or replica).
// Default: 0.1 core (PkgBuilder 2 cores, MessageQ 1 core).
func WithCPU(q resource.Quantity) Option {
	q = q.DeepCopy()
	return optionFunc(func(o *options) { o.spec.Resources.CPU = q; o.mark(paramCPU) })
}

// WithCPULimit lets the master (or each unit or replica) burst up to q CPU.
// Default: no limit. BurstRequirements gives the original burst values.
func WithCPULimit(q resource.Quantity) Option {
	q = q.DeepCopy()
	return optionFunc(func(o *options) { o.spec.Resources.CPULimit = q; o.mark(paramCPULimit) })
}

// WithMemory sets the memory request of the master (or of each unit or
// replica). Default: 512 MiB (PkgBuilder 8 GiB, MessageQ 4 GiB).
func WithMemory(q resource.Quantity) Option {
	q = q.DeepCopy()
	return optionFunc(func(o *options) { o.spec.Resources.Memory = q; o.mark(paramMemory) })
}

// WithMemoryLimit caps the master's (or each unit's or replica's) memory at
// q. Default: no limit.
func WithMemoryLimit(q resource.Quantity) Option {
	q = q.DeepCopy()
	return optionFunc(func(o *options) { o.spec.Resources.MemoryLimit = q; o.mark(paramMemoryLimit) })
}

// WithGPU sets the number of GPUs of the master (or of each unit).
// Default: 0.
func WithGPU(n int) Option {
	return optionFunc(func(o *options) { o.spec.Resources.GPU = n; o.mark(paramGPU) })
}

// WithShell sets the script the container starts with: one the SDK ships
// (master.sh, worker.sh, notebook.sh) or an absolute path in the image.
// Default: master.sh (worker.sh for JuliaParBatchWorkers, notebook.sh for
// Notebook).
func WithShell(script string) Option {
	return optionFunc(func(o *options) { o.spec.Shell = script; o.mark(paramShell) })
}

// WithEnvVars sets extra environment variables of the master (or of each
// unit or replica), replacing any given before. Default: none.
func WithEnvVars(env map[string]string) Option {
	env = maps.Clone(env)
	return optionFunc(func(o *options) { o.spec.EnvVars = maps.Clone(env); o.mark(paramEnvVars) })
}

// WithPassword protects a Notebook with a password; only its hash is stored
// in the cluster. Default: no password.
func WithPassword(password string) Option {
	return optionFunc(func(o *options) { o.spec.Password = password; o.mark(paramPassword) })
}

// WithNWorkers sets the number of workers (units of a job array, replicas
// of a Webserver or Generic job) to start; Scale changes it later. Default:
// 0 (1 for Webserver and Generic).
func WithNWorkers(n int) Option {
	return optionFunc(func(o *options) { o.spec.NWorkers = n; o.mark(paramNWorkers) })
}

// WithRestart says whether ended workers are restarted. Default:
// RestartAlways.
func WithRestart(p RestartPolicy) Option {
	return optionFunc(func(o *options) { o.spec.Restart = p; o.mark(paramRestart) })
}

// WithWorkerCPU sets the CPU request of each worker. Default: 0.1 core.
func WithWorkerCPU(q resource.Quantity) Option {
	q = q.DeepCopy()
	return optionFunc(func(o *options) { o.spec.WorkerResources.CPU = q; o.mark(paramWorkerCPU) })
}

// WithWorkerCPULimit lets each worker burst up to q CPU. Default: no limit.
func WithWorkerCPULimit(q resource.Quantity) Option {
	q = q.DeepCopy()
	return optionFunc(func(o *options) { o.spec.WorkerResources.CPULimit = q; o.mark(paramWorkerCPULimit) })
}

// WithWorkerMemory sets the memory request of each worker. Default: 512 MiB.
func WithWorkerMemory(q resource.Quantity) Option {
	q = q.DeepCopy()
	return optionFunc(func(o *options) { o.spec.WorkerResources.Memory = q; o.mark(paramWorkerMemory) })
}

// WithWorkerMemoryLimit caps each worker's memory at q. Default: no limit.
func WithWorkerMemoryLimit(q resource.Quantity) Option {
	q = q.DeepCopy()
	return optionFunc(func(o *options) { o.spec.WorkerResources.MemoryLimit = q; o.mark(paramWorkerMemoryLimit) })
}

// WithWorkerGPU sets the number of GPUs of each worker. Default: 0.
func WithWorkerGPU(n int) Option {
	return optionFunc(func(o *options) { o.spec.WorkerResources.GPU = n; o.mark(paramWorkerGPU) })
}

// WithWorkerShell sets the script each worker container starts with.
// Default: master.sh, which runs the worker start script.
func WithWorkerShell(script string) Option {
	return optionFunc(func(o *options) { o.spec.WorkerShell = script; o.mark(paramWorkerShell) })
}

// WithWorkerStartScript sets the script each worker runs. Default:
// worker.sh, which starts a Julia worker that joins the master.
func WithWorkerStartScript(script string) Option {
	return optionFunc(func(o *options) { o.spec.WorkerStartScript = script; o.mark(paramWorkerStartScript) })
}

// WithWorkerEnvVars sets extra environment variables of each worker,
// replacing any given before. Default: none.
func WithWorkerEnvVars(env map[string]string) Option {
	env = maps.Clone(env)
	return optionFunc(func(o *options) { o.spec.WorkerEnvVars = maps.Clone(env); o.mark(paramWorkerEnvVars) })
}
