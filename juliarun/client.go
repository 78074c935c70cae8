package juliarun

import (
	"context"
	"errors"
	"time"

	"github.com/juliarun/sdk/jobs"
)

// Client runs jobs on one namespace of a Kubernetes cluster.
type Client interface {
	// Start creates every object of the job. It returns an error matching
	// jobs.ErrInvalid, creating nothing, when the job is invalid, and one
	// matching ErrAlreadyExists when a job of that name exists.
	Start(ctx context.Context, job jobs.Job) error
	// Scale sets the number of workers the job asks for, with one write
	// whatever n. It returns ErrNotScalable for job types without workers.
	Scale(ctx context.Context, name string, n int) error
	// NWorkers returns the number of the job's workers running and ready now.
	NWorkers(ctx context.Context, name string) (int, error)
	// Delete removes every object of the job, and ErrNotFound if it has none.
	Delete(ctx context.Context, name string) error
	// Status returns the job's phase and worker counts.
	Status(ctx context.Context, name string) (*Status, error)
	// List returns the status of every job in the namespace.
	List(ctx context.Context) ([]Status, error)
}

// Errors returned by a Client, wrapped with context; test them with
// errors.Is.
var (
	ErrNotFound      = errors.New("job not found")
	ErrAlreadyExists = errors.New("job already exists")
	ErrNotScalable   = errors.New("job type has no workers to scale")
)

// Phase is where a job is in its life.
type Phase string

// The phases of a job.
const (
	// PhasePending: the job exists but its master (or main) process does not
	// run yet, because it is being scheduled, its volume is missing, or its
	// image is being pulled. Status.Reason says why.
	PhasePending Phase = "Pending"
	// PhaseRunning: the master (or main) process runs.
	PhaseRunning Phase = "Running"
	// PhaseSucceeded: the job ran to completion.
	PhaseSucceeded Phase = "Succeeded"
	// PhaseFailed: the job ended in failure. Status.Reason says why.
	PhaseFailed Phase = "Failed"
)

// Status is what a job is doing.
type Status struct {
	Name  string
	Type  jobs.Type
	Phase Phase
	// Reason explains a Pending or Failed phase in words a user can act on
	// (an exit code, OOMKilled, a missing volume, no room in the cluster).
	Reason string
	// Requested is the number of workers asked for by Start or Scale.
	Requested int
	// Running is the number of workers running and ready: NWorkers.
	Running int
	// Created is when the job was started.
	Created time.Time
}
