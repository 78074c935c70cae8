package resources

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

func TestQuantities(t *testing.T) {
	tests := []struct {
		got  resource.Quantity
		want string
	}{
		{Cores(0.1), "100m"}, {Cores(2), "2"}, {Cores(0.0004), "0"}, {Cores(1.2345), "1235m"},
		{MiB(512), "512Mi"}, {MiB(2048), "2Gi"}, {GiB(8), "8Gi"}, {GiB(0), "0"},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, tt.got.String()); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
	}
}

func TestRequirementsValidate(t *testing.T) {
	ok := Requirements{CPU: Cores(1), Memory: GiB(1)}
	tests := []struct {
		name string
		r    Requirements
		want []string // "type field"
	}{
		{"defaults", ok, nil},
		{"limits at the requests", Requirements{CPU: Cores(1), CPULimit: Cores(1), Memory: GiB(1), MemoryLimit: GiB(1)}, nil},
		{"zero", Requirements{}, []string{"Invalid value worker_cpu", "Invalid value worker_memory"}},
		{"limit below request", Requirements{CPU: Cores(2), CPULimit: Cores(1), Memory: GiB(2), MemoryLimit: GiB(1)},
			[]string{"Invalid value worker_cpu_limit", "Invalid value worker_memory_limit"}},
		{"negative gpu", Requirements{CPU: Cores(1), Memory: GiB(1), GPU: -2}, []string{"Invalid value worker_gpu"}},
		{"sub-millicore cpu", Requirements{CPU: resource.MustParse("10u"), Memory: GiB(1)}, []string{"Invalid value worker_cpu"}},
	}
	for _, tt := range tests {
		var got []string
		for _, e := range tt.r.Validate(nil, "worker_") {
			got = append(got, e.Type.String()+" "+e.Field)
		}
		if diff := cmp.Diff(tt.want, got, cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.name, diff)
		}
	}
	if errs := ok.Validate(field.NewPath("spec"), ""); len(errs) != 0 {
		t.Errorf("valid requirements under a path: %v", errs)
	}
}

func TestRequirementsCore(t *testing.T) {
	r := Requirements{CPU: Cores(0.5), CPULimit: Cores(2), Memory: MiB(512), GPU: 1}
	want := corev1.ResourceRequirements{
		Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("500m"), corev1.ResourceMemory: resource.MustParse("512Mi")},
		Limits:   corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("2"), GPUResource: resource.MustParse("1")},
	}
	eq := cmp.Comparer(func(a, b resource.Quantity) bool { return a.Cmp(b) == 0 })
	if diff := cmp.Diff(want, r.Core(), eq); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if got := (Requirements{CPU: Cores(1), Memory: GiB(1)}).Core().Limits; got != nil {
		t.Errorf("no limits asked, got %v", got)
	}
}
