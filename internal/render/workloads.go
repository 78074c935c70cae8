package render

import (
	"fmt"
	"math"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/juliarun/sdk/internal/labels"
	"github.com/juliarun/sdk/internal/names"
	"github.com/juliarun/sdk/internal/scripts"
	"github.com/juliarun/sdk/jobs"
)

// workloads returns the job's workloads: master (or main) first, then
// workers.
func (r *renderer) workloads() ([]client.Object, error) {
	s := r.s
	master := process{role: ServingRole(s.Type), resources: s.Resources, env: s.EnvVars, exposes: true,
		who: jobs.Master, settings: &r.s.Settings.Master}
	switch s.Type {
	case jobs.TypeBatch, jobs.TypeParBatch:
		master.command, master.shell = scripts.Command(s.Shell, s.StartScript), s.Shell
	case jobs.TypePkgBuilder:
		master.command, master.shell = scripts.Command(s.Shell, s.BuilderScript), s.Shell
	case jobs.TypeNotebook:
		master.command, master.shell = scripts.Command(s.Shell, ""), s.Shell
	case jobs.TypeWebserver:
		master.command = []string{"nginx", "-c", r.inRunDir(s.CfgFile), "-g", "daemon off;"}
	case jobs.TypeGeneric:
		master.command, master.args = s.Command, s.Args
	}
	switch s.Type {
	case jobs.TypeBatch, jobs.TypePkgBuilder:
		return []client.Object{r.masterJob(master)}, nil
	case jobs.TypeParBatch:
		return []client.Object{r.masterJob(master), r.workers(r.distributedWorker())}, nil
	case jobs.TypeNotebook:
		return []client.Object{r.singleton(master, names.Master(s.Name)), r.workers(r.distributedWorker())}, nil
	case jobs.TypeMessageQ:
		return []client.Object{r.singleton(master, names.Master(s.Name))}, nil
	case jobs.TypeWebserver, jobs.TypeGeneric:
		return []client.Object{r.deployment(master)}, nil
	case jobs.TypeParBatchWorkers:
		unit := process{role: ServingRole(s.Type), resources: s.Resources, env: s.EnvVars, exposes: true,
			command: scripts.Command(s.Shell, s.StartScript), shell: s.Shell, who: jobs.Master, settings: &r.s.Settings.Master}
		return []client.Object{r.workers(unit)}, nil
	}
	return nil, fmt.Errorf("no rendering for job type %q", s.Type)
}

// distributedWorker is a worker that joins the master through Julia's
// Distributed: it listens on scripts.WorkerPort.
func (r *renderer) distributedWorker() process {
	s := r.s
	return process{role: labels.RoleWorker, resources: s.WorkerResources, env: s.WorkerEnvVars, listens: true,
		command: scripts.Command(s.WorkerShell, s.WorkerStartScript), shell: s.WorkerShell, who: jobs.Workers, settings: &r.s.Settings.Workers}
}

// masterJob runs the master once: a failure is the job's failure, retried
// only as often as the retry limit says, never behind the user's back. A
// run-time limit is the Job's active deadline, and a removal after the job
// finished is the Job's TTL: the root is then made the Job's dependent
// (labels.OwnsRoot), so the Job's removal takes the whole job with it.
func (r *renderer) masterJob(p process) *batchv1.Job {
	p.restart = corev1.RestartPolicyNever
	set := r.s.Settings
	one, retries := int32(1), int32(set.RetryLimit)
	job := &batchv1.Job{
		TypeMeta:   typeMeta("batch/v1", "Job"),
		ObjectMeta: r.meta(names.Master(r.s.Name), labels.RoleMaster),
		Spec: batchv1.JobSpec{
			Completions:  &one,
			Parallelism:  &one,
			BackoffLimit: &retries,
			Template:     r.podTemplate(p),
		},
	}
	if r.s.Type != jobs.TypeParBatch {
		// A master the scheduler preempted, or a node drain evicted, is
		// started again without counting as a failure: it did not fail.
		job.Spec.PodFailurePolicy = &batchv1.PodFailurePolicy{Rules: []batchv1.PodFailurePolicyRule{ignoreDisruptions()}}
	} else {
		// A JuliaParBatch's workers end with its master's first run, so a
		// disrupted master ends the job, saying so in the Job's Failed
		// condition (its pod is gone with the disruption).
		rule := ignoreDisruptions()
		rule.Action = batchv1.PodFailurePolicyActionFailJob
		job.Spec.PodFailurePolicy = &batchv1.PodFailurePolicy{Rules: []batchv1.PodFailurePolicyRule{rule}}
	}
	if set.RunTimeLimit > 0 {
		seconds := int64(math.Ceil(set.RunTimeLimit.Seconds()))
		job.Spec.ActiveDeadlineSeconds = &seconds
	}
	if ttl := set.TTLAfterFinished; ttl != nil {
		seconds := int32(math.Ceil(ttl.Seconds()))
		job.Spec.TTLSecondsAfterFinished = &seconds
		job.Annotations = merged(job.Annotations, map[string]string{labels.OwnsRoot: "true"})
	}
	return job
}

// singleton is a long-running master (a notebook server, a message queue):
// one replica with a stable name, restarted when it ends.
func (r *renderer) singleton(p process, name string) *appsv1.StatefulSet {
	p.restart = corev1.RestartPolicyAlways
	one := int32(1)
	sts := &appsv1.StatefulSet{
		TypeMeta:   typeMeta("apps/v1", "StatefulSet"),
		ObjectMeta: r.meta(name, labels.RoleMaster),
		Spec: appsv1.StatefulSetSpec{
			Replicas: &one,
			Selector: &metav1.LabelSelector{MatchLabels: labels.Selector(r.s.Name, p.role)},
			Template: r.podTemplate(p),
		},
	}
	if HasService(r.s) {
		sts.Spec.ServiceName = names.Master(r.s.Name)
	}
	return sts
}

// deployment runs NWorkers interchangeable replicas.
func (r *renderer) deployment(p process) *appsv1.Deployment {
	p.restart = corev1.RestartPolicyAlways
	n := int32(r.s.NWorkers)
	return &appsv1.Deployment{
		TypeMeta:   typeMeta("apps/v1", "Deployment"),
		ObjectMeta: r.meta(names.Master(r.s.Name), labels.RoleWorker),
		Spec: appsv1.DeploymentSpec{
			Replicas: &n,
			Selector: &metav1.LabelSelector{MatchLabels: labels.Selector(r.s.Name, p.role)},
			Template: r.podTemplate(p),
		},
	}
}

// workers renders the worker workload. RestartAlways workers are a
// StatefulSet (Parallel, so they start together); OnFailure and Never
// workers are an Indexed Job with completions = parallelism = NWorkers,
// which Scale changes together. A job with no workers is suspended, since a
// Job asked for zero completions would complete at once and could not grow.
func (r *renderer) workers(p process) client.Object {
	if r.s.Type == jobs.TypeParBatch {
		return r.sessionWorkers(p)
	}
	n := int32(r.s.NWorkers)
	arrayUnits := r.s.Type == jobs.TypeParBatchWorkers
	if r.s.Restart == jobs.RestartAlways {
		p.restart = corev1.RestartPolicyAlways
		if arrayUnits {
			p.unitIndex = "metadata.labels['" + labels.StatefulSetPodIndex + "']"
		}
		sts := &appsv1.StatefulSet{
			TypeMeta:   typeMeta("apps/v1", "StatefulSet"),
			ObjectMeta: r.meta(names.Workers(r.s.Name), labels.RoleWorker),
			Spec: appsv1.StatefulSetSpec{
				Replicas:            &n,
				PodManagementPolicy: appsv1.ParallelPodManagement,
				Selector:            &metav1.LabelSelector{MatchLabels: labels.Selector(r.s.Name, p.role)},
				Template:            r.podTemplate(p),
			},
		}
		if jobs.HasMasterWorkers(r.s.Type) {
			sts.Spec.ServiceName = names.Workers(r.s.Name)
		}
		return sts
	}
	if arrayUnits {
		p.unitIndex = "metadata.annotations['" + labels.JobCompletionIndex + "']"
	}
	job := r.indexedWorkers(p)
	if r.s.Restart == jobs.RestartNever {
		// A failed worker is not replaced.
		job.Spec.Template.Spec.RestartPolicy = corev1.RestartPolicyNever
		zero := int32(0)
		job.Spec.BackoffLimitPerIndex = &zero
	} else {
		// OnFailure: the container restarts in place, for as long as it fails.
		job.Spec.Template.Spec.RestartPolicy = corev1.RestartPolicyOnFailure
		unlimited := int32(math.MaxInt32)
		job.Spec.BackoffLimit = &unlimited
	}
	SetJobWorkers(job, r.s.NWorkers)
	return job
}

// sessionWorkers renders a JuliaParBatch's workers, which live only as long
// as their master: an Indexed Job whose pods are never restarted in place
// (restartPolicy Never, as podFailurePolicy requires) but replaced when
// they fail, for as long as the restart policy says. When the master has
// ended, worker.sh exits with scripts.ExitMasterEnded and the FailJob rule
// ends the whole Job: the Job controller removes every remaining worker pod
// and makes no new one, so nothing keeps holding CPU, GPU or memory with no
// client running (docs/OBJECTS.md, "When the master ends"). A StatefulSet
// could not do this: its pods restart whatever their exit code.
func (r *renderer) sessionWorkers(p process) *batchv1.Job {
	p.restart = corev1.RestartPolicyNever
	container := containerName
	job := r.indexedWorkers(p)
	job.Spec.PodFailurePolicy = &batchv1.PodFailurePolicy{Rules: []batchv1.PodFailurePolicyRule{
		{Action: batchv1.PodFailurePolicyActionFailJob, OnExitCodes: &batchv1.PodFailurePolicyOnExitCodesRequirement{
			ContainerName: &container, Operator: batchv1.PodFailurePolicyOnExitCodesOpIn,
			Values: []int32{scripts.ExitMasterEnded}}},
		// A preempted or evicted worker is replaced without counting.
		ignoreDisruptions(),
	}}
	if r.s.Restart == jobs.RestartNever {
		zero := int32(0)
		job.Spec.BackoffLimitPerIndex = &zero
	} else {
		unlimited := int32(math.MaxInt32)
		job.Spec.BackoffLimit = &unlimited
	}
	SetJobWorkers(job, r.s.NWorkers)
	return job
}

// indexedWorkers is the Indexed Job of workers running p, before the
// restart and failure policies that differ by job type.
func (r *renderer) indexedWorkers(p process) *batchv1.Job {
	indexed := batchv1.IndexedCompletion
	return &batchv1.Job{
		TypeMeta:   typeMeta("batch/v1", "Job"),
		ObjectMeta: r.meta(names.Workers(r.s.Name), labels.RoleWorker),
		Spec:       batchv1.JobSpec{CompletionMode: &indexed, Template: r.podTemplate(p)},
	}
}

// SetJobWorkers sets an Indexed Job's worker count: completions and
// parallelism together, or suspended when n is 0.
func SetJobWorkers(job *batchv1.Job, n int) {
	count, suspend := int32(n), n == 0
	if suspend {
		count = 1
	}
	job.Spec.Completions, job.Spec.Parallelism, job.Spec.Suspend = &count, &count, &suspend
}

// JobWorkers returns the worker count SetJobWorkers recorded in job.
func JobWorkers(job *batchv1.Job) int {
	if job.Spec.Suspend != nil && *job.Spec.Suspend {
		return 0
	}
	if job.Spec.Parallelism == nil {
		return 1
	}
	return int(*job.Spec.Parallelism)
}

// ignoreDisruptions is the pod failure rule that replaces a pod the
// scheduler preempted or a drain evicted (condition DisruptionTarget)
// without counting it against the Job's backoff limit.
func ignoreDisruptions() batchv1.PodFailurePolicyRule {
	return batchv1.PodFailurePolicyRule{Action: batchv1.PodFailurePolicyActionIgnore,
		OnPodConditions: []batchv1.PodFailurePolicyOnPodConditionsPattern{
			{Type: corev1.DisruptionTarget, Status: corev1.ConditionTrue}}}
}
