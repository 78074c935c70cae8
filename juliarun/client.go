package juliarun

import (
	"context"
	"errors"
	"io"
	"time"

	"github.com/juliarun/sdk/internal/render"
	"github.com/juliarun/sdk/jobs"
)

// Client runs jobs on one namespace of a Kubernetes cluster.
type Client interface {
	// Start creates every object of the job. It returns an error matching
	// jobs.ErrInvalid, creating nothing, when the job is invalid, and one
	// matching ErrAlreadyExists when a job of that name exists.
	Start(ctx context.Context, job jobs.Job, opts ...StartOption) error
	// Scale sets the number of workers the job asks for, with one write
	// whatever n. It returns ErrNotScalable for job types without workers.
	Scale(ctx context.Context, name string, n int) error
	// NWorkers returns the number of the job's workers running and ready now.
	NWorkers(ctx context.Context, name string) (int, error)
	// Delete removes every object of the job, and ErrNotFound if it has none.
	Delete(ctx context.Context, name string, opts ...DeleteOption) error
	// Status returns the job's phase and worker counts.
	Status(ctx context.Context, name string) (*Status, error)
	// List returns the status of every job in the namespace.
	List(ctx context.Context) ([]Status, error)
	// Wait returns when cond holds, when the job has ended, or when ctx
	// ends, with the last status read.
	Wait(ctx context.Context, name string, cond Condition) (*Status, error)
	// Endpoint returns where the job's ports are reached.
	Endpoint(ctx context.Context, name string) (*Endpoint, error)
	// Logs streams the last lines of the master's (or a worker's) output.
	Logs(ctx context.Context, name string, opts LogOptions) (io.ReadCloser, error)
	// Update changes what may change on a running job (Layout.Updatable):
	// with the native backend, its workers' resources, environment and
	// image, for workers started from now on, where the workers can roll
	// (docs/OBJECTS.md: not a JuliaParBatch's, whose Indexed Job's pod
	// template cannot change). Anything else is Forbidden, nothing changed.
	Update(ctx context.Context, job jobs.Job) error
}

// Errors returned by a Client, wrapped with context; test them with
// errors.Is.
var (
	ErrNotFound      = errors.New("job not found")
	ErrAlreadyExists = errors.New("job already exists")
	ErrNotScalable   = errors.New("job type has no workers to scale")
	// ErrNewerRecord: the job was started by a newer SDK, whose record
	// this one cannot read without losing what it does not know.
	ErrNewerRecord = render.ErrNewerRecord
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
	// FailedWorkers counts workers that failed and were not replaced
	// (RestartNever, or RestartOnFailure past its limit).
	FailedWorkers int
	// Created is when the job was started.
	Created time.Time
	// Endpoint is where the job's Service is reached, nil without one.
	Endpoint *Endpoint
}

// Endpoint is where a job is reached: the original JuliaRun's address and
// map of port names to ports.
type Endpoint struct {
	// Address is the external address when the job is external and its
	// load balancer has one, else the Service's DNS name in the cluster
	// (<name>.<namespace>.svc).
	Address string
	// ClusterIP is the Service's address inside the cluster.
	ClusterIP string
	// Ports maps each port name to its Service port.
	Ports map[string]int
}
