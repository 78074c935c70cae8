package juliarun

import (
	"fmt"
	"reflect"

	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/juliarun/sdk/internal/names"
	"github.com/juliarun/sdk/jobs"
)

// checkName returns an error matching jobs.ErrInvalid when name cannot be a
// job's name. Names go into label selectors: an unchecked
// "a,juliarun.io/role=worker" would select part of job a.
func checkName(name string) error {
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

// isNil reports whether job is nil, also when it is a nil pointer of a job
// type, such as a (*jobs.Batch)(nil), whose methods would panic.
func isNil(job jobs.Job) bool {
	if job == nil {
		return true
	}
	v := reflect.ValueOf(job)
	return v.Kind() == reflect.Pointer && v.IsNil()
}
