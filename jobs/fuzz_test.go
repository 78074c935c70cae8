package jobs

import (
	"errors"
	"testing"

	"github.com/juliarun/sdk/resources"
)

// FuzzConstructors builds every job type from arbitrary inputs: none may
// panic, and Validate is nil or ErrInvalid with at least one field error.
func FuzzConstructors(f *testing.F) {
	f.Add("pi", "pi.jl", "work", "stats", "nb", 8888, 8888, 4, 0.5, int64(512), "A", "julia", "Always", "pw")
	f.Add("", "", "", "", "", 0, 0, -1, -1.0, int64(-1), "JRUN_X", "", "", "")
	f.Add("X.y", "a\n", "V", "work", "9009", 9009, 70000, MaxWorkers+1, 1e-9, int64(0), "1A", "a b", "Sometimes", "")
	f.Fuzz(func(t *testing.T, name, script, volume, bundle, portName string, container, service, n int,
		cores float64, mib int64, env, image, restart, password string) {
		opts := []Option{
			WithPkgBundle(bundle), WithAdditionalVolumes(bundle, volume), WithImage(image),
			WithPorts(map[string]Port{portName: {container, service}}), WithNWorkers(n),
			WithCPU(resources.Cores(cores)), WithMemory(resources.MiB(mib)), WithGPU(n),
			WithEnvVars(map[string]string{env: image}), WithRestart(RestartPolicy(restart)),
			WithPassword(password), WithWorkerCPU(resources.Cores(cores)), WithShell(script),
			WithCommand(script), WithWorkerStartScript(script),
		}
		for _, job := range []Job{
			NewBatch(name, script, volume, opts...),
			NewParBatch(name, script, volume, opts...),
			NewParBatchWorkers(name, script, volume, opts...),
			NewNotebook(name, volume, opts...),
			NewPkgBuilder(name, script, volume, bundle, opts...),
			NewWebserver(name, script, volume, opts...),
			NewMessageQ(name, script, volume, opts...),
			NewGeneric(name, image, volume, opts...),
			NewBatch(name, script, volume),
		} {
			err := job.Validate()
			if err == nil {
				continue
			}
			if !errors.Is(err, ErrInvalid) || len(AsErrorList(err)) == 0 {
				t.Fatalf("%s: Validate() = %v, want ErrInvalid with field errors", job.Type(), err)
			}
		}
	})
}
