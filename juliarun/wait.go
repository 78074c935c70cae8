package juliarun

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/juliarun/sdk/internal/labels"
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
	s, root, err := k.spec(ctx, name)
	if err != nil {
		return nil, fmt.Errorf("wait: %w", err)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	master, workers := k.layout.Workloads(s, k.ns)
	seen := newChanges(workers)
	if err := k.watchJob(ctx, name, seen, master, workers); err != nil {
		return nil, fmt.Errorf("wait %s: %w", name, err)
	}
	met := func(st *Status) bool { return cond == nil || cond(st) || st.Phase.Terminal() }
	var last *Status
	read := true
	for {
		if read {
			var st *Status
			var err error
			if last == nil {
				st, err = k.statusOf(ctx, s, root) // the record was just read
			} else {
				st, err = k.Status(ctx, name)
			}
			if err != nil {
				if ctx.Err() != nil {
					return last, fmt.Errorf("wait %s: %w", name, ctx.Err())
				}
				return last, fmt.Errorf("wait: %w", err)
			}
			last = st
			if met(st) {
				k.logger(ctx, name).V(1).Info("wait ended", "phase", st.Phase, "running", st.Running)
				return st, nil
			}
		}
		select {
		case <-ctx.Done():
			return last, fmt.Errorf("wait %s: %w", name, ctx.Err())
		case <-seen.signal:
		}
		full, changed := seen.take()
		// Where a master decides the phase, the worker workload only moves
		// the counts: update them in place, and read everything only when
		// they meet the condition.
		read = full || master == nil || changed == nil
		if !read {
			next := *last
			c := k.layout.Counts(changed)
			next.Requested, next.Running, next.FailedWorkers = c.Requested, c.Running, c.Failed
			last = &next
			read = met(last)
		}
	}
}

// changes collects what the watches of a Wait saw since the Wait last
// looked: the latest worker workload, and whether anything else changed.
type changes struct {
	workers client.Object // the worker workload's kind and name; nil for none
	signal  chan struct{} // holds one token while changes are pending

	mu     sync.Mutex
	full   bool
	latest client.Object
}

func newChanges(workers client.Object) *changes {
	return &changes{workers: workers, signal: make(chan struct{}, 1)}
}

// note records an event's object (nil: something the Wait must read in
// full, such as a watch that was down).
func (c *changes) note(obj runtime.Object) {
	c.mu.Lock()
	if o, ok := obj.(client.Object); ok && c.workers != nil &&
		reflect.TypeOf(o) == reflect.TypeOf(c.workers) && o.GetName() == c.workers.GetName() {
		c.latest = o
	} else {
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
	full, workers = c.full, c.latest
	c.full, c.latest = false, nil
	return full, workers
}

// watchJob starts watches on the job's workloads (of the kinds its
// Layout gives: their status carries the worker counts) and on its
// master's pods (whose conditions explain a Pending phase), all at once,
// which signal changes, coalesced, until ctx ends. Worker pods are not
// watched: at hundreds of workers they would cost more than everything
// else together. A watch the server closes is opened again.
func (k *kubeClient) watchJob(ctx context.Context, name string, seen *changes, workloads ...client.Object) error {
	job := client.MatchingLabels{labels.Job: name}
	starters := []func(context.Context) (watch.Interface, error){
		func(ctx context.Context) (watch.Interface, error) {
			return k.c.Watch(ctx, &corev1.PodList{}, client.InNamespace(k.ns),
				client.MatchingLabels(labels.Selector(name, labels.RoleMaster)))
		},
	}
	kinds := map[reflect.Type]bool{}
	for _, w := range workloads {
		if w == nil || kinds[reflect.TypeOf(w)] {
			continue
		}
		kinds[reflect.TypeOf(w)] = true
		list, err := k.listOf(w)
		if err != nil {
			return err
		}
		starters = append(starters, func(ctx context.Context) (watch.Interface, error) {
			return k.c.Watch(ctx, list.DeepCopyObject().(client.ObjectList), client.InNamespace(k.ns), job)
		})
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

// listOf returns an empty list of o's kind: typed where the client's scheme
// knows the kind, else unstructured (a custom backend's resource).
func (k *kubeClient) listOf(o client.Object) (client.ObjectList, error) {
	gvk, err := k.c.GroupVersionKindFor(o)
	if err != nil {
		return nil, err
	}
	listGVK := gvk.GroupVersion().WithKind(gvk.Kind + "List")
	if obj, err := k.c.Scheme().New(listGVK); err == nil {
		if list, ok := obj.(client.ObjectList); ok {
			return list, nil
		}
	}
	list := &unstructured.UnstructuredList{}
	list.SetGroupVersionKind(listGVK)
	return list, nil
}
