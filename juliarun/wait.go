package juliarun

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/juliarun/sdk/internal/input"
	"github.com/juliarun/sdk/internal/labels"
	"github.com/juliarun/sdk/internal/names"
	"github.com/juliarun/sdk/internal/render"
	"github.com/juliarun/sdk/jobs"
)

// Condition is what Wait waits for, judged on each new Status.
type Condition func(*Status) bool

// AtLeastWorkers is met when n or more workers run and are ready.
func AtLeastWorkers(n int) Condition {
	return func(s *Status) bool { return s.Running >= n }
}

// Running is met when the job's master (or main) process runs.
func Running() Condition {
	return func(s *Status) bool { return s.Phase == PhaseRunning }
}

// Finished is met when the job has succeeded or failed.
func Finished() Condition {
	return func(s *Status) bool { return s.Phase.Terminal() }
}

// Terminal reports whether a job in phase p has ended.
func (p Phase) Terminal() bool { return p == PhaseSucceeded || p == PhaseFailed }

// Wait watches the job's workloads and master pods and returns when cond
// is met, when the job reaches a terminal phase (Succeeded or Failed), or
// when ctx ends; always with the last status it read (nil if none). It does
// not poll. A change to the worker workload of a job with a master only
// updates the worker counts of the last status, with no request; every
// other change, and a count that meets cond, is judged on a fresh Status.
func (k *kubeClient) Wait(ctx context.Context, name string, cond Condition) (*Status, error) {
	if err := input.CheckName(name); err != nil {
		return nil, fmt.Errorf("wait: %w", err)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	seen := newChanges(names.Workers(name))
	if err := k.watchJob(ctx, name, seen); err != nil {
		return nil, fmt.Errorf("wait %s: %w", name, err)
	}
	met := func(st *Status) bool { return cond == nil || cond(st) || st.Phase.Terminal() }
	var last *Status
	read := true
	for {
		if read {
			st, err := k.Status(ctx, name)
			if err != nil {
				if ctx.Err() != nil {
					return last, fmt.Errorf("wait %s: %w", name, ctx.Err())
				}
				return last, fmt.Errorf("wait: %w", err)
			}
			last = st
			if met(st) {
				k.log.V(1).Info("wait ended", "job", name, "namespace", k.ns, "phase", st.Phase, "running", st.Running)
				return st, nil
			}
		}
		select {
		case <-ctx.Done():
			return last, fmt.Errorf("wait %s: %w", name, ctx.Err())
		case <-seen.signal:
		}
		full, workers := seen.take()
		// Where a master decides the phase, the worker workload only moves
		// the counts: update them in place, and read everything only when
		// they meet the condition.
		hasMaster := render.MasterOf(jobs.Spec{Type: last.Type, Name: name}, k.ns) != nil
		read = full || !hasMaster || workers == nil
		if !read {
			next := *last
			next.Requested, next.Running = workerCounts(workers)
			if j, ok := workers.(*batchv1.Job); ok {
				next.FailedWorkers = int(j.Status.Failed)
			}
			last = &next
			read = met(last)
		}
	}
}

// changes collects what the watches of a Wait saw since the Wait last
// looked: the latest worker workload, and whether anything else changed.
type changes struct {
	workersName string
	signal      chan struct{} // holds one token while changes are pending

	mu      sync.Mutex
	full    bool
	workers client.Object
}

func newChanges(workersName string) *changes {
	return &changes{workersName: workersName, signal: make(chan struct{}, 1)}
}

// note records an event's object (nil: something the Wait must read in
// full, such as a watch that was down).
func (c *changes) note(obj runtime.Object) {
	c.mu.Lock()
	switch o := obj.(type) {
	case *appsv1.StatefulSet, *appsv1.Deployment, *batchv1.Job:
		if o.(client.Object).GetName() == c.workersName {
			c.workers = o.(client.Object)
		} else {
			c.full = true
		}
	default:
		c.full = true
	}
	c.mu.Unlock()
	select {
	case c.signal <- struct{}{}:
	default: // a change is already pending
	}
}

// take returns and clears what was noted.
func (c *changes) take() (full bool, workers client.Object) {
	c.mu.Lock()
	defer c.mu.Unlock()
	full, workers = c.full, c.workers
	c.full, c.workers = false, nil
	return full, workers
}

// watchJob starts watches on the job's workloads (Jobs, StatefulSets,
// Deployments: their status carries the worker counts) and on its master's
// pods (whose conditions explain a Pending phase), all at once, which signal
// changes, coalesced, until ctx ends. Worker pods are not watched: at
// hundreds of workers they would cost more than everything else together.
// A watch the server closes is opened again.
func (k *kubeClient) watchJob(ctx context.Context, name string, seen *changes) error {
	job := metav1.ListOptions{LabelSelector: labels.Job + "=" + name}
	master := metav1.ListOptions{LabelSelector: labels.Job + "=" + name + "," + labels.Role + "=" + labels.RoleMaster}
	starters := []func(context.Context) (watch.Interface, error){
		func(ctx context.Context) (watch.Interface, error) { return k.cs.CoreV1().Pods(k.ns).Watch(ctx, master) },
		func(ctx context.Context) (watch.Interface, error) { return k.cs.BatchV1().Jobs(k.ns).Watch(ctx, job) },
		func(ctx context.Context) (watch.Interface, error) {
			return k.cs.AppsV1().StatefulSets(k.ns).Watch(ctx, job)
		},
		func(ctx context.Context) (watch.Interface, error) {
			return k.cs.AppsV1().Deployments(k.ns).Watch(ctx, job)
		},
	}
	errs := make([]error, len(starters))
	var wg sync.WaitGroup
	for i, start := range starters {
		wg.Go(func() {
			w, err := start(ctx)
			if err != nil {
				errs[i] = err
				return
			}
			go func() {
				for {
					for ev := range w.ResultChan() {
						if ev.Type == watch.Error {
							seen.note(nil)
							continue
						}
						seen.note(ev.Object)
					}
					w.Stop()
					for {
						if ctx.Err() != nil {
							return
						}
						var err error
						if w, err = start(ctx); err == nil {
							break
						}
						select {
						case <-ctx.Done():
						case <-time.After(time.Second):
						}
					}
					// Changes may have been missed while the watch was down.
					seen.note(nil)
				}
			}()
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}
