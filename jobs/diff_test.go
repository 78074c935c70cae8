package jobs

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/juliarun/sdk/resources"
)

func TestChanged(t *testing.T) {
	base := NewParBatch("pi", "pi.jl", "work", WithNWorkers(2)).Spec()
	tests := []struct {
		name string
		opts []Option
		want []string
	}{
		{"nothing", []Option{WithNWorkers(2)}, nil},
		{"same quantity spelled differently", []Option{WithNWorkers(2), WithCPU(resource.MustParse("0.1"))}, nil},
		{"empty and nil maps", []Option{WithNWorkers(2), WithEnvVars(map[string]string{})}, nil},
		{"workers and image", []Option{WithNWorkers(3), WithImage("julia:1.12")}, []string{"image", "nworkers"}},
		{"worker resources", []Option{WithNWorkers(2), WithWorkerMemory(resources.GiB(1)), WithWorkerGPU(1)},
			[]string{"worker_memory", "worker_gpu"}},
	}
	for _, tt := range tests {
		got := Changed(base, NewParBatch("pi", "pi.jl", "work", tt.opts...).Spec())
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.name, diff)
		}
	}
}

func TestInvalid(t *testing.T) {
	if Invalid(TypeBatch, "pi", nil) != nil {
		t.Error("Invalid of no problems is not nil")
	}
	errs := field.ErrorList{field.Forbidden(field.NewPath("cpu"), "x")}
	err := Invalid(TypeBatch, "pi", errs)
	if !errors.Is(err, ErrInvalid) {
		t.Errorf("errors.Is(%v, ErrInvalid) = false", err)
	}
	if diff := cmp.Diff(errs, AsErrorList(err)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
