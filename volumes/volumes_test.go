package volumes

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

func TestPaths(t *testing.T) {
	if diff := cmp.Diff([]string{"/mnt/work", "pvc-work"}, []string{MountPath("work"), PodVolumeName("work")}); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestValidateName(t *testing.T) {
	tests := []struct {
		name string
		want field.ErrorType // "" for valid
	}{
		{"work", ""}, {"run-1", ""}, {strings.Repeat("a", MaxNameLength), ""},
		{"", field.ErrorTypeRequired}, {"Work", field.ErrorTypeInvalid}, {"a.b", field.ErrorTypeInvalid},
		{"-a", field.ErrorTypeInvalid}, {strings.Repeat("a", MaxNameLength+1), field.ErrorTypeTooLong},
	}
	for _, tt := range tests {
		errs := ValidateName(field.NewPath("run_volume"), tt.name)
		var got field.ErrorType
		if len(errs) > 0 {
			got = errs[0].Type
		}
		if got != tt.want {
			t.Errorf("ValidateName(%q) = %v, want %q", tt.name, errs, tt.want)
		}
	}
}
