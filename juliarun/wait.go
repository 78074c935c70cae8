package juliarun

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/apimachinery/pkg/watch"
	watchtools "k8s.io/client-go/tools/watch"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/juliarun/sdk/internal/labels"
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

// Wait reads the job once, then watches its workloads (from the
// resourceVersion of that read, with client-go's RetryWatcher, which
// resumes a watch the server closed where it left off) and its master's
// pods, and returns when cond is met, when the job reaches a terminal
// phase (Succeeded or Failed), or when ctx ends; always with the last
// status it judged (nil if none). It does not poll. Each change is judged
// on the objects the watch events carry, with no request: Wait returns on
// the event that meets cond. Only to explain a phase (why a master waits,
// a failed job's exits) does it read more: after a change other than to a
// master's worker workload, and once a terminal phase is seen.
func (k *kubeClient) Wait(ctx context.Context, name string, cond Condition) (*Status, error) {
	s, root, err := k.spec(ctx, name)
	if err != nil {
		return nil, fmt.Errorf("wait: %w", err)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	w := &waiter{k: k, s: s, created: root.GetCreationTimestamp().Time, cond: cond,
		events: make(chan streamEvent, 64), current: map[workloadKey]client.Object{}}
	w.master, w.workers = k.layout.Workloads(s, k.ns)
	if w.kinds, err = k.kindsOf(w.master, w.workers); err != nil {
		return nil, fmt.Errorf("wait %s: %w", name, err)
	}
	st, err := w.run(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return st, fmt.Errorf("wait %s: %w", name, ctx.Err())
		}
		return st, fmt.Errorf("wait %s: %w", name, err)
	}
	k.logger(ctx, name).V(1).Info("wait ended", "phase", st.Phase, "running", st.Running)
	return st, nil
}

// waiter is one Wait: the job's workloads and master pods as its watches
// last saw them.
type waiter struct {
	k       *kubeClient
	s       jobs.Spec
	created time.Time
	cond    Condition
	// master and workers are the empty workloads of Layout.Workloads.
	master, workers client.Object
	kinds           *workloadKinds
	// current holds the workloads as last seen, by kind and name.
	current map[workloadKey]client.Object
	// masterPods holds the master's pods as last seen, by name; nil for a
	// job without a master, whose pods are read when they decide.
	masterPods map[string]corev1.Pod
	// obs is the last observation, whose explanations carry over to the
	// next until read again.
	obs    *observation
	events chan streamEvent
}

// workloadKey names a workload.
type workloadKey struct {
	gvk  schema.GroupVersionKind
	name string
}

// streamEvent is what a watch stream delivers: an event, the objects a
// list found after the watch's resourceVersion expired (reset), or the
// error that ended the stream.
type streamEvent struct {
	gvk     schema.GroupVersionKind
	event   watch.Event
	reset   bool            // objects replace what was seen of the kind
	objects []client.Object // a reset's
	err     error
}

// run judges the job on a first read and then on each batch of events,
// until cond is met or the job has ended.
func (w *waiter) run(ctx context.Context) (*Status, error) {
	k := w.k
	rvs, podsRV, err := w.readAll(ctx)
	if err != nil {
		return nil, err
	}
	snap := w.snapshot()
	if w.obs, err = k.observe(ctx, k, w.s, w.created, snap); err != nil {
		return nil, err
	}
	last := decide(w.obs)
	if w.met(last) {
		return last, nil
	}
	// The watches log through the context's logger (client-go's
	// RetryWatcher does).
	wctx := logr.NewContext(ctx, k.logger(ctx, w.s.Name).WithName("watch"))
	job := client.MatchingLabels{labels.Job: w.s.Name}
	for _, gvk := range w.kinds.order {
		sample := w.kinds.sample[gvk]
		newList := func() client.ObjectList {
			list, _ := k.listOf(sample) // its kind is known: kindsOf found it
			return list
		}
		go k.stream(wctx, gvk, newList, job, 0, rvs[gvk], w.events)
	}
	if w.masterPods != nil {
		pods := client.MatchingLabels(labels.Selector(w.s.Name, labels.RoleMaster))
		go k.stream(wctx, podKind, func() client.ObjectList { return &corev1.PodList{} }, pods, maxReasonPods, podsRV, w.events)
	}
	for {
		var ev streamEvent
		select {
		case <-ctx.Done():
			return last, ctx.Err()
		case ev = <-w.events:
		}
		var batch batchChanges
		for more := true; more; {
			if ev.err != nil {
				return last, ev.err
			}
			w.apply(ev, &batch)
			select {
			case ev = <-w.events:
			default:
				more = false
			}
		}
		st, err := w.judge(ctx, batch)
		if st != nil {
			last = st
		}
		if err != nil || w.met(last) {
			return last, err
		}
	}
}

// met reports whether Wait is done with st.
func (w *waiter) met(st *Status) bool {
	return w.cond == nil || w.cond(st) || st.Phase.Terminal()
}

// readAll reads the job's workloads and, for a job with a master, its
// master's pods, at once, and returns the resourceVersions to watch them
// from.
func (w *waiter) readAll(ctx context.Context) (map[schema.GroupVersionKind]string, string, error) {
	k := w.k
	var (
		snap    *snapshot
		rvs     map[schema.GroupVersionKind]string
		pods    corev1.PodList
		errW    error
		errPods error
		wg      sync.WaitGroup
	)
	if w.master != nil {
		wg.Go(func() {
			errPods = k.c.List(ctx, &pods, client.InNamespace(k.ns),
				client.MatchingLabels(labels.Selector(w.s.Name, labels.RoleMaster)), client.Limit(maxReasonPods))
		})
	}
	snap, rvs, errW = k.readWorkloads(ctx, w.s)
	wg.Wait()
	if err := errors.Join(errW, errPods); err != nil {
		return nil, "", err
	}
	for _, o := range []client.Object{snap.master, snap.workers} {
		if o != nil {
			w.current[workloadKey{w.kinds.of[w.workloadOf(o)], o.GetName()}] = o
		}
	}
	if w.master != nil {
		w.masterPods = map[string]corev1.Pod{}
		for _, p := range pods.Items {
			w.masterPods[p.Name] = p
		}
	}
	return rvs, pods.ResourceVersion, nil
}

// workloadOf returns the empty workload (master or workers) that o is as
// read, by name; nil when it is neither.
func (w *waiter) workloadOf(o client.Object) client.Object {
	for _, t := range []client.Object{w.master, w.workers} {
		if t != nil && t.GetName() == o.GetName() && o.GetLabels()[labels.Job] == w.s.Name {
			return t
		}
	}
	return nil
}

// batchChanges is what a batch of events changed.
type batchChanges struct {
	workers bool // the worker workload
	other   bool // anything else: the master workload, its pods, a reset
	deleted bool // a workload is gone
}

// apply records ev in what the waiter has seen, and what it changed in
// batch.
func (w *waiter) apply(ev streamEvent, batch *batchChanges) {
	if ev.gvk == podKind {
		if ev.reset {
			w.masterPods = map[string]corev1.Pod{}
			for _, o := range ev.objects {
				if p, ok := o.(*corev1.Pod); ok {
					w.masterPods[p.Name] = *p
				}
			}
			batch.other = true
			return
		}
		p, ok := ev.event.Object.(*corev1.Pod)
		if !ok {
			return
		}
		if ev.event.Type == watch.Deleted {
			delete(w.masterPods, p.Name)
		} else {
			w.masterPods[p.Name] = *p
		}
		batch.other = true
		return
	}
	objs := ev.objects
	if !ev.reset {
		o, ok := ev.event.Object.(client.Object)
		if !ok {
			return
		}
		objs = []client.Object{o}
	}
	if ev.reset {
		for _, t := range []client.Object{w.master, w.workers} {
			if t != nil && w.kinds.of[t] == ev.gvk {
				delete(w.current, workloadKey{ev.gvk, t.GetName()})
			}
		}
		batch.other = true
	}
	for _, o := range objs {
		t := w.workloadOf(o)
		if t == nil || w.kinds.of[t] != ev.gvk {
			continue // another object of the job of this kind
		}
		key := workloadKey{ev.gvk, o.GetName()}
		if !ev.reset && ev.event.Type == watch.Deleted {
			delete(w.current, key)
			batch.deleted = true
		} else {
			w.current[key] = o
		}
		if t == w.workers && w.master != nil {
			batch.workers = true
		} else {
			batch.other = true
		}
	}
}

// snapshot returns the job as last seen: its workloads, and the master's
// pods where they are watched.
func (w *waiter) snapshot() *snapshot {
	snap := &snapshot{}
	for _, t := range []client.Object{w.workers, w.master} {
		if t == nil {
			continue
		}
		o := w.current[workloadKey{w.kinds.of[t], t.GetName()}]
		if o == nil {
			return &snapshot{missing: w.k.describe(t)}
		}
		if t == w.master {
			snap.master = o
		} else {
			snap.workers = o
		}
	}
	if w.masterPods != nil {
		names := make([]string, 0, len(w.masterPods))
		for n := range w.masterPods {
			names = append(names, n)
		}
		slices.Sort(names)
		for _, n := range names[:min(len(names), maxReasonPods)] {
			snap.pods = append(snap.pods, w.masterPods[n])
		}
		snap.podsRead = true
	}
	return snap
}

// judge returns the status after a batch of changes. It reads nothing
// when the objects seen decide it; it reads the pods that decide where
// they are not watched, the explanations after a change other than to a
// master's workers, and everything afresh once the phase is terminal, so
// that a failed job's exits are in it.
func (w *waiter) judge(ctx context.Context, batch batchChanges) (*Status, error) {
	k := w.k
	if batch.deleted {
		if _, _, err := k.spec(ctx, w.s.Name); err != nil {
			return nil, err // the job is gone
		}
	}
	snap := w.snapshot()
	if err := k.readPods(ctx, k, w.s.Name, snap); err != nil {
		return nil, err
	}
	obs := assess(k.layout, w.s, w.created, snap)
	prev := w.obs
	obs.failedWorkers, obs.workersWait, obs.masterWait, obs.endpoint = prev.failedWorkers, prev.workersWait, prev.masterWait, prev.endpoint
	st := decide(obs)
	switch {
	case st.Phase.Terminal():
		snap.pods, snap.podsRead = nil, false
		fresh, err := k.observe(ctx, k, w.s, w.created, snap)
		if err != nil {
			return st, err
		}
		obs = fresh
	case w.met(st):
		w.obs = obs
		return st, nil
	case batch.other || batch.deleted:
		if err := k.explain(ctx, k, obs, snap); err != nil {
			return st, err
		}
	}
	w.obs = obs
	return decide(obs), nil
}

// stream sends the events of the objects of newList's kind that sel
// selects, from resourceVersion rv, to out until ctx ends. client-go's
// RetryWatcher opens the watch again where it left off when the server
// closes it or a request fails for a passing reason; when the server no
// longer has that resourceVersion (410 Gone), stream lists the objects
// again (at most limit of them, 0: all; retrying passing failures) and
// sends them as a reset. An error that ends the watch for good
// (Forbidden) is sent, and ends the stream.
func (k *kubeClient) stream(ctx context.Context, gvk schema.GroupVersionKind, newList func() client.ObjectList,
	sel client.ListOption, limit int64, rv string, out chan<- streamEvent) {
	send := func(e streamEvent) bool {
		select {
		case out <- e:
			return true
		case <-ctx.Done():
			return false
		}
	}
	for ctx.Err() == nil {
		rw, err := watchtools.NewRetryWatcherWithContext(ctx, rv, watcherFunc(func(ctx context.Context, o metav1.ListOptions) (watch.Interface, error) {
			return k.c.Watch(ctx, newList(), client.InNamespace(k.ns), sel, &client.ListOptions{Raw: &o})
		}))
		if err != nil {
			send(streamEvent{gvk: gvk, err: err})
			return
		}
		expired := false
		for ev := range rw.ResultChan() {
			if ev.Type == watch.Error {
				err := apierrors.FromObject(ev.Object)
				if apierrors.IsGone(err) || apierrors.IsResourceExpired(err) {
					expired = true
					continue // the RetryWatcher stops after it
				}
				rw.Stop()
				send(streamEvent{gvk: gvk, err: err})
				return
			}
			if !send(streamEvent{gvk: gvk, event: ev}) {
				rw.Stop()
				return
			}
		}
		rw.Stop()
		if !expired {
			return // ctx ended
		}
		list := newList()
		err = retry.OnError(relistBackoff(), transient, func() error {
			return k.c.List(ctx, list, client.InNamespace(k.ns), sel, client.Limit(limit))
		})
		var objs []client.Object
		if err == nil {
			objs, err = objectsOf(list)
		}
		if err != nil {
			send(streamEvent{gvk: gvk, err: fmt.Errorf("watching %ss again: %w", gvk.Kind, err)})
			return
		}
		if !send(streamEvent{gvk: gvk, reset: true, objects: objs}) {
			return
		}
		rv = list.GetResourceVersion()
	}
}

// relistBackoff paces the lists that restart a watch whose resourceVersion
// expired, when they fail for a passing reason: ten tries, over about ten
// seconds.
func relistBackoff() wait.Backoff { return retryBackoff(10) }

// watcherFunc is a function that opens a watch, as RetryWatcher needs.
type watcherFunc func(ctx context.Context, opts metav1.ListOptions) (watch.Interface, error)

func (f watcherFunc) WatchWithContext(ctx context.Context, opts metav1.ListOptions) (watch.Interface, error) {
	return f(ctx, opts)
}
