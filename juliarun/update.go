package juliarun

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/juliarun/sdk/internal/input"
	"github.com/juliarun/sdk/internal/names"
	"github.com/juliarun/sdk/internal/render"
	"github.com/juliarun/sdk/jobs"
)

// updatable returns the parameters Update may change on a running job of
// spec s: those that only shape the pods its StatefulSet or Deployment of
// workers (or replicas) starts from now on. Masters run once, and Job pod
// templates are immutable (a JuliaParBatch's workers included: they are
// an Indexed Job so that they end with the master), so nothing else may
// change.
func updatable(s jobs.Spec) []string {
	switch render.WorkersOf(s, "").(type) {
	case *appsv1.StatefulSet:
		if s.Type == jobs.TypeParBatchWorkers {
			return []string{"image", "cpu", "cpu_limit", "memory", "memory_limit", "gpu", "envvars"}
		}
		return []string{"image", "worker_cpu", "worker_cpu_limit", "worker_memory", "worker_memory_limit",
			"worker_gpu", "worker_envvars"}
	case *appsv1.Deployment:
		return []string{"image", "cpu", "cpu_limit", "memory", "memory_limit", "envvars", "command", "args"}
	}
	return nil
}

// Update changes a running job to job: its workers' (or replicas')
// resources, environment and image, for the pods started from now on, as a
// rolling update. Anything else, including the worker count (see Scale), is
// reported as Forbidden, with nothing changed.
func (k *kubeClient) Update(ctx context.Context, job jobs.Job) error {
	if input.IsNil(job) {
		return fmt.Errorf("update: %w: job is nil", jobs.ErrInvalid)
	}
	if err := job.Validate(); err != nil {
		return fmt.Errorf("update: %w", err)
	}
	next := job.Spec()
	prev, root, err := k.spec(ctx, next.Name)
	if err != nil {
		return fmt.Errorf("update: %w", err)
	}
	password := next.Password
	next.Password = "" // the record holds none: it is compared with the stored hash below
	// Scale changes the worker workload only (one write): the requested
	// count there is the true one, and the record gets it with this Update.
	if target := render.WorkersOf(prev, k.ns); target != nil {
		if err := k.c.Get(ctx, client.ObjectKeyFromObject(target), target); err != nil && !apierrors.IsNotFound(err) {
			return fmt.Errorf("update %s: %w", next.Name, err)
		} else if err == nil {
			prev.NWorkers, _ = workerCounts(target)
		}
	}
	allowed := updatable(prev)
	var errs field.ErrorList
	changed := jobs.Changed(prev, next)
	for _, p := range changed {
		if !slices.Contains(allowed, p) {
			errs = append(errs, field.Forbidden(field.NewPath(p), "cannot change on a running job"+hint(p)))
		}
	}
	if same, err := k.samePassword(ctx, next.Name, password); err != nil {
		return fmt.Errorf("update %s: %w", next.Name, err)
	} else if !same {
		errs = append(errs, field.Forbidden(field.NewPath("passwd"), "cannot change on a running job"))
	}
	if err := jobs.Invalid(next.Type, next.Name, errs); err != nil {
		return fmt.Errorf("update: %w", err)
	}
	if len(changed) == 0 {
		return nil
	}
	target := render.WorkersOf(next, k.ns)
	objs, err := k.backend.Render(job, k.ns)
	if err != nil {
		return fmt.Errorf("update %s: %w", next.Name, err)
	}
	tmpl := templateOf(objs, target)
	if tmpl == nil {
		return fmt.Errorf("update %s: the backend rendered no %s", next.Name, describe(target))
	}
	patch, err := json.Marshal(map[string]any{"spec": map[string]any{"template": tmpl}})
	if err != nil {
		return err
	}
	if err := k.c.Patch(ctx, target, client.RawPatch(types.MergePatchType, patch)); err != nil {
		return fmt.Errorf("update %s: %w", next.Name, err)
	}
	record, err := render.EncodeRecord(next)
	if err != nil {
		return err
	}
	root.Data[render.RootKeySpec] = string(record)
	if err := k.c.Update(ctx, root); err != nil {
		return fmt.Errorf("update %s: recording the change: %w", next.Name, err)
	}
	k.log.V(1).Info("job updated", "job", next.Name, "namespace", k.ns, "changed", changed)
	return nil
}

func hint(param string) string {
	if param == "nworkers" {
		return "; use Scale"
	}
	return ""
}

// templateOf returns the pod template of the object in objs with target's
// kind and name.
func templateOf(objs []client.Object, target client.Object) *corev1.PodTemplateSpec {
	for _, o := range objs {
		if o.GetName() != target.GetName() {
			continue
		}
		switch w := o.(type) {
		case *appsv1.StatefulSet:
			if _, ok := target.(*appsv1.StatefulSet); ok {
				return &w.Spec.Template
			}
		case *appsv1.Deployment:
			if _, ok := target.(*appsv1.Deployment); ok {
				return &w.Spec.Template
			}
		}
	}
	return nil
}

// samePassword reports whether password is the one the job was started
// with, by checking it against the hash in the job's Secret.
func (k *kubeClient) samePassword(ctx context.Context, name, password string) (bool, error) {
	var sec corev1.Secret
	err := k.c.Get(ctx, client.ObjectKey{Namespace: k.ns, Name: names.Secret(name)}, &sec)
	if apierrors.IsNotFound(err) {
		return password == "", nil
	}
	if err != nil {
		return false, err
	}
	hash := string(sec.Data[render.SecretKeyPasswordHash])
	if hash == "" || password == "" {
		return hash == "" && password == "", nil
	}
	return render.PasswordMatches(hash, password), nil
}
