package juliarun

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/juliarun/sdk/internal/labels"
	"github.com/juliarun/sdk/internal/render"
)

// maxReasonPods bounds the pods Status reads to explain a phase, so its
// cost does not grow with the number of workers.
const maxReasonPods = 5

// Status reads the job's root, workloads, master Service and a few of its
// pods: a fixed number of requests, whatever the number of workers.
func (k *kubeClient) Status(ctx context.Context, name string) (*Status, error) {
	s, root, err := k.spec(ctx, name)
	if err != nil {
		return nil, fmt.Errorf("status: %w", err)
	}
	st := &Status{Name: name, Type: s.Type, Created: root.CreationTimestamp.Time}
	var workers client.Object
	var released string
	if workers = render.WorkersOf(s, k.ns); workers != nil {
		if err := k.c.Get(ctx, client.ObjectKeyFromObject(workers), workers); apierrors.IsNotFound(err) {
			return k.incomplete(st, workers), nil
		} else if err != nil {
			return nil, fmt.Errorf("status %s: %w", name, err)
		}
		st.Requested, st.Running = workerCounts(workers)
		if j, ok := workers.(*batchv1.Job); ok {
			if endedWithMaster(j) {
				released = "workers released: the master ended"
			} else {
				st.FailedWorkers = failedWorkers(j)
			}
		}
	}
	master := render.MasterOf(s, k.ns)
	if master != nil {
		if err := k.c.Get(ctx, client.ObjectKeyFromObject(master), master); apierrors.IsNotFound(err) {
			return k.incomplete(st, master), nil
		} else if err != nil {
			return nil, fmt.Errorf("status %s: %w", name, err)
		}
	}
	role := labels.RoleMaster
	if master == nil {
		role = labels.RoleWorker
	}
	var pods corev1.PodList
	if err := k.c.List(ctx, &pods, client.InNamespace(k.ns), client.Limit(maxReasonPods),
		client.MatchingLabels(labels.Selector(name, role))); err != nil {
		return nil, fmt.Errorf("status %s: %w", name, err)
	}
	st.Phase, st.Reason = phase(master, workers, pods.Items)
	st.Reason = joinReasons(st.Reason, released)
	if st.FailedWorkers > 0 {
		var failed corev1.PodList
		if err := k.c.List(ctx, &failed, client.InNamespace(k.ns), client.Limit(maxReasonPods),
			client.MatchingLabels(labels.Selector(name, labels.RoleWorker)),
			client.MatchingFields{"status.phase": string(corev1.PodFailed)}); err != nil {
			return nil, fmt.Errorf("status %s: %w", name, err)
		}
		msg := fmt.Sprintf("%d workers failed", st.FailedWorkers)
		if codes := failedExits(failed.Items); len(codes) > 0 {
			msg += ": " + strings.Join(codes, ", ")
		}
		st.Reason = joinReasons(st.Reason, msg)
	}
	if waiting := st.Requested - st.Running - st.FailedWorkers; waiting > 0 && !st.Phase.Terminal() {
		// Say why workers wait (no room, no GPU, a missing volume), from
		// one of them: one more request, only while some wait.
		var pending corev1.PodList
		if err := k.c.List(ctx, &pending, client.InNamespace(k.ns), client.Limit(1),
			client.MatchingLabels(labels.Selector(name, labels.RoleWorker)),
			client.MatchingFields{"status.phase": string(corev1.PodPending)}); err != nil {
			return nil, fmt.Errorf("status %s: %w", name, err)
		}
		why, err := k.waitReason(ctx, workers, pending.Items)
		if err != nil {
			return nil, fmt.Errorf("status %s: %w", name, err)
		}
		if why != "" {
			st.Reason = joinReasons(st.Reason, fmt.Sprintf("%d of %d workers waiting: %s", waiting, st.Requested, why))
		}
	}
	if st.Phase == PhasePending && master != nil {
		// A master that has no pod, or whose pod is scheduled but not
		// started, is explained by events too.
		why, err := k.waitReason(ctx, master, pods.Items)
		if err != nil {
			return nil, fmt.Errorf("status %s: %w", name, err)
		}
		st.Reason = joinReasons(st.Reason, why)
	}
	if render.HasService(s) {
		ep, err := k.endpoint(ctx, name)
		if err != nil && !apierrors.IsNotFound(err) {
			return nil, fmt.Errorf("status %s: %w", name, err)
		}
		st.Endpoint = ep
	}
	k.log.V(2).Info("status read", "job", name, "namespace", k.ns, "phase", st.Phase,
		"requested", st.Requested, "running", st.Running)
	return st, nil
}

// waitReason says why a workload's pods wait, from one of its pending
// pods (pending, nil when none was found): the pod's own status where it
// says, else the pod's newest warning event (a volume that cannot be
// attached or mounted), and, when there is no pod at all, the workload's
// (its controller may not create one: a quota, an admission denial).
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
	if d, ok := workload.(*appsv1.Deployment); ok {
		return replicaFailure(d), nil
	}
	gvk, err := k.c.GroupVersionKindFor(workload)
	if err != nil {
		return "", err
	}
	return k.warning(ctx, gvk.Kind, workload.GetName())
}

// incomplete returns st for a job whose workload is missing: being
// created by a Start, or removed by a Delete, at this moment.
func (k *kubeClient) incomplete(st *Status, missing client.Object) *Status {
	kind := "workload"
	if gvk, err := k.c.GroupVersionKindFor(missing); err == nil {
		kind = gvk.Kind
	}
	st.Phase = PhasePending
	st.Reason = fmt.Sprintf("incomplete: %s %s is missing (being started or deleted)", kind, missing.GetName())
	return st
}

// List returns the status of every job in the namespace, by name. A job
// deleted while List runs is left out.
func (k *kubeClient) List(ctx context.Context) ([]Status, error) {
	var roots corev1.ConfigMapList
	if err := k.c.List(ctx, &roots, client.InNamespace(k.ns),
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

// phase decides the job's phase from its master workload (nil for job
// arrays, Webservers and Generic jobs), its worker workload and a few pods
// of the role that decides.
func phase(master, workers client.Object, pods []corev1.Pod) (Phase, string) {
	decider := master
	if decider == nil {
		decider = workers
	}
	switch w := decider.(type) {
	case *batchv1.Job:
		for _, c := range w.Status.Conditions {
			if c.Status != corev1.ConditionTrue {
				continue
			}
			switch c.Type {
			case batchv1.JobComplete:
				return PhaseSucceeded, ""
			case batchv1.JobFailed:
				return PhaseFailed, joinReasons(append(failedExits(pods), c.Message)...)
			}
		}
		if master == nil && render.JobWorkers(w) == 0 {
			return PhasePending, "no workers requested"
		}
	case *appsv1.StatefulSet:
		if w.Status.ReadyReplicas > 0 {
			return PhaseRunning, ""
		}
		if ptrOr(w.Spec.Replicas, 1) == 0 {
			return PhasePending, "no workers requested"
		}
	case *appsv1.Deployment:
		if w.Status.ReadyReplicas > 0 {
			return PhaseRunning, ""
		}
		if ptrOr(w.Spec.Replicas, 1) == 0 {
			return PhasePending, "no replicas requested"
		}
	}
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

// failedWorkers counts the workers of an Indexed Job that failed and will
// not be replaced: its failed indexes, which the Job controller keeps when
// it has a per-index backoff limit (RestartNever). Under the other restart
// policies a failed worker is restarted or replaced, however often.
func failedWorkers(j *batchv1.Job) int {
	if j.Spec.BackoffLimitPerIndex == nil || j.Status.FailedIndexes == nil {
		return 0
	}
	n := 0
	for _, part := range strings.Split(*j.Status.FailedIndexes, ",") {
		first, last, isRange := strings.Cut(part, "-")
		a, errA := strconv.Atoi(first)
		if !isRange {
			last = first
		}
		b, errB := strconv.Atoi(last)
		if errA == nil && errB == nil && b >= a {
			n += b - a + 1
		}
	}
	return n
}

// endedWithMaster reports whether a JuliaParBatch's worker Job was ended
// because its master had: a worker exited with scripts.ExitMasterEnded and
// the Job's only FailJob rule matched (render's sessionWorkers). Its failed
// pods are then no failures of the job.
func endedWithMaster(j *batchv1.Job) bool {
	for _, c := range j.Status.Conditions {
		if c.Type == batchv1.JobFailed && c.Status == corev1.ConditionTrue && c.Reason == batchv1.JobReasonPodFailurePolicy {
			return true
		}
	}
	return false
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
