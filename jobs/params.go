package jobs

// Parameter names, as the job model spells them. Validation reports field
// paths in these terms (nworkers, ports[nb].container).
const (
	paramName              = "name"
	paramStartScript       = "start_script"
	paramBuilderScript     = "builder_script"
	paramCfgFile           = "cfg_file"
	paramRunVolume         = "run_volume"
	paramPkgBundle         = "pkg_bundle"
	paramAdditionalVolumes = "additional_volumes"
	paramPorts             = "ports"
	paramExternal          = "external"
	paramImage             = "image"
	paramCommand           = "command"
	paramArgs              = "args"
	paramCPU               = "cpu"
	paramCPULimit          = "cpu_limit"
	paramMemory            = "memory"
	paramMemoryLimit       = "memory_limit"
	paramGPU               = "gpu"
	paramShell             = "shell"
	paramEnvVars           = "envvars"
	paramPassword          = "passwd"
	paramNWorkers          = "nworkers"
	paramRestart           = "restart"
	paramWorkerCPU         = "worker_cpu"
	paramWorkerCPULimit    = "worker_cpu_limit"
	paramWorkerMemory      = "worker_memory"
	paramWorkerMemoryLimit = "worker_memory_limit"
	paramWorkerGPU         = "worker_gpu"
	paramWorkerShell       = "worker_shell"
	paramWorkerStartScript = "worker_start_script"
	paramWorkerEnvVars     = "worker_envvars"
)

// optionalParams lists the parameters an Option may set on a job of type t:
// the job model's and the Kubernetes settings. Any other option given to the
// type's constructor is reported as Forbidden.
func optionalParams(t Type) []string {
	model := modelParams(t)
	if model == nil {
		return nil
	}
	return concat(model, settingsParams(t))
}

// modelParams lists the job model's optional parameters of type t.
func modelParams(t Type) []string {
	common := []string{paramAdditionalVolumes, paramCPU, paramCPULimit, paramMemory,
		paramMemoryLimit, paramEnvVars}
	julia := concat(common, []string{paramPkgBundle, paramImage, paramGPU, paramShell})
	network := []string{paramPorts, paramExternal}
	workers := []string{paramNWorkers, paramWorkerCPU, paramWorkerCPULimit, paramWorkerGPU,
		paramWorkerMemory, paramWorkerMemoryLimit, paramWorkerShell, paramWorkerStartScript,
		paramWorkerEnvVars, paramRestart}
	switch t {
	case TypeBatch:
		return concat(julia, network)
	case TypeParBatch:
		return concat(julia, network, workers)
	case TypeParBatchWorkers:
		return concat(julia, network, []string{paramNWorkers, paramRestart})
	case TypeNotebook:
		return concat(julia, network, workers, []string{paramPassword})
	case TypePkgBuilder:
		// The bundle is a required argument of NewPkgBuilder, not an option.
		return concat(common, []string{paramImage, paramGPU, paramShell})
	case TypeWebserver:
		return concat(common, network, []string{paramImage, paramNWorkers})
	case TypeMessageQ:
		return concat(common, network, []string{paramImage})
	case TypeGeneric:
		// The image is a required argument of NewGeneric, not an option.
		return concat(common, network, []string{paramCommand, paramArgs, paramNWorkers})
	}
	return nil
}

func concat(lists ...[]string) []string {
	var out []string
	for _, l := range lists {
		out = append(out, l...)
	}
	return out
}
