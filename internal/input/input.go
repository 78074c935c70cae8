// Package input checks what callers hand to a Client before it is used:
// job names, which go into label selectors, and jobs, which may be typed
// nil pointers. The real client and the fake share these checks.
package input

import (
	"fmt"
	"reflect"

	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/juliarun/sdk/internal/names"
	"github.com/juliarun/sdk/jobs"
)

// CheckName returns an error matching jobs.ErrInvalid when name cannot be a
// job's name. Names go into label selectors: an unchecked
// "a,juliarun.io/role=worker" would select part of job a.
func CheckName(name string) error {
	if name == "" {
		return fmt.Errorf("%w: the job name is empty", jobs.ErrInvalid)
	}
	if msgs := validation.IsDNS1035Label(name); len(msgs) > 0 {
		return fmt.Errorf("%w: job name %q: %s", jobs.ErrInvalid, name, msgs[0])
	}
	if len(name) > names.MaxJobNameLength {
		return fmt.Errorf("%w: job name %q is longer than %d characters", jobs.ErrInvalid, name, names.MaxJobNameLength)
	}
	return nil
}

// IsNil reports whether job is nil, also when it is a nil pointer of a job
// type, such as a (*jobs.Batch)(nil), whose methods would panic.
func IsNil(job jobs.Job) bool {
	if job == nil {
		return true
	}
	v := reflect.ValueOf(job)
	return v.Kind() == reflect.Pointer && v.IsNil()
}
