package juliarun

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/juliarun/sdk/internal/labels"
	"github.com/juliarun/sdk/internal/names"
	"github.com/juliarun/sdk/internal/render"
	"github.com/juliarun/sdk/jobs"
)

// nativeLayout is the native backend's Layout: internal/render decides
// the kinds and names, this reads and writes them (docs/OBJECTS.md).
type nativeLayout struct{}

// NativeLayout returns the native backend's Layout, for a Backend that
// lays jobs out as the native one does in most places to embed.
func NativeLayout() Layout { return nativeLayout{} }

// Kinds lists what the native backend renders and its controllers make.
func (nativeLayout) Kinds() []schema.GroupVersionKind {
	return []schema.GroupVersionKind{
		corev1.SchemeGroupVersion.WithKind("ConfigMap"),
		corev1.SchemeGroupVersion.WithKind("Secret"),
		corev1.SchemeGroupVersion.WithKind("Service"),
		networkingv1.SchemeGroupVersion.WithKind("NetworkPolicy"),
		batchv1.SchemeGroupVersion.WithKind("Job"),
		appsv1.SchemeGroupVersion.WithKind("StatefulSet"),
		appsv1.SchemeGroupVersion.WithKind("Deployment"),
		// Made by the workload controllers with the pod template's labels;
		// removed too where no garbage collector runs.
		appsv1.SchemeGroupVersion.WithKind("ReplicaSet"),
		appsv1.SchemeGroupVersion.WithKind("ControllerRevision"),
		corev1.SchemeGroupVersion.WithKind("Pod"),
	}
}

// ControllerKinds are what the Job, StatefulSet and Deployment controllers
// make: ReplicaSets (of a Deployment), ControllerRevisions (of a
// StatefulSet) and Pods.
func (nativeLayout) ControllerKinds() []schema.GroupVersionKind {
	return []schema.GroupVersionKind{
		appsv1.SchemeGroupVersion.WithKind("ReplicaSet"),
		appsv1.SchemeGroupVersion.WithKind("ControllerRevision"),
		corev1.SchemeGroupVersion.WithKind("Pod"),
	}
}

// Root is the ConfigMap named after the job.
func (nativeLayout) Root(name, namespace string) client.Object {
	return &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: names.Root(name), Namespace: namespace}}
}

// Record decodes the root ConfigMap's job.json.
func (nativeLayout) Record(root client.Object) (jobs.Spec, error) {
	cm, ok := root.(*corev1.ConfigMap)
	if !ok || cm.Labels[labels.Role] != labels.RoleRoot {
		return jobs.Spec{}, fmt.Errorf("%s is not a job's root: %w", root.GetName(), ErrNotFound)
	}
	return render.DecodeRoot(cm)
}

// SetRecord writes s as the root ConfigMap's job.json.
func (nativeLayout) SetRecord(root client.Object, s jobs.Spec) error {
	cm, ok := root.(*corev1.ConfigMap)
	if !ok {
		return fmt.Errorf("the root %s is a %T, not a ConfigMap", root.GetName(), root)
	}
	data, err := render.EncodeRecord(s)
	if err != nil {
		return err
	}
	if cm.Data == nil {
		cm.Data = map[string]string{}
	}
	cm.Data[render.RootKeySpec] = string(data)
	return nil
}

func (nativeLayout) Workloads(s jobs.Spec, namespace string) (master, workers client.Object) {
	return render.MasterOf(s, namespace), render.WorkersOf(s, namespace)
}

// ScalePatch sets a StatefulSet's or Deployment's replicas, or an Indexed
// Job's completions and parallelism (suspended at zero: see
// render.SetJobWorkers).
func (nativeLayout) ScalePatch(workers client.Object, n int) (client.Patch, error) {
	var spec map[string]any
	switch workers.(type) {
	case *appsv1.StatefulSet, *appsv1.Deployment:
		spec = map[string]any{"replicas": n}
	case *batchv1.Job:
		if n == 0 {
			spec = map[string]any{"suspend": true} // completions stay as they are
		} else {
			spec = map[string]any{"completions": n, "parallelism": n, "suspend": false}
		}
	default:
		return nil, fmt.Errorf("cannot scale a %T", workers)
	}
	// A merge patch carries no resourceVersion, so concurrent Scales do not
	// conflict: the last write wins.
	data, err := json.Marshal(map[string]any{"spec": spec})
	return client.RawPatch(types.MergePatchType, data), err
}

func (nativeLayout) Counts(workers client.Object) WorkerCounts {
	switch w := workers.(type) {
	case *appsv1.StatefulSet:
		return WorkerCounts{Requested: int(ptrOr(w.Spec.Replicas, 1)), Running: int(w.Status.ReadyReplicas)}
	case *appsv1.Deployment:
		return WorkerCounts{Requested: int(ptrOr(w.Spec.Replicas, 1)), Running: int(w.Status.ReadyReplicas),
			Problem: replicaFailure(w)}
	case *batchv1.Job:
		c := WorkerCounts{Requested: render.JobWorkers(w), Running: int(ptrOr(w.Status.Ready, 0))}
		if endedWithMaster(w) {
			c.Released = true
		} else {
			c.Failed = failedWorkers(w)
		}
		return c
	}
	return WorkerCounts{}
}

// Phase decides from the master workload (or, for job arrays, Webservers
// and Generic jobs, the worker workload) and, where the workload does not
// say, a few pods of its role.
func (nativeLayout) Phase(master, workers client.Object, pods []corev1.Pod) (Phase, string) {
	phase, reason, by := workloadPhase(master, workers)
	switch by {
	case byWorkload:
		return phase, reason
	case byWorkloadPodsExplain:
		return phase, joinReasons(append(failedExits(pods), reason)...)
	}
	return podsPhase(pods)
}

// PhaseNeedsPods is false where the deciding workload says the job runs
// (a ready pod), has ended in success, or asks for no workers.
func (nativeLayout) PhaseNeedsPods(master, workers client.Object) bool {
	_, _, by := workloadPhase(master, workers)
	return by != byWorkload
}

// decidedBy says what decides a job's phase.
type decidedBy int

const (
	// byPods: the workload does not say; its pods do.
	byPods decidedBy = iota
	// byWorkload: the workload alone.
	byWorkload
	// byWorkloadPodsExplain: the workload, with the reason its failed pods
	// give.
	byWorkloadPodsExplain
)

// workloadPhase returns what the deciding workload (the master, else the
// workers) says of the job's phase, and whether that decides it. A Job's
// ready count, which its controller updates in batches of about a second,
// says a pod runs (pods decide until it does); a failed Job's reason is
// its failed pods' exits.
func workloadPhase(master, workers client.Object) (Phase, string, decidedBy) {
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
				return PhaseSucceeded, "", byWorkload
			case batchv1.JobFailed:
				return PhaseFailed, jobFailure(w, c), byWorkloadPodsExplain
			}
		}
		if master == nil && render.JobWorkers(w) == 0 {
			return PhasePending, "no workers requested", byWorkload
		}
		if ptrOr(w.Status.Ready, 0) > 0 {
			return PhaseRunning, "", byWorkload
		}
	case *appsv1.StatefulSet:
		if w.Status.ReadyReplicas > 0 {
			return PhaseRunning, "", byWorkload
		}
		if ptrOr(w.Spec.Replicas, 1) == 0 {
			return PhasePending, "no workers requested", byWorkload
		}
	case *appsv1.Deployment:
		if w.Status.ReadyReplicas > 0 {
			return PhaseRunning, "", byWorkload
		}
		if ptrOr(w.Spec.Replicas, 1) == 0 {
			return PhasePending, "no replicas requested", byWorkload
		}
	}
	return "", "", byPods
}

func (nativeLayout) Service(s jobs.Spec) string {
	if !render.HasService(s) {
		return ""
	}
	return names.Master(s.Name)
}

// Updatable returns the parameters that only shape the pods a StatefulSet
// or Deployment of workers (or replicas) starts from now on. Masters run
// once, and Job pod templates are immutable (a JuliaParBatch's workers
// included: an Indexed Job, so that they end with the master), so nothing
// else may change.
func (nativeLayout) Updatable(s jobs.Spec) []string {
	pull := []string{"image_pull_secrets", "image_pull_policy"}
	switch render.WorkersOf(s, "").(type) {
	case *appsv1.StatefulSet:
		if s.Type == jobs.TypeParBatchWorkers {
			return slices.Concat([]string{"image", "cpu", "cpu_limit", "memory", "memory_limit", "gpu", "envvars"},
				pull, jobs.PodParams(jobs.Master))
		}
		return slices.Concat([]string{"image", "worker_cpu", "worker_cpu_limit", "worker_memory", "worker_memory_limit",
			"worker_gpu", "worker_envvars"}, pull, jobs.PodParams(jobs.Workers))
	case *appsv1.Deployment:
		return slices.Concat([]string{"image", "cpu", "cpu_limit", "memory", "memory_limit", "envvars", "command", "args"},
			pull, jobs.PodParams(jobs.Master))
	}
	return nil
}

// UpdatePatch replaces the worker StatefulSet's or Deployment's pod
// template, which rolls the workers.
func (nativeLayout) UpdatePatch(rendered []client.Object, workers client.Object) (client.Patch, error) {
	var tmpl *corev1.PodTemplateSpec
	for _, o := range rendered {
		if o.GetName() != workers.GetName() {
			continue
		}
		switch w := o.(type) {
		case *appsv1.StatefulSet:
			if _, ok := workers.(*appsv1.StatefulSet); ok {
				tmpl = &w.Spec.Template
			}
		case *appsv1.Deployment:
			if _, ok := workers.(*appsv1.Deployment); ok {
				tmpl = &w.Spec.Template
			}
		}
	}
	if tmpl == nil {
		return nil, fmt.Errorf("the backend rendered no %T %s", workers, workers.GetName())
	}
	// Replaced whole, not merged: a merge patch would keep a node
	// selector key or a label the new template no longer has.
	data, err := json.Marshal([]map[string]any{{"op": "replace", "path": "/spec/template", "value": tmpl}})
	return client.RawPatch(types.JSONPatchType, data), err
}

func (nativeLayout) PasswordSecret(s jobs.Spec) (name, key string) {
	return names.Secret(s.Name), render.SecretKeyPasswordHash
}

func (nativeLayout) PasswordMatches(hash, password string) bool {
	return render.PasswordMatches(hash, password)
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

// replicaFailure returns a Deployment's ReplicaFailure condition message:
// its ReplicaSet could not create a pod (the events are the ReplicaSet's).
func replicaFailure(d *appsv1.Deployment) string {
	for _, c := range d.Status.Conditions {
		if c.Type == appsv1.DeploymentReplicaFailure && c.Status == corev1.ConditionTrue {
			return strings.TrimSuffix(c.Reason+": "+c.Message, ": ")
		}
	}
	return ""
}
