package juliarun

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/juliarun/sdk/internal/labels"
	"github.com/juliarun/sdk/jobs"
)

// maxReasonPods bounds the pods Status reads to explain a phase, so its
// cost does not grow with the number of workers.
const maxReasonPods = 5

// observation is what Status read of a job; decide turns it into a Status
// with no further I/O.
type observation struct {
	spec    jobs.Spec
	created time.Time
	// master and workers are the workloads as read, nil where the job
	// has none; missing names one that should be there and is not.
	master, workers client.Object
	missing         string
	pods            []corev1.Pod // a few pods of the deciding role (master, else workers)
	failedWorkers   []corev1.Pod // a few failed worker pods, read only when workers failed
	workersWait     string       // why waiting workers wait, read only while some wait
	masterWait      string       // why a pending master waits
	endpoint        *Endpoint
}

// Status reads the job's root, workloads, Service and a few of its pods:
// a fixed number of requests, whatever the number of workers.
func (k *kubeClient) Status(ctx context.Context, name string) (*Status, error) {
	s, root, err := k.spec(ctx, name)
	if err != nil {
		return nil, fmt.Errorf("status: %w", err)
	}
	return k.statusOf(ctx, s, root)
}

// statusOf is Status of a job whose record was read.
func (k *kubeClient) statusOf(ctx context.Context, s jobs.Spec, root client.Object) (*Status, error) {
	obs, err := k.observe(ctx, s, root)
	if err != nil {
		return nil, err
	}
	st := decide(k.layout, obs)
	k.logger(ctx, s.Name).V(2).Info("status read", "phase", st.Phase,
		"requested", st.Requested, "running", st.Running)
	return st, nil
}

// observe reads what decide needs, and no more: failed worker pods only
// when workers failed, the reasons of waiting pods only while some wait.
func (k *kubeClient) observe(ctx context.Context, s jobs.Spec, root client.Object) (*observation, error) {
	name := s.Name
	obs := &observation{spec: s, created: root.GetCreationTimestamp().Time}
	var err error
	master, workers := k.layout.Workloads(s, k.ns)
	for _, w := range []client.Object{workers, master} {
		if w == nil {
			continue
		}
		if err := k.c.Get(ctx, client.ObjectKeyFromObject(w), w); apierrors.IsNotFound(err) {
			obs.missing = k.describe(w)
			return obs, nil
		} else if err != nil {
			return nil, fmt.Errorf("status %s: %w", name, err)
		}
	}
	obs.master, obs.workers = master, workers
	role := labels.RoleMaster
	if master == nil {
		role = labels.RoleWorker
	}
	if obs.pods, err = k.pods(ctx, name, role, "", maxReasonPods); err != nil {
		return nil, fmt.Errorf("status %s: %w", name, err)
	}
	var counts WorkerCounts
	if workers != nil {
		counts = k.layout.Counts(workers)
	}
	phase, _ := k.layout.Phase(master, workers, obs.pods)
	if counts.Failed > 0 {
		if obs.failedWorkers, err = k.pods(ctx, name, labels.RoleWorker, corev1.PodFailed, maxReasonPods); err != nil {
			return nil, fmt.Errorf("status %s: %w", name, err)
		}
	}
	if waitingWorkers(counts) > 0 && !phase.Terminal() {
		// Say why workers wait (no room, no GPU, a missing volume, a quota),
		// from one of them: one more request, only while some wait.
		pending, err := k.pods(ctx, name, labels.RoleWorker, corev1.PodPending, 1)
		if err != nil {
			return nil, fmt.Errorf("status %s: %w", name, err)
		}
		why := counts.Problem
		if why == "" {
			if why, err = k.waitReason(ctx, workers, pending); err != nil {
				return nil, fmt.Errorf("status %s: %w", name, err)
			}
		}
		if why, err = k.withPreemptions(ctx, workers, why); err != nil { // preempted.go
			return nil, fmt.Errorf("status %s: %w", name, err)
		}
		obs.workersWait = why
	}
	if phase == PhasePending && master != nil {
		// A master that has no pod, or whose pod is scheduled but not
		// started, is explained by events too.
		if obs.masterWait, err = k.waitReason(ctx, master, obs.pods); err != nil {
			return nil, fmt.Errorf("status %s: %w", name, err)
		}
	}
	if k.layout.Service(s) != "" {
		ep, err := k.endpoint(ctx, s)
		if err != nil && !apierrors.IsNotFound(err) {
			return nil, fmt.Errorf("status %s: %w", name, err)
		}
		obs.endpoint = ep
	}
	return obs, nil
}

// decide returns the job's Status from what was read of it: its phase and
// reason (Layout.Phase), the worker counts (Layout.Counts), and why
// workers fail or wait.
func decide(layout Layout, obs *observation) *Status {
	st := &Status{Name: obs.spec.Name, Type: obs.spec.Type, Created: obs.created}
	if obs.missing != "" {
		st.Phase = PhasePending
		st.Reason = fmt.Sprintf("incomplete: %s is missing (being started or deleted)", obs.missing)
		return st
	}
	var counts WorkerCounts
	if obs.workers != nil {
		counts = layout.Counts(obs.workers)
	}
	st.Requested, st.Running, st.FailedWorkers = counts.Requested, counts.Running, counts.Failed
	st.Phase, st.Reason = layout.Phase(obs.master, obs.workers, obs.pods)
	if counts.Released {
		st.Reason = joinReasons(st.Reason, "workers released: the master ended")
	}
	if st.FailedWorkers > 0 {
		msg := fmt.Sprintf("%d workers failed", st.FailedWorkers)
		if codes := failedExits(obs.failedWorkers); len(codes) > 0 {
			msg += ": " + strings.Join(codes, ", ")
		}
		st.Reason = joinReasons(st.Reason, msg)
	}
	if waiting := waitingWorkers(counts); waiting > 0 && !st.Phase.Terminal() && obs.workersWait != "" {
		st.Reason = joinReasons(st.Reason, fmt.Sprintf("%d of %d workers waiting: %s", waiting, st.Requested, obs.workersWait))
	}
	if st.Phase == PhasePending && obs.master != nil {
		st.Reason = joinReasons(st.Reason, obs.masterWait)
	}
	st.Endpoint = obs.endpoint
	return st
}

// waitingWorkers is how many requested workers neither run nor failed.
func waitingWorkers(c WorkerCounts) int { return c.Requested - c.Running - c.Failed }

// pods lists at most limit pods of the job with role, in phase unless "".
func (k *kubeClient) pods(ctx context.Context, name, role string, phase corev1.PodPhase, limit int64) ([]corev1.Pod, error) {
	opts := []client.ListOption{client.InNamespace(k.ns), client.Limit(limit), client.MatchingLabels(labels.Selector(name, role))}
	if phase != "" {
		opts = append(opts, client.MatchingFields{"status.phase": string(phase)})
	}
	var list corev1.PodList
	if err := k.c.List(ctx, &list, opts...); err != nil {
		return nil, err
	}
	return list.Items, nil
}

// waitReason says why a workload's pods wait, from one of its pending
// pods (pending, nil when none was found): the pod's own status where it
// says, else the pod's newest warning event (a volume that cannot be
// attached or mounted), and, when pending is empty, the workload's events
// (its controller may not create a pod: a quota, an admission denial; for
// workers that run but are not ready this costs one request that finds
// nothing).
func (k *kubeClient) waitReason(ctx context.Context, workload client.Object, pending []corev1.Pod) (string, error) {
	for i := range pending {
		p := &pending[i]
		if p.Status.Phase != corev1.PodPending {
			continue
		}
		if !needsEvents(p) {
			return podReason(p), nil
		}
		if why, err := k.warning(ctx, "Pod", p.Name); why != "" || err != nil {
			return why, err
		}
		return podReason(p), nil
	}
	if len(pending) > 0 {
		return "", nil
	}
	gvk, err := k.c.GroupVersionKindFor(workload)
	if err != nil {
		return "", err
	}
	return k.warning(ctx, gvk.Kind, workload.GetName())
}

// describe names an object by kind and name, for messages: "Job pi".
func (k *kubeClient) describe(o client.Object) string {
	kind := o.GetObjectKind().GroupVersionKind().Kind
	if kind == "" {
		if gvk, err := k.c.GroupVersionKindFor(o); err == nil {
			kind = gvk.Kind
		} else {
			kind = fmt.Sprintf("%T", o)
		}
	}
	return kind + " " + o.GetName()
}

// List returns the status of every job in the namespace, by name. A job
// deleted while List runs is left out.
func (k *kubeClient) List(ctx context.Context) ([]Status, error) {
	gvk, err := k.c.GroupVersionKindFor(k.layout.Root("", k.ns))
	if err != nil {
		return nil, fmt.Errorf("list: %w", err)
	}
	roots := &metav1.PartialObjectMetadataList{}
	roots.SetGroupVersionKind(gvk.GroupVersion().WithKind(gvk.Kind + "List"))
	if err := k.c.List(ctx, roots, client.InNamespace(k.ns),
		client.MatchingLabels{labels.Role: labels.RoleRoot, labels.ManagedBy: labels.ManagedByValue}); err != nil {
		return nil, fmt.Errorf("list: %w", err)
	}
	out := make([]Status, 0, len(roots.Items))
	for _, r := range roots.Items {
		st, err := k.Status(ctx, r.Labels[labels.Job])
		if errors.Is(err, ErrNotFound) {
			continue // deleted since the roots were listed
		}
		if err != nil {
			return nil, fmt.Errorf("list: %w", err)
		}
		out = append(out, *st)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// podsPhase decides from pods alone, when their workload does not say:
// Running once one runs, else Pending with what the pods say.
func podsPhase(pods []corev1.Pod) (Phase, string) {
	for _, p := range pods {
		if p.Status.Phase == corev1.PodRunning && p.DeletionTimestamp == nil {
			return PhaseRunning, podReason(&p)
		}
	}
	var reasons []string
	for _, p := range pods {
		reasons = append(reasons, podReason(&p))
	}
	if len(pods) == 0 {
		reasons = append(reasons, "no pod created yet")
	}
	return PhasePending, joinReasons(reasons...)
}

// podReason explains in a line why a pod is not (or no longer) running
// well: unschedulable, waiting for its image, exited, OOMKilled, restarted.
func podReason(p *corev1.Pod) string {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodScheduled && c.Status == corev1.ConditionFalse {
			return "unschedulable: " + c.Message
		}
	}
	for _, cs := range p.Status.ContainerStatuses {
		switch {
		case cs.State.Waiting != nil && cs.State.Waiting.Reason != "":
			return strings.TrimSuffix(cs.State.Waiting.Reason+": "+cs.State.Waiting.Message, ": ")
		case cs.State.Terminated != nil:
			return terminated(cs.State.Terminated)
		case cs.RestartCount > 0 && cs.LastTerminationState.Terminated != nil:
			return fmt.Sprintf("restarted %d times, last %s", cs.RestartCount, terminated(cs.LastTerminationState.Terminated))
		}
	}
	return ""
}

func terminated(t *corev1.ContainerStateTerminated) string {
	if t.Reason == "OOMKilled" {
		return fmt.Sprintf("OOMKilled (exit code %d)", t.ExitCode)
	}
	return fmt.Sprintf("exit code %d", t.ExitCode)
}

// failedExits returns how the failed pods among pods exited: "exit code 3",
// "OOMKilled (exit code 137)".
func failedExits(pods []corev1.Pod) []string {
	var codes []string
	for _, p := range pods {
		if p.Status.Phase != corev1.PodFailed {
			continue
		}
		for _, cs := range p.Status.ContainerStatuses {
			if cs.State.Terminated != nil {
				codes = append(codes, terminated(cs.State.Terminated))
			}
		}
	}
	return codes
}

func joinReasons(rs ...string) string {
	var out []string
	for _, r := range rs {
		if r = strings.TrimSpace(r); r != "" && !slices.Contains(out, r) {
			out = append(out, r)
		}
	}
	return strings.Join(out, "; ")
}
