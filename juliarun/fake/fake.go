package fake

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/juliarun/sdk/internal/input"
	"github.com/juliarun/sdk/jobs"
	"github.com/juliarun/sdk/juliarun"
)

// Client is an in-memory juliarun.Client for unit tests of programs that
// use the SDK, where a cluster would be too much. Jobs are validated as the
// real client validates them and errors match the same sentinels
// (jobs.ErrInvalid, juliarun.ErrAlreadyExists, ErrNotFound, ErrNotScalable),
// but nothing runs: the test says what "is running" with SetRunning and
// SetPhase. Its methods are safe for concurrent use.
type Client struct {
	namespace string
	now       func() time.Time

	mu      sync.Mutex
	jobs    map[string]*fakeJob
	changed chan struct{} // closed and replaced on every change, for Wait
}

type fakeJob struct {
	spec   jobs.Spec
	status juliarun.Status
	logs   string
}

var _ juliarun.Client = (*Client)(nil)

// NewClient returns an empty Client whose jobs live in namespace
// (used only for Endpoint addresses).
func NewClient(namespace string) *Client {
	return &Client{namespace: namespace, now: time.Now, jobs: map[string]*fakeJob{}, changed: make(chan struct{})}
}

// notify wakes every Wait. Call with mu held.
func (f *Client) notify() {
	close(f.changed)
	f.changed = make(chan struct{})
}

func (f *Client) get(name string) (*fakeJob, error) {
	if err := input.CheckName(name); err != nil {
		return nil, err
	}
	j, ok := f.jobs[name]
	if !ok {
		return nil, fmt.Errorf("job %s: %w", name, juliarun.ErrNotFound)
	}
	return j, nil
}

// Start records the job, Pending as a new job is (SetPhase moves it on),
// with no worker running yet. With juliarun.WithDryRun it checks the job
// and its name and records nothing.
func (f *Client) Start(_ context.Context, job jobs.Job, opts ...juliarun.StartOption) error {
	if input.IsNil(job) {
		return fmt.Errorf("start: %w: job is nil", jobs.ErrInvalid)
	}
	if err := job.Validate(); err != nil {
		return fmt.Errorf("start: %w", err)
	}
	// Rendering finds what only the rendered pods show (a pod template
	// overlay that would replace one of the SDK's mounts), as the real
	// client's native backend does.
	if _, err := juliarun.NewNativeBackend().Render(job, "fake"); err != nil {
		return fmt.Errorf("start: %w", err)
	}
	s := job.Spec()
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.jobs[s.Name]; ok {
		return fmt.Errorf("start %s: %w", s.Name, juliarun.ErrAlreadyExists)
	}
	if juliarun.IsDryRun(opts) {
		return nil
	}
	f.jobs[s.Name] = &fakeJob{spec: s, status: juliarun.Status{
		Name: s.Name, Type: s.Type, Phase: juliarun.PhasePending, Reason: "no pod created yet",
		Requested: requested(s), Created: f.now(),
	}}
	f.notify()
	return nil
}

// requested is the worker count a job starts with, as the real client
// reports it: NWorkers for types with workers, else 0.
func requested(s jobs.Spec) int {
	if jobs.HasWorkers(s.Type) {
		return s.NWorkers
	}
	return 0
}

// Scale sets the requested worker count; running workers change only with
// SetRunning.
func (f *Client) Scale(_ context.Context, name string, n int) error {
	if n < 0 || n > jobs.MaxWorkers {
		return fmt.Errorf("scale %s: %w: nworkers %d", name, jobs.ErrInvalid, n)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	j, err := f.get(name)
	if err != nil {
		return fmt.Errorf("scale: %w", err)
	}
	if !jobs.HasWorkers(j.spec.Type) {
		return fmt.Errorf("scale %s: %s: %w", name, j.spec.Type, juliarun.ErrNotScalable)
	}
	j.status.Requested = n
	f.notify()
	return nil
}

// NWorkers returns what SetRunning last set.
func (f *Client) NWorkers(_ context.Context, name string) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	j, err := f.get(name)
	if err != nil {
		return 0, fmt.Errorf("nworkers: %w", err)
	}
	return j.status.Running, nil
}

// Delete forgets the job.
func (f *Client) Delete(_ context.Context, name string, _ ...juliarun.DeleteOption) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, err := f.get(name); err != nil {
		return fmt.Errorf("delete: %w", err)
	}
	delete(f.jobs, name)
	f.notify()
	return nil
}

// Status returns a copy of the job's status.
func (f *Client) Status(_ context.Context, name string) (*juliarun.Status, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	j, err := f.get(name)
	if err != nil {
		return nil, fmt.Errorf("status: %w", err)
	}
	st := j.status
	st.Endpoint = f.endpoint(j.spec)
	return &st, nil
}

// List returns every job's status, by name.
func (f *Client) List(ctx context.Context) ([]juliarun.Status, error) {
	f.mu.Lock()
	var ns []string
	for n := range f.jobs {
		ns = append(ns, n)
	}
	f.mu.Unlock()
	sort.Strings(ns)
	var out []juliarun.Status
	for _, n := range ns {
		if st, err := f.Status(ctx, n); err == nil {
			out = append(out, *st)
		}
	}
	return out, nil
}

// Wait returns when cond holds, when the job's phase is terminal, or when
// ctx ends, like the real client's Wait; it wakes on every change made
// through the Client.
func (f *Client) Wait(ctx context.Context, name string, cond juliarun.Condition) (*juliarun.Status, error) {
	var last *juliarun.Status
	for {
		f.mu.Lock()
		changed := f.changed
		f.mu.Unlock()
		st, err := f.Status(ctx, name)
		if err != nil {
			return last, fmt.Errorf("wait: %w", err)
		}
		last = st
		if cond == nil || cond(st) || st.Phase.Terminal() {
			return st, nil
		}
		select {
		case <-ctx.Done():
			return last, fmt.Errorf("wait %s: %w", name, ctx.Err())
		case <-changed:
		}
	}
}

// Endpoint returns the address the job's Service would have.
func (f *Client) Endpoint(_ context.Context, name string) (*juliarun.Endpoint, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	j, err := f.get(name)
	if err != nil {
		return nil, fmt.Errorf("endpoint: %w", err)
	}
	ep := f.endpoint(j.spec)
	if ep == nil {
		return nil, fmt.Errorf("endpoint %s: the job exposes no ports: %w", name, juliarun.ErrNotFound)
	}
	return ep, nil
}

func (f *Client) endpoint(s jobs.Spec) *juliarun.Endpoint {
	svc := juliarun.NativeLayout().Service(s)
	if svc == "" {
		return nil
	}
	ep := &juliarun.Endpoint{Address: svc + "." + f.namespace + ".svc", Ports: map[string]int{}}
	for n, p := range s.Ports {
		ep.Ports[n] = p.Service
	}
	return ep
}

// Logs returns the last lines of what SetLogs set.
func (f *Client) Logs(_ context.Context, name string, opts juliarun.LogOptions) (io.ReadCloser, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	j, err := f.get(name)
	if err != nil {
		return nil, fmt.Errorf("logs: %w", err)
	}
	lines := strings.SplitAfter(j.logs, "\n")
	if len(lines) > 0 && lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	n := opts.Lines
	if n == 0 {
		n = juliarun.DefaultLogLines
	}
	if n > 0 && len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return io.NopCloser(strings.NewReader(strings.Join(lines, ""))), nil
}

// Update checks job against the running job as the real client does
// (juliarun.CheckUpdate with the native layout: what may change on a
// running job, the worker count Scale set, the password), then records it.
func (f *Client) Update(_ context.Context, job jobs.Job) error {
	if input.IsNil(job) {
		return fmt.Errorf("update: %w: job is nil", jobs.ErrInvalid)
	}
	if err := job.Validate(); err != nil {
		return fmt.Errorf("update: %w", err)
	}
	next := job.Spec()
	f.mu.Lock()
	defer f.mu.Unlock()
	j, err := f.get(next.Name)
	if err != nil {
		return fmt.Errorf("update: %w", err)
	}
	running := j.spec
	running.Password, running.NWorkers = "", j.status.Requested
	password := next.Password
	next.Password = ""
	if _, err := juliarun.CheckUpdate(juliarun.NativeLayout(), running, next, password == j.spec.Password); err != nil {
		return fmt.Errorf("update: %w", err)
	}
	next.Password = password
	j.spec = next
	f.notify()
	return nil
}

// SetRunning sets how many of the job's workers are running and ready.
func (f *Client) SetRunning(name string, n int) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	j, err := f.get(name)
	if err != nil {
		return err
	}
	j.status.Running = n
	f.notify()
	return nil
}

// SetPhase sets the job's phase and the reason Status gives for it.
func (f *Client) SetPhase(name string, phase juliarun.Phase, reason string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	j, err := f.get(name)
	if err != nil {
		return err
	}
	j.status.Phase, j.status.Reason = phase, reason
	f.notify()
	return nil
}

// SetLogs sets the output Logs returns for the job.
func (f *Client) SetLogs(name, output string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	j, err := f.get(name)
	if err != nil {
		return err
	}
	j.logs = output
	return nil
}
