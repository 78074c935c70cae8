package jobs

import (
	"reflect"

	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// specField is a parameter and how to read its value from a Spec.
type specField struct {
	param string
	get   func(Spec) any
}

// specFields maps each parameter to its value in a Spec, for Changed.
func specFields() []specField {
	return append([]specField{
		{paramName, func(s Spec) any { return s.Name }},
		{"type", func(s Spec) any { return s.Type }},
		{paramStartScript, func(s Spec) any { return s.StartScript }},
		{paramBuilderScript, func(s Spec) any { return s.BuilderScript }},
		{paramCfgFile, func(s Spec) any { return s.CfgFile }},
		{paramRunVolume, func(s Spec) any { return s.RunVolume }},
		{paramPkgBundle, func(s Spec) any { return s.PkgBundle }},
		{paramAdditionalVolumes, func(s Spec) any { return s.AdditionalVolumes }},
		{paramPorts, func(s Spec) any { return s.Ports }},
		{paramExternal, func(s Spec) any { return s.External }},
		{paramImage, func(s Spec) any { return s.Image }},
		{paramCommand, func(s Spec) any { return s.Command }},
		{paramArgs, func(s Spec) any { return s.Args }},
		{paramShell, func(s Spec) any { return s.Shell }},
		{paramEnvVars, func(s Spec) any { return s.EnvVars }},
		{paramCPU, func(s Spec) any { return s.Resources.CPU }},
		{paramCPULimit, func(s Spec) any { return s.Resources.CPULimit }},
		{paramMemory, func(s Spec) any { return s.Resources.Memory }},
		{paramMemoryLimit, func(s Spec) any { return s.Resources.MemoryLimit }},
		{paramGPU, func(s Spec) any { return s.Resources.GPU }},
		{paramPassword, func(s Spec) any { return s.Password }},
		{paramNWorkers, func(s Spec) any { return s.NWorkers }},
		{paramRestart, func(s Spec) any { return s.Restart }},
		{paramWorkerCPU, func(s Spec) any { return s.WorkerResources.CPU }},
		{paramWorkerCPULimit, func(s Spec) any { return s.WorkerResources.CPULimit }},
		{paramWorkerMemory, func(s Spec) any { return s.WorkerResources.Memory }},
		{paramWorkerMemoryLimit, func(s Spec) any { return s.WorkerResources.MemoryLimit }},
		{paramWorkerGPU, func(s Spec) any { return s.WorkerResources.GPU }},
		{paramWorkerShell, func(s Spec) any { return s.WorkerShell }},
		{paramWorkerStartScript, func(s Spec) any { return s.WorkerStartScript }},
		{paramWorkerEnvVars, func(s Spec) any { return s.WorkerEnvVars }},
	}, settingsFields()...)
}

// Changed returns the parameters whose values differ between a and b, in the
// job model's names (worker_cpu, envvars), in a fixed order. Empty and nil
// lists and maps are equal; quantities compare by value.
func Changed(a, b Spec) []string {
	var out []string
	for _, f := range specFields() {
		if !equality.Semantic.DeepEqual(normalize(f.get(a)), normalize(f.get(b))) {
			out = append(out, f.param)
		}
	}
	return out
}

func normalize(v any) any {
	// Empty and nil lists and maps (of names, ports, tolerations, volumes,
	// …) are equal.
	if rv := reflect.ValueOf(v); (rv.Kind() == reflect.Slice || rv.Kind() == reflect.Map) && rv.Len() == 0 {
		return nil
	}
	return v
}

// Invalid returns an error for the problems errs of the job name of type t,
// as Validate reports them: errors.Is(err, ErrInvalid), and AsErrorList
// gives errs back. It is nil when errs is empty.
func Invalid(t Type, name string, errs field.ErrorList) error {
	if len(errs) == 0 {
		return nil
	}
	return &invalidError{typ: t, name: name, errs: errs}
}
