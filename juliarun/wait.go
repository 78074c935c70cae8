package juliarun

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"

	"github.com/juliarun/sdk/internal/input"
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

// Wait watches the job's pods and workloads and returns when cond is met,
// when the job reaches a terminal phase (Succeeded or Failed), or when ctx
// ends; always with the last status it read (nil if none). It does not
// poll: each change the API server reports is judged once.
func (k *kubeClient) Wait(ctx context.Context, name string, cond Condition) (*Status, error) {
	if err := input.CheckName(name); err != nil {
		return nil, fmt.Errorf("wait: %w", err)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	changes := make(chan struct{}, 1)
	if err := k.watchJob(ctx, name, changes); err != nil {
		return nil, fmt.Errorf("wait %s: %w", name, err)
	}
	var last *Status
	for {
		st, err := k.Status(ctx, name)
		if err != nil {
			if ctx.Err() != nil {
				return last, fmt.Errorf("wait %s: %w", name, ctx.Err())
			}
			return last, fmt.Errorf("wait: %w", err)
		}
		last = st
		if cond == nil || cond(st) || st.Phase.Terminal() {
			k.log.V(1).Info("wait ended", "job", name, "namespace", k.ns, "phase", st.Phase, "running", st.Running)
			return st, nil
		}
		select {
		case <-ctx.Done():
			return last, fmt.Errorf("wait %s: %w", name, ctx.Err())
		case <-changes:
		}
	}
}

// watchJob starts watches on the job's workloads (Jobs, StatefulSets,
// Deployments: their status carries the worker counts) and on its master's
// pods (whose conditions explain a Pending phase), all at once, which signal
// changes, coalesced, until ctx ends. Worker pods are not watched: at
// hundreds of workers they would cost more than everything else together.
// A watch the server closes is opened again.
func (k *kubeClient) watchJob(ctx context.Context, name string, changes chan<- struct{}) error {
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
	signal := func() {
		select {
		case changes <- struct{}{}:
		default: // a change is already pending
		}
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
					for range w.ResultChan() {
						signal()
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
					signal()
				}
			}()
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}
