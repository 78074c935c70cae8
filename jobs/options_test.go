package jobs

import (
	"errors"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/juliarun/sdk/resources"
)

func TestOptions(t *testing.T) {
	tests := []struct {
		param  string
		opt    Option
		mutate func(*Spec)
	}{
		{paramPkgBundle, WithPkgBundle("bundle"), func(s *Spec) { s.PkgBundle = "bundle" }},
		{paramAdditionalVolumes, WithAdditionalVolumes("data", "out"), func(s *Spec) { s.AdditionalVolumes = []string{"data", "out"} }},
		{paramPorts, WithPorts(map[string]Port{"nb": {8000, 80}}), func(s *Spec) { s.Ports = map[string]Port{"nb": {8000, 80}} }},
		{paramExternal, WithExternal(true), func(s *Spec) { s.External = true }},
		{paramImage, WithImage("julia:1.11"), func(s *Spec) { s.Image = "julia:1.11" }},
		{paramCommand, WithCommand("/bin/sh", "-c"), func(s *Spec) { s.Command = []string{"/bin/sh", "-c"} }},
		{paramArgs, WithArgs("echo", "hi"), func(s *Spec) { s.Args = []string{"echo", "hi"} }},
		{paramCPU, WithCPU(resources.Cores(3)), func(s *Spec) { s.Resources.CPU = resources.Cores(3) }},
		{paramCPULimit, WithCPULimit(resources.Cores(4)), func(s *Spec) { s.Resources.CPULimit = resources.Cores(4) }},
		{paramMemory, WithMemory(resources.GiB(9)), func(s *Spec) { s.Resources.Memory = resources.GiB(9) }},
		{paramMemoryLimit, WithMemoryLimit(resources.GiB(10)), func(s *Spec) { s.Resources.MemoryLimit = resources.GiB(10) }},
		{paramGPU, WithGPU(2), func(s *Spec) { s.Resources.GPU = 2 }},
		{paramShell, WithShell("/usr/local/bin/start.sh"), func(s *Spec) { s.Shell = "/usr/local/bin/start.sh" }},
		{paramEnvVars, WithEnvVars(map[string]string{"A": "1"}), func(s *Spec) { s.EnvVars = map[string]string{"A": "1"} }},
		{paramPassword, WithPassword("s3cret"), func(s *Spec) { s.Password = "s3cret" }},
		{paramNWorkers, WithNWorkers(8), func(s *Spec) { s.NWorkers = 8 }},
		{paramRestart, WithRestart(RestartNever), func(s *Spec) { s.Restart = RestartNever }},
		{paramWorkerCPU, WithWorkerCPU(resources.Cores(1)), func(s *Spec) { s.WorkerResources.CPU = resources.Cores(1) }},
		{paramWorkerCPULimit, WithWorkerCPULimit(resources.Cores(2)), func(s *Spec) { s.WorkerResources.CPULimit = resources.Cores(2) }},
		{paramWorkerMemory, WithWorkerMemory(resources.GiB(2)), func(s *Spec) { s.WorkerResources.Memory = resources.GiB(2) }},
		{paramWorkerMemoryLimit, WithWorkerMemoryLimit(resources.GiB(3)), func(s *Spec) { s.WorkerResources.MemoryLimit = resources.GiB(3) }},
		{paramWorkerGPU, WithWorkerGPU(1), func(s *Spec) { s.WorkerResources.GPU = 1 }},
		{paramWorkerShell, WithWorkerShell("worker.sh"), func(s *Spec) { s.WorkerShell = "worker.sh" }},
		{paramWorkerStartScript, WithWorkerStartScript("w.jl"), func(s *Spec) { s.WorkerStartScript = "w.jl" }},
		{paramWorkerEnvVars, WithWorkerEnvVars(map[string]string{"B": "2"}), func(s *Spec) { s.WorkerEnvVars = map[string]string{"B": "2"} }},
	}
	for _, tt := range tests {
		for _, typ := range Types() {
			t.Run(tt.param+"/"+string(typ), func(t *testing.T) {
				job := newOf(typ, tt.opt)
				if !slices.Contains(optionalParams(typ), tt.param) {
					want := field.ErrorList{field.Forbidden(field.NewPath(tt.param), "")}
					if diff := cmp.Diff(want, AsErrorList(job.Validate()), errorListOpts()); diff != "" {
						t.Errorf("option that does not apply (-want +got):\n%s", diff)
					}
					return
				}
				want := newOf(typ).Spec()
				tt.mutate(&want)
				if diff := cmp.Diff(want, job.Spec(), cmpOpts()); diff != "" {
					t.Errorf("option not applied (-want +got):\n%s", diff)
				}
				if err := job.Validate(); err != nil {
					t.Errorf("valid option reported: %v", err)
				}
			})
		}
	}
}

func TestOptionsLastWins(t *testing.T) {
	job := NewParBatch("pi", "pi.jl", "work", WithNWorkers(2), WithNWorkers(5),
		WithEnvVars(map[string]string{"A": "1"}), WithEnvVars(map[string]string{"B": "2"}))
	if diff := cmp.Diff(5, job.NWorkers); diff != "" {
		t.Errorf("NWorkers (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]string{"B": "2"}, job.EnvVars); diff != "" {
		t.Errorf("EnvVars (-want +got):\n%s", diff)
	}
}

func TestOptionsCopyTheirArguments(t *testing.T) {
	vols := []string{"a"}
	env := map[string]string{"A": "1"}
	opts := []Option{WithAdditionalVolumes(vols...), WithEnvVars(env)}
	first := NewBatch("one", "x.jl", "work", opts...)
	vols[0], env["A"] = "changed", "changed"
	first.AdditionalVolumes[0] = "mutated"
	second := NewBatch("two", "x.jl", "work", opts...)
	if diff := cmp.Diff([]string{"a"}, second.AdditionalVolumes); diff != "" {
		t.Errorf("AdditionalVolumes shared between jobs or with the caller (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]string{"A": "1"}, second.EnvVars); diff != "" {
		t.Errorf("EnvVars shared with the caller (-want +got):\n%s", diff)
	}
}

func TestNilOptionIgnored(t *testing.T) {
	if err := NewBatch("pi", "pi.jl", "work", nil).Validate(); err != nil {
		t.Errorf("nil option: %v", err)
	}
}

func TestValidateErrorWrapsErrInvalid(t *testing.T) {
	err := NewBatch("", "", "").Validate()
	if !errors.Is(err, ErrInvalid) {
		t.Fatalf("errors.Is(%v, ErrInvalid) = false", err)
	}
	wrapped := errors.Join(errors.New("context"), err)
	if len(AsErrorList(wrapped)) != 3 {
		t.Errorf("AsErrorList of a joined error = %v, want the 3 problems", AsErrorList(wrapped))
	}
}
