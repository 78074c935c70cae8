package input

import (
	"errors"
	"strings"
	"testing"

	"github.com/juliarun/sdk/jobs"
)

func TestCheckName(t *testing.T) {
	tests := []struct {
		name  string
		valid bool
	}{
		{"pi", true}, {"pi-estimate-2", true}, {strings.Repeat("a", 44), true},
		{"", false}, {"Pi", false}, {"1pi", false}, {"a,juliarun.io/role=worker", false},
		{"a b", false}, {strings.Repeat("a", 45), false},
	}
	for _, tt := range tests {
		err := CheckName(tt.name)
		if (err == nil) != tt.valid || (err != nil && !errors.Is(err, jobs.ErrInvalid)) {
			t.Errorf("CheckName(%q) = %v, want valid=%v (or ErrInvalid)", tt.name, err, tt.valid)
		}
	}
}

func TestIsNil(t *testing.T) {
	var typedNil *jobs.Batch
	tests := []struct {
		name string
		job  jobs.Job
		want bool
	}{
		{"nil", nil, true},
		{"typed nil", typedNil, true},
		{"a job", jobs.NewBatch("pi", "pi.jl", "work"), false},
	}
	for _, tt := range tests {
		if got := IsNil(tt.job); got != tt.want {
			t.Errorf("%s: IsNil = %v, want %v", tt.name, got, tt.want)
		}
	}
}
