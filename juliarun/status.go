package juliarun

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/juliarun/sdk/internal/labels"
	"github.com/juliarun/sdk/jobs"
)

// maxReasonPods bounds the pods Status reads to explain a phase, so its
// cost does not grow with the number of workers.
const maxReasonPods = 5

// snapshot is what decides a job's phase and worker counts: its workloads
// as read, and, where Layout.PhaseNeedsPods says they decide, a few pods
// of the deciding role.
type snapshot struct {
	// master and workers are the workloads as read, nil where the job has
	// none; missing names one that should be there and is not.
	master, workers client.Object
	missing         string
	pods            []corev1.Pod // a few pods of the deciding role (master, else workers)
	podsRead        bool         // whether pods were read (they may be none)
}

// observation is what was read of a job, with its counts and phase judged
// once (assess); decide turns it into a Status with no further I/O.
type observation struct {
	spec    jobs.Spec
	created time.Time
	missing string // a workload that is not there (see snapshot)
	// hasMaster says the job has a master workload, whose waiting is
	// explained by events.
	hasMaster bool
	counts    WorkerCounts
	phase     Phase
	reason    string // Layout.Phase's

	failedWorkers []corev1.Pod // a few failed worker pods, read only when workers failed
	workersWait   string       // why waiting workers wait, read only while some wait
	masterWait    string       // why a pending master waits
	endpoint      *Endpoint
}

// reader answers the reads that explain a job's status beyond its
// workloads: a few of its pods, the newest warning event of an object,
// its Service. Status reads them from the API server (the Client itself is
// one); List from what it listed of every job at once (bulkReader).
type reader interface {
	// pods returns at most limit pods (0: all) of the job with role, in
	// phase unless "", by name.
	pods(ctx context.Context, job, role string, phase corev1.PodPhase, limit int64) ([]corev1.Pod, error)
	// warning returns the newest warning event of the object of kind,
	// name and uid (any object of kind and name when uid is ""), "" if
	// none.
	warning(ctx context.Context, kind, name string, uid types.UID) (string, error)
	// endpoint returns where the job's Service (Layout.Service) is reached.
	endpoint(ctx context.Context, s jobs.Spec) (*Endpoint, error)
	// withPreemptions returns why, the reason waiting workers of the
	// worker workload wait, led by how many of them were preempted.
	withPreemptions(ctx context.Context, workers client.Object, why string) (string, error)
}

// Status reads the job's root, its workloads (one list per kind) and, only
// where they matter, a few of its pods and its Service: a fixed number of
// requests, whatever the number of workers, three or fewer for a running
// job. A job that is pending, or whose workers failed or wait, costs a
// few more, to say why.
func (k *kubeClient) Status(ctx context.Context, name string) (*Status, error) {
	s, root, err := k.spec(ctx, name)
	if err != nil {
		return nil, fmt.Errorf("status: %w", err)
	}
	snap, _, err := k.readWorkloads(ctx, s)
	if err != nil {
		return nil, fmt.Errorf("status %s: %w", name, err)
	}
	obs, err := k.observe(ctx, k, s, root.GetCreationTimestamp().Time, snap)
	if err != nil {
		return nil, fmt.Errorf("status %s: %w", name, err)
	}
	st := decide(obs)
	k.logger(ctx, s.Name).V(2).Info("status read", "phase", st.Phase,
		"requested", st.Requested, "running", st.Running)
	return st, nil
}

// readWorkloads reads the job's workloads (Layout.Workloads) with one
// list by the job's label per kind: a master and workers of one kind are
// read together. Where one is not found, the snapshot names it missing
// (and holds the others found). It returns each kind's list
// resourceVersion, from which a watch of the kind misses nothing.
func (k *kubeClient) readWorkloads(ctx context.Context, s jobs.Spec) (*snapshot, map[schema.GroupVersionKind]string, error) {
	master, workers := k.layout.Workloads(s, k.ns)
	kinds, err := k.kindsOf(master, workers)
	if err != nil {
		return nil, nil, err
	}
	snap := &snapshot{}
	rvs := map[schema.GroupVersionKind]string{}
	found := map[schema.GroupVersionKind][]client.Object{}
	for _, gvk := range kinds.order {
		list, err := k.listOf(kinds.sample[gvk])
		if err != nil {
			return nil, nil, err
		}
		if err := k.c.List(ctx, list, client.InNamespace(k.ns), client.MatchingLabels{labels.Job: s.Name}); err != nil {
			return nil, nil, err
		}
		if found[gvk], err = objectsOf(list); err != nil {
			return nil, nil, err
		}
		rvs[gvk] = list.GetResourceVersion()
	}
	// Workers first: a job whose workers are missing says so.
	for _, w := range []client.Object{workers, master} {
		if w == nil {
			continue
		}
		got := named(found[kinds.of[w]], w.GetName(), s.Name)
		if got == nil && snap.missing == "" {
			snap.missing = k.describe(w)
		}
		if w == master {
			snap.master = got
		} else {
			snap.workers = got
		}
	}
	return snap, rvs, nil
}

// workloadKinds are the kinds of a job's workloads.
type workloadKinds struct {
	order  []schema.GroupVersionKind                 // each kind once
	sample map[schema.GroupVersionKind]client.Object // an object of each kind
	of     map[client.Object]schema.GroupVersionKind
}

// kindsOf returns the kinds of objs, leaving out nil ones.
func (k *kubeClient) kindsOf(objs ...client.Object) (*workloadKinds, error) {
	out := &workloadKinds{sample: map[schema.GroupVersionKind]client.Object{}, of: map[client.Object]schema.GroupVersionKind{}}
	for _, o := range objs {
		if o == nil {
			continue
		}
		gvk, err := k.c.GroupVersionKindFor(o)
		if err != nil {
			return nil, err
		}
		out.of[o] = gvk
		if _, ok := out.sample[gvk]; !ok {
			out.sample[gvk] = o
			out.order = append(out.order, gvk)
		}
	}
	return out, nil
}

// named returns the object of objs named name that belongs to job (its
// label says so), nil if none.
func named(objs []client.Object, name, job string) client.Object {
	for _, o := range objs {
		if o.GetName() == name && o.GetLabels()[labels.Job] == job {
			return o
		}
	}
	return nil
}

// objectsOf returns the items of list.
func objectsOf(list client.ObjectList) ([]client.Object, error) {
	items, err := meta.ExtractList(list)
	if err != nil {
		return nil, err
	}
	out := make([]client.Object, 0, len(items))
	for _, it := range items {
		o, ok := it.(client.Object)
		if !ok {
			return nil, fmt.Errorf("a %T in a list is no object", it)
		}
		out = append(out, o)
	}
	return out, nil
}

// decidingRole is the role of the pods that decide a job's phase where its
// workloads do not: the master's, else the workers'.
func decidingRole(master client.Object) string {
	if master == nil {
		return labels.RoleWorker
	}
	return labels.RoleMaster
}

// observe reads through r what a job's phase needs beyond its workloads
// (a few pods, only where Layout.PhaseNeedsPods says so and snap has
// none), judges the phase and counts once (assess), and reads what the
// status says of them (explain).
func (k *kubeClient) observe(ctx context.Context, r reader, s jobs.Spec, created time.Time, snap *snapshot) (*observation, error) {
	if err := k.readPods(ctx, r, s.Name, snap); err != nil {
		return nil, err
	}
	obs := assess(k.layout, s, created, snap)
	if err := k.explain(ctx, r, obs, snap); err != nil {
		return nil, err
	}
	return obs, nil
}

// readPods reads a few pods of the deciding role through r into snap when
// the phase needs them and snap has none.
func (k *kubeClient) readPods(ctx context.Context, r reader, job string, snap *snapshot) error {
	if snap.missing != "" || snap.podsRead || !k.layout.PhaseNeedsPods(snap.master, snap.workers) {
		return nil
	}
	pods, err := r.pods(ctx, job, decidingRole(snap.master), "", maxReasonPods)
	if err != nil {
		return err
	}
	snap.pods, snap.podsRead = pods, true
	return nil
}

// assess judges a job from snap: its worker counts (Layout.Counts) and its
// phase and reason (Layout.Phase), each computed once.
func assess(layout Layout, s jobs.Spec, created time.Time, snap *snapshot) *observation {
	obs := &observation{spec: s, created: created, missing: snap.missing, hasMaster: snap.master != nil}
	if snap.missing != "" {
		return obs
	}
	if snap.workers != nil {
		obs.counts = layout.Counts(snap.workers)
	}
	obs.phase, obs.reason = layout.Phase(snap.master, snap.workers, snap.pods)
	return obs
}

// explains lists what explain reads of a job judged obs.
type explains struct {
	failedWorkers, workersWait, masterWait, endpoint bool
}

// needs returns what explain reads of a job judged obs, with layout:
// failed worker pods only when workers failed, the reasons of waiting
// pods only while some wait, the Service only where the job has one.
func (obs *observation) needs(layout Layout) explains {
	if obs.missing != "" {
		return explains{}
	}
	return explains{
		failedWorkers: obs.counts.Failed > 0,
		workersWait:   waitingWorkers(obs.counts) > 0 && !obs.phase.Terminal(),
		masterWait:    obs.phase == PhasePending && obs.hasMaster,
		endpoint:      layout.Service(obs.spec) != "",
	}
}

// explain reads through r what the status of a job judged obs says beyond
// its phase and counts (see needs), into obs.
func (k *kubeClient) explain(ctx context.Context, r reader, obs *observation, snap *snapshot) error {
	need := obs.needs(k.layout)
	name := obs.spec.Name
	var err error
	if need.failedWorkers {
		if obs.failedWorkers, err = r.pods(ctx, name, labels.RoleWorker, corev1.PodFailed, maxReasonPods); err != nil {
			return err
		}
	}
	if need.workersWait {
		// Say why workers wait (no room, no GPU, a missing volume, a quota),
		// from one of them: one more request, only while some wait.
		why := obs.counts.Problem
		if why == "" {
			pending, err := r.pods(ctx, name, labels.RoleWorker, corev1.PodPending, 1)
			if err != nil {
				return err
			}
			if why, err = k.waitReason(ctx, r, snap.workers, pending); err != nil {
				return err
			}
		}
		if why, err = r.withPreemptions(ctx, snap.workers, why); err != nil { // preempted.go
			return err
		}
		obs.workersWait = why
	}
	if need.masterWait {
		// A master that has no pod, or whose pod is scheduled but not
		// started, is explained by events too.
		if !snap.podsRead {
			if snap.pods, err = r.pods(ctx, name, labels.RoleMaster, "", maxReasonPods); err != nil {
				return err
			}
			snap.podsRead = true
		}
		if obs.masterWait, err = k.waitReason(ctx, r, snap.master, snap.pods); err != nil {
			return err
		}
	}
	if need.endpoint {
		ep, err := r.endpoint(ctx, obs.spec)
		if err != nil && !apierrors.IsNotFound(err) {
			return err
		}
		obs.endpoint = ep
	}
	return nil
}

// decide returns the job's Status from what was read and judged of it:
// its phase and reason, the worker counts, and why workers fail or wait.
// It reads nothing and computes no count or phase again.
func decide(obs *observation) *Status {
	st := &Status{Name: obs.spec.Name, Type: obs.spec.Type, Created: obs.created}
	if obs.missing != "" {
		st.Phase = PhasePending
		st.Reason = fmt.Sprintf("incomplete: %s is missing (being started or deleted)", obs.missing)
		return st
	}
	counts := obs.counts
	st.Requested, st.Running, st.FailedWorkers = counts.Requested, counts.Running, counts.Failed
	st.Phase, st.Reason = obs.phase, obs.reason
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
	if st.Phase == PhasePending && obs.hasMaster {
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
func (k *kubeClient) waitReason(ctx context.Context, r reader, workload client.Object, pending []corev1.Pod) (string, error) {
	for i := range pending {
		p := &pending[i]
		if p.Status.Phase != corev1.PodPending {
			continue
		}
		if !needsEvents(p) {
			return podReason(p), nil
		}
		if why, err := r.warning(ctx, "Pod", p.Name, p.UID); why != "" || err != nil {
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
	return r.warning(ctx, gvk.Kind, workload.GetName(), workload.GetUID())
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
		if why := disrupted(&p); why != "" {
			codes = append(codes, why)
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

// disrupted says why a pod was ended from outside, if it was: the
// DisruptionTarget condition the scheduler sets on a pod it preempts
// (reason PreemptionByScheduler) and an eviction or a taint sets on theirs.
// Its exit code (143, SIGTERM) says nothing a user can act on.
func disrupted(p *corev1.Pod) string {
	for _, c := range p.Status.Conditions {
		if c.Type != corev1.DisruptionTarget || c.Status != corev1.ConditionTrue {
			continue
		}
		if c.Reason == "PreemptionByScheduler" {
			return "preempted by a higher-priority pod"
		}
		return strings.TrimSuffix("disrupted: "+c.Reason+": "+c.Message, ": ")
	}
	return ""
}

func joinReasons(rs ...string) string {
	var out []string
	for _, r := range rs {
		// Reasons are compared part by part: one already said, alone or
		// within a joined reason (a pending master's wait reason within
		// the phase's), is said once.
		for _, part := range strings.Split(r, "; ") {
			if part = strings.TrimSpace(part); part != "" && !slices.Contains(out, part) {
				out = append(out, part)
			}
		}
	}
	return strings.Join(out, "; ")
}
