package jobs

import "errors"

// Type names a kind of job, as the original JuliaRun named it.
type Type string

// The job types.
const (
	TypeBatch           Type = "JuliaBatch"
	TypeParBatch        Type = "JuliaParBatch"
	TypeParBatchWorkers Type = "JuliaParBatchWorkers"
	TypeNotebook        Type = "Notebook"
	TypePkgBuilder      Type = "PkgBuilder"
	TypeWebserver       Type = "Webserver"
	TypeMessageQ        Type = "MessageQ"
	TypeGeneric         Type = "Generic"
)

// Types lists every job type.
func Types() []Type {
	return []Type{TypeBatch, TypeParBatch, TypeParBatchWorkers, TypeNotebook,
		TypePkgBuilder, TypeWebserver, TypeMessageQ, TypeGeneric}
}

// Job is a job of any type, ready to be started by a juliarun.Client.
type Job interface {
	// Type returns the job's type.
	Type() Type
	// Validate returns nil, or an error that errors.Is(err, ErrInvalid) and
	// lists every problem with its field path (see AsErrorList).
	Validate() error
	// Spec returns the job in the one shape every job type shares, for
	// backends that render it. Fields that do not apply to the type are zero.
	Spec() Spec
}

// ErrInvalid is matched by errors.Is for every error Validate returns.
var ErrInvalid = errors.New("invalid job")

// RestartPolicy says what happens to a worker whose process ends.
type RestartPolicy string

// The restart policies.
const (
	// RestartAlways restarts a worker whenever its process ends.
	RestartAlways RestartPolicy = "Always"
	// RestartOnFailure restarts a worker whose process exits non-zero; one
	// that exits zero is done.
	RestartOnFailure RestartPolicy = "OnFailure"
	// RestartNever leaves a worker ended, whatever its exit code.
	RestartNever RestartPolicy = "Never"
)

// Port is a network port a job exposes: the port its process listens on in
// the container, and the port its Service offers.
type Port struct{ Container, Service int }
