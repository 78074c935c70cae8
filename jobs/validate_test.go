package jobs

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/juliarun/sdk/resources"
)

// fe builds an expected field error; Detail is not compared.
func fe(typ field.ErrorType, path string, bad any) *field.Error {
	return &field.Error{Type: typ, Field: path, BadValue: bad}
}

func required(path string) *field.Error  { return fe(field.ErrorTypeRequired, path, "") }
func forbidden(path string) *field.Error { return fe(field.ErrorTypeForbidden, path, "") }
func tooLong(path string) *field.Error   { return field.TooLong(field.NewPath(path), nil, 0) }
func invalid(path string, bad any) *field.Error {
	return fe(field.ErrorTypeInvalid, path, bad)
}
func duplicate(path string, bad any) *field.Error {
	return fe(field.ErrorTypeDuplicate, path, bad)
}
func notSupported(path string, bad any) *field.Error {
	return fe(field.ErrorTypeNotSupported, path, bad)
}

func errs(e ...*field.Error) field.ErrorList { return e }

func TestValidateInvalid(t *testing.T) {
	long45, long64, vol60 := strings.Repeat("a", 45), strings.Repeat("a", 64), strings.Repeat("v", 60)
	ports := func(p map[string]Port) Option { return WithPorts(p) }
	tests := []struct {
		name string
		job  Job
		want field.ErrorList
	}{
		// Names.
		{"empty name", NewBatch("", "a.jl", "work"), errs(required("name"))},
		{"upper-case name", NewBatch("Pi", "a.jl", "work"), errs(invalid("name", "Pi"))},
		{"name starts with a digit", NewParBatch("1pi", "a.jl", "work"), errs(invalid("name", "1pi"))},
		{"underscore in name", NewNotebook("pi_est", "work"), errs(invalid("name", "pi_est"))},
		{"dot in name", NewWebserver("pi.web", "a.conf", "work"), errs(invalid("name", "pi.web"))},
		{"name starts with a dash", NewMessageQ("-mq", "a.conf", "work"), errs(invalid("name", "-mq"))},
		{"name too long for derived names", NewGeneric(long45, "busybox", "work"), errs(tooLong("name"))},
		{"name longer than a label", NewPkgBuilder(long64, "b.jl", "work", "stats"), errs(invalid("name", long64), tooLong("name"))},

		// Scripts and configuration files.
		{"batch without start script", NewBatch("pi", "", "work"), errs(required("start_script"))},
		{"parbatch without start script", NewParBatch("pi", "", "work"), errs(required("start_script"))},
		{"array without start script", NewParBatchWorkers("pi", "", "work"), errs(required("start_script"))},
		{"newline in start script", NewBatch("pi", "a\nb.jl", "work"), errs(invalid("start_script", "a\nb.jl"))},
		{"start script is a directory", NewBatch("pi", "scripts/", "work"), errs(invalid("start_script", "scripts/"))},
		{"start script is the volume itself", NewBatch("pi", ".", "work"), errs(invalid("start_script", "."))},
		{"builder without script", NewPkgBuilder("b", "", "work", "stats"), errs(required("builder_script"))},
		{"webserver without cfg", NewWebserver("web", "", "work"), errs(required("cfg_file"))},
		{"messageq without cfg", NewMessageQ("mq", "", "work"), errs(required("cfg_file"))},

		// Volumes and bundles.
		{"no run volume", NewBatch("pi", "a.jl", ""), errs(required("run_volume"))},
		{"upper-case run volume", NewBatch("pi", "a.jl", "Work"), errs(invalid("run_volume", "Work"))},
		{"dotted run volume", NewBatch("pi", "a.jl", "my.vol"), errs(invalid("run_volume", "my.vol"))},
		{"run volume too long to mount", NewBatch("pi", "a.jl", vol60), errs(tooLong("run_volume"))},
		{"duplicate additional volume", NewBatch("pi", "a.jl", "work", WithAdditionalVolumes("data", "data")),
			errs(duplicate("additional_volumes[1]", "data"))},
		{"additional volume is the run volume", NewBatch("pi", "a.jl", "work", WithAdditionalVolumes("work")),
			errs(duplicate("additional_volumes[0]", "work"))},
		{"empty additional volume", NewGeneric("g", "busybox", "work", WithAdditionalVolumes("", "ok")),
			errs(required("additional_volumes[0]"))},
		{"bad additional volume", NewMessageQ("mq", "a.conf", "work", WithAdditionalVolumes("ok", "Bad")),
			errs(invalid("additional_volumes[1]", "Bad"))},
		{"bundle also an additional volume", NewBatch("pi", "a.jl", "work", WithPkgBundle("stats"), WithAdditionalVolumes("stats")),
			errs(invalid("pkg_bundle", "stats"))},
		{"bundle is the run volume", NewParBatch("pi", "a.jl", "work", WithPkgBundle("work")), errs(invalid("pkg_bundle", "work"))},
		{"bad bundle name", NewNotebook("nb", "work", WithPkgBundle("Bad_Bundle")), errs(invalid("pkg_bundle", "Bad_Bundle"))},
		{"builder without bundle", NewPkgBuilder("b", "b.jl", "work", ""), errs(required("pkg_bundle"))},

		// Ports.
		{"container port zero", NewBatch("pi", "a.jl", "work", ports(map[string]Port{"web": {0, 80}})),
			errs(invalid("ports[web].container", 0))},
		{"service port too high", NewBatch("pi", "a.jl", "work", ports(map[string]Port{"web": {80, 70000}})),
			errs(invalid("ports[web].service", 70000))},
		{"negative container port", NewWebserver("w", "a.conf", "work", ports(map[string]Port{"http": {-1, 80}})),
			errs(invalid("ports[http].container", -1))},
		{"duplicate container port", NewBatch("pi", "a.jl", "work", ports(map[string]Port{"a": {8000, 80}, "b": {8000, 81}})),
			errs(duplicate("ports[b].container", 8000))},
		{"duplicate service port", NewGeneric("g", "busybox", "work", ports(map[string]Port{"a": {8000, 80}, "b": {8001, 80}})),
			errs(duplicate("ports[b].service", 80))},
		{"upper-case port name", NewBatch("pi", "a.jl", "work", ports(map[string]Port{"Web": {80, 80}})),
			errs(invalid("ports[Web]", "Web"))},
		{"port name too long", NewBatch("pi", "a.jl", "work", ports(map[string]Port{"a-very-long-name": {80, 80}})),
			errs(invalid("ports[a-very-long-name]", "a-very-long-name"))},
		{"port name without a letter", NewBatch("pi", "a.jl", "work", ports(map[string]Port{"1234": {80, 80}})),
			errs(invalid("ports[1234]", "1234"))},
		{"parbatch exposes the Distributed port", NewParBatch("pi", "a.jl", "work", ports(map[string]Port{"x": {9009, 80}})),
			errs(invalid("ports[x].container", 9009))},
		{"notebook without nb port", NewNotebook("nb", "work", ports(map[string]Port{"web": {80, 80}})),
			errs(required("ports[nb]"))},
		{"notebook serves the Distributed port", NewNotebook("nb", "work", ports(map[string]Port{"nb": {8888, 9009}})),
			errs(invalid("ports[nb].service", 9009))},

		// Images.
		{"empty image", NewBatch("pi", "a.jl", "work", WithImage("")), errs(required("image"))},
		{"space in image", NewParBatch("pi", "a.jl", "work", WithImage("julia 1.10")), errs(invalid("image", "julia 1.10"))},
		{"generic without image", NewGeneric("g", "", "work"), errs(required("image"))},

		// Resources.
		{"zero cpu", NewBatch("pi", "a.jl", "work", WithCPU(resource.Quantity{})), errs(invalid("cpu", "0"))},
		{"negative cpu", NewBatch("pi", "a.jl", "work", WithCPU(resources.Cores(-1))), errs(invalid("cpu", "-1"))},
		{"cpu below a millicore", NewBatch("pi", "a.jl", "work", WithCPU(resource.MustParse("100u"))), errs(invalid("cpu", "100u"))},
		{"zero memory", NewWebserver("w", "a.conf", "work", WithMemory(resource.Quantity{})), errs(invalid("memory", "0"))},
		{"negative memory", NewMessageQ("mq", "a.conf", "work", WithMemory(resources.GiB(-1))), errs(invalid("memory", "-1Gi"))},
		{"cpu limit below request", NewPkgBuilder("b", "b.jl", "work", "stats", WithCPULimit(resources.Cores(1))),
			errs(invalid("cpu_limit", "1"))},
		{"negative memory limit", NewBatch("pi", "a.jl", "work", WithMemoryLimit(resources.MiB(-5))),
			errs(invalid("memory_limit", "-5Mi"))},
		{"negative gpu", NewBatch("pi", "a.jl", "work", WithGPU(-1)), errs(invalid("gpu", -1))},
		{"zero worker cpu", NewParBatch("pi", "a.jl", "work", WithWorkerCPU(resources.Cores(0))), errs(invalid("worker_cpu", "0"))},
		{"worker memory limit below request", NewNotebook("nb", "work", WithWorkerMemory(resources.GiB(2)), WithWorkerMemoryLimit(resources.GiB(1))),
			errs(invalid("worker_memory_limit", "1Gi"))},
		{"negative worker gpu", NewParBatch("pi", "a.jl", "work", WithWorkerGPU(-1)), errs(invalid("worker_gpu", -1))},

		// Shells and worker scripts.
		{"empty shell", NewBatch("pi", "a.jl", "work", WithShell("")), errs(required("shell"))},
		{"relative custom shell", NewPkgBuilder("b", "b.jl", "work", "stats", WithShell("custom.sh")), errs(invalid("shell", "custom.sh"))},
		{"relative worker shell", NewParBatch("pi", "a.jl", "work", WithWorkerShell("bin/w.sh")), errs(invalid("worker_shell", "bin/w.sh"))},
		{"empty worker start script", NewNotebook("nb", "work", WithWorkerStartScript("")), errs(required("worker_start_script"))},

		// Environment.
		{"env name starts with a digit", NewBatch("pi", "a.jl", "work", WithEnvVars(map[string]string{"1A": "x"})),
			errs(invalid("envvars[1A]", "1A"))},
		{"env name with a dash", NewGeneric("g", "busybox", "work", WithEnvVars(map[string]string{"A-B": "x"})),
			errs(invalid("envvars[A-B]", "A-B"))},
		{"env overrides JRUN_", NewBatch("pi", "a.jl", "work", WithEnvVars(map[string]string{"JRUN_NAME": "x"})),
			errs(forbidden("envvars[JRUN_NAME]"))},
		{"env overrides the bundle's variables", NewBatch("pi", "a.jl", "work", WithPkgBundle("stats"),
			WithEnvVars(map[string]string{"JRUN_BUNDLE_DEPOT": "x"})), errs(forbidden("envvars[JRUN_BUNDLE_DEPOT]"))},
		{"env overrides the bundle's load path", NewBatch("pi", "a.jl", "work", WithPkgBundle("stats"),
			WithEnvVars(map[string]string{"JULIA_LOAD_PATH": "x"})), errs(forbidden("envvars[JULIA_LOAD_PATH]"))},
		{"builder env overrides the bundle's project", NewPkgBuilder("b", "b.jl", "work", "stats",
			WithEnvVars(map[string]string{"JULIA_PROJECT": "x"})), errs(forbidden("envvars[JULIA_PROJECT]"))},
		{"worker env overrides JRUN_", NewParBatch("pi", "a.jl", "work", WithWorkerEnvVars(map[string]string{"JRUN_X": "x"})),
			errs(forbidden("worker_envvars[JRUN_X]"))},
		{"worker env name with a space", NewNotebook("nb", "work", WithWorkerEnvVars(map[string]string{"A B": "x"})),
			errs(invalid("worker_envvars[A B]", "A B"))},

		// Workers.
		{"negative nworkers", NewParBatch("pi", "a.jl", "work", WithNWorkers(-1)), errs(invalid("nworkers", -1))},
		{"nworkers above the maximum", NewParBatchWorkers("pi", "a.jl", "work", WithNWorkers(MaxWorkers+1)),
			errs(invalid("nworkers", MaxWorkers+1))},
		{"negative webserver replicas", NewWebserver("w", "a.conf", "work", WithNWorkers(-2)), errs(invalid("nworkers", -2))},
		{"unknown restart policy", NewParBatch("pi", "a.jl", "work", WithRestart("Sometimes")),
			errs(notSupported("restart", RestartPolicy("Sometimes")))},
		{"empty restart policy", NewParBatchWorkers("pi", "a.jl", "work", WithRestart("")),
			errs(notSupported("restart", RestartPolicy("")))},

		// Options that do not apply to the type.
		{"nworkers on a batch", NewBatch("pi", "a.jl", "work", WithNWorkers(2)), errs(forbidden("nworkers"))},
		{"password on a webserver", NewWebserver("w", "a.conf", "work", WithPassword("x")), errs(forbidden("passwd"))},
		{"gpu on a webserver", NewWebserver("w", "a.conf", "work", WithGPU(1)), errs(forbidden("gpu"))},
		{"shell on a messageq", NewMessageQ("mq", "a.conf", "work", WithShell("master.sh")), errs(forbidden("shell"))},
		{"image option on a generic job", NewGeneric("g", "busybox", "work", WithImage("alpine")), errs(forbidden("image"))},
		{"bundle option on a builder", NewPkgBuilder("b", "b.jl", "work", "stats", WithPkgBundle("other")), errs(forbidden("pkg_bundle"))},
		{"restart on a batch", NewBatch("pi", "a.jl", "work", WithRestart(RestartNever)), errs(forbidden("restart"))},
		{"worker cpu on a job array", NewParBatchWorkers("pi", "a.jl", "work", WithWorkerCPU(resources.Cores(1))), errs(forbidden("worker_cpu"))},
		{"ports on a builder", NewPkgBuilder("b", "b.jl", "work", "stats", WithPorts(nil)), errs(forbidden("ports"))},
		{"command on a batch", NewBatch("pi", "a.jl", "work", WithCommand("sh")), errs(forbidden("command"))},

		// Several problems at once.
		{"everything missing", NewBatch("", "", ""), errs(required("name"), required("start_script"), required("run_volume"))},
		{"empty command element", NewGeneric("g", "busybox", "work", WithCommand("")), errs(invalid("command[0]", ""))},
		{"three worker problems", NewParBatch("X", "a.jl", "work", WithNWorkers(-1), WithWorkerGPU(-1)),
			errs(invalid("name", "X"), invalid("nworkers", -1), invalid("worker_gpu", -1))},
		{"zero-value struct", &Batch{}, errs(required("name"), required("start_script"), required("run_volume"),
			required("image"), invalid("cpu", "0"), invalid("memory", "0"), required("shell"))},
		{"forbidden and invalid together", NewWebserver("w", "", "work", WithPassword("x"), WithNWorkers(-1)),
			errs(required("cfg_file"), invalid("nworkers", -1), forbidden("passwd"))},
	}
	if len(tests) < 60 {
		t.Fatalf("only %d invalid jobs in the table; keep at least 60", len(tests))
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.job.Validate()
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("Validate() = %v, want an error matching ErrInvalid", err)
			}
			if diff := cmp.Diff(tt.want, AsErrorList(err), errorListOpts()); diff != "" {
				t.Errorf("field errors (-want +got):\n%s", diff)
			}
		})
	}
}

func TestValidateDefaultsOfEveryType(t *testing.T) {
	for _, typ := range Types() {
		if err := newOf(typ).Validate(); err != nil {
			t.Errorf("%s with defaults: %v", typ, err)
		}
	}
}

func TestValidateSpecUnknownType(t *testing.T) {
	want := errs(notSupported("type", Type("Nope")))
	if diff := cmp.Diff(want, ValidateSpec(Spec{Type: "Nope"}), errorListOpts()); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
