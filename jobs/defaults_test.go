package jobs

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/juliarun/sdk/resources"
)

// The defaults of ../shared/JOB-TYPES.md, spelled out once more by hand so a
// change to a constant cannot change the expectation with it.
var (
	tenthCore = resource.MustParse("100m")
	halfGiB   = resource.MustParse("512Mi")
)

func TestDefaults(t *testing.T) {
	tests := []struct {
		name string
		got  Job
		want Job
	}{{
		name: "JuliaBatch",
		got:  NewBatch("pi", "pi.jl", "work"),
		want: &Batch{Name: "pi", StartScript: "pi.jl", RunVolume: "work", Image: "julia",
			CPU: tenthCore, Memory: halfGiB, Shell: "master.sh"},
	}, {
		name: "JuliaParBatch",
		got:  NewParBatch("pi", "pi.jl", "work"),
		want: &ParBatch{Name: "pi", StartScript: "pi.jl", RunVolume: "work", Image: "julia",
			CPU: tenthCore, Memory: halfGiB, Shell: "master.sh",
			NWorkers: 0, WorkerCPU: tenthCore, WorkerMemory: halfGiB, WorkerShell: "master.sh",
			WorkerStartScript: "worker.sh", Restart: RestartAlways},
	}, {
		name: "JuliaParBatchWorkers",
		got:  NewParBatchWorkers("pi", "pi.jl", "work"),
		want: &ParBatchWorkers{Name: "pi", StartScript: "pi.jl", RunVolume: "work", Image: "julia",
			CPU: tenthCore, Memory: halfGiB, Shell: "worker.sh", NWorkers: 0, Restart: RestartAlways},
	}, {
		name: "Notebook",
		got:  NewNotebook("nb", "work"),
		want: &Notebook{Name: "nb", RunVolume: "work", Image: "quay.io/jupyter/julia-notebook",
			CPU: tenthCore, Memory: halfGiB, Shell: "notebook.sh",
			Ports:    map[string]Port{"nb": {Container: 8888, Service: 8888}},
			NWorkers: 0, WorkerCPU: tenthCore, WorkerMemory: halfGiB, WorkerShell: "master.sh",
			WorkerStartScript: "worker.sh", Restart: RestartAlways},
	}, {
		name: "PkgBuilder",
		got:  NewPkgBuilder("build", "build.jl", "work", "stats"),
		want: &PkgBuilder{Name: "build", BuilderScript: "build.jl", RunVolume: "work", PkgBundle: "stats",
			Image: "julia", CPU: resource.MustParse("2"), Memory: resource.MustParse("8Gi"), Shell: "master.sh"},
	}, {
		name: "Webserver",
		got:  NewWebserver("web", "nginx.conf", "work"),
		want: &Webserver{Name: "web", CfgFile: "nginx.conf", RunVolume: "work", Image: "nginx",
			CPU: tenthCore, Memory: halfGiB, NWorkers: 1,
			Ports: map[string]Port{"http": {Container: 80, Service: 80}, "https": {Container: 443, Service: 443}}},
	}, {
		name: "MessageQ",
		got:  NewMessageQ("mq", "rabbitmq.conf", "work"),
		want: &MessageQ{Name: "mq", CfgFile: "rabbitmq.conf", RunVolume: "work", Image: "rabbitmq",
			CPU: resource.MustParse("1"), Memory: resource.MustParse("4Gi"),
			Ports: map[string]Port{
				"amqptls": {Container: 5671, Service: 5671}, "amqp": {Container: 5672, Service: 5672},
				// The original table says (15672, 15671); see DefaultPorts.
				"mgmttls": {Container: 15671, Service: 15671}, "mgmt": {Container: 15672, Service: 15672},
			}},
	}, {
		name: "Generic",
		got:  NewGeneric("gen", "busybox", "work"),
		want: &Generic{Name: "gen", Image: "busybox", RunVolume: "work",
			CPU: tenthCore, Memory: halfGiB, NWorkers: 1},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, tt.got, cmpOpts()); diff != "" {
				t.Errorf("defaults mismatch (-want +got):\n%s", diff)
			}
			if err := tt.got.Validate(); err != nil {
				t.Errorf("default job is invalid: %v", err)
			}
			if got := string(tt.got.Type()); got != tt.name {
				t.Errorf("Type() = %q, want %q", got, tt.name)
			}
			if got := tt.got.Spec().Type; got != tt.got.Type() {
				t.Errorf("Spec().Type = %q, want %q", got, tt.got.Type())
			}
		})
	}
}

func TestBurstRequirements(t *testing.T) {
	tests := []struct {
		typ            Type
		wantCPU, wantM string
	}{
		{TypeBatch, "1", "1Gi"},
		{TypePkgBuilder, "2", "8Gi"},
		{TypeMessageQ, "2", "4Gi"},
	}
	for _, tt := range tests {
		cpu, mem := BurstRequirements(tt.typ)
		if diff := cmp.Diff([]string{tt.wantCPU, tt.wantM}, []string{cpu.String(), mem.String()}); diff != "" {
			t.Errorf("BurstRequirements(%s) (-want +got):\n%s", tt.typ, diff)
		}
		// The burst limits must be valid limits for the type's defaults.
		job := newOf(tt.typ, WithCPULimit(cpu), WithMemoryLimit(mem))
		if err := job.Validate(); err != nil {
			t.Errorf("%s with burst limits: %v", tt.typ, err)
		}
	}
	if q := resources.Cores(0.1); q.String() != "100m" {
		t.Errorf("Cores(0.1) = %s", q.String())
	}
}
