package juliarun

import (
	"context"
	"encoding/json"
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/juliarun/sdk/internal/input"
	"github.com/juliarun/sdk/internal/labels"
	"github.com/juliarun/sdk/internal/names"
	"github.com/juliarun/sdk/internal/render"
	"github.com/juliarun/sdk/jobs"
)

// spec reads the job's record from its root ConfigMap.
func (k *kubeClient) spec(ctx context.Context, name string) (jobs.Spec, *corev1.ConfigMap, error) {
	if err := input.CheckName(name); err != nil {
		return jobs.Spec{}, nil, err
	}
	var root corev1.ConfigMap
	err := k.c.Get(ctx, client.ObjectKey{Namespace: k.ns, Name: names.Root(name)}, &root)
	if apierrors.IsNotFound(err) || (err == nil && root.Labels[labels.Role] != labels.RoleRoot) {
		return jobs.Spec{}, nil, fmt.Errorf("job %s in namespace %s: %w", name, k.ns, ErrNotFound)
	}
	if err != nil {
		return jobs.Spec{}, nil, fmt.Errorf("job %s: %w", name, err)
	}
	s, err := render.DecodeRoot(&root)
	if err != nil {
		return jobs.Spec{}, nil, fmt.Errorf("job %s: %w", name, err)
	}
	return s, &root, nil
}

// Scale sets the job's requested worker count with one write to its worker
// workload: a StatefulSet's or Deployment's replicas, or an Indexed Job's
// completions and parallelism (suspended at zero).
func (k *kubeClient) Scale(ctx context.Context, name string, n int) error {
	if n < 0 || n > jobs.MaxWorkers {
		return fmt.Errorf("scale %s: %w: nworkers %d must be between 0 and %d", name, jobs.ErrInvalid, n, jobs.MaxWorkers)
	}
	s, _, err := k.spec(ctx, name)
	if err != nil {
		return fmt.Errorf("scale: %w", err)
	}
	target := render.WorkersOf(s, k.ns)
	if target == nil {
		return fmt.Errorf("scale %s: %s: %w", name, s.Type, ErrNotScalable)
	}
	patch, err := scalePatch(target, n)
	if err != nil {
		return fmt.Errorf("scale %s: %w", name, err)
	}
	// A merge patch carries no resourceVersion, so concurrent Scales do not
	// conflict: the last write wins. Conflicts can still come from
	// admission, hence the retry.
	err = retry.RetryOnConflict(retry.DefaultRetry, func() error {
		return k.c.Patch(ctx, target, client.RawPatch(types.MergePatchType, patch))
	})
	if apierrors.IsNotFound(err) {
		return fmt.Errorf("scale %s: worker workload %s is missing: %w", name, target.GetName(), ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("scale %s: %w", name, err)
	}
	k.log.V(1).Info("job scaled", "job", name, "namespace", k.ns, "requested", n)
	return nil
}

func scalePatch(target client.Object, n int) ([]byte, error) {
	switch target.(type) {
	case *appsv1.StatefulSet, *appsv1.Deployment:
		return json.Marshal(map[string]any{"spec": map[string]any{"replicas": n}})
	case *batchv1.Job:
		// See render.SetJobWorkers: zero is a suspended Job, whose
		// completions stay as they are.
		if n == 0 {
			return json.Marshal(map[string]any{"spec": map[string]any{"suspend": true}})
		}
		return json.Marshal(map[string]any{"spec": map[string]any{
			"completions": n, "parallelism": n, "suspend": false}})
	}
	return nil, fmt.Errorf("cannot scale a %T", target)
}

// NWorkers returns the workers running and ready now, read from the worker
// workload's status: two requests, whatever the number of workers.
func (k *kubeClient) NWorkers(ctx context.Context, name string) (int, error) {
	s, _, err := k.spec(ctx, name)
	if err != nil {
		return 0, fmt.Errorf("nworkers: %w", err)
	}
	target := render.WorkersOf(s, k.ns)
	if target == nil {
		return 0, nil
	}
	if err := k.c.Get(ctx, client.ObjectKeyFromObject(target), target); err != nil {
		return 0, fmt.Errorf("nworkers %s: %w", name, err)
	}
	_, running := workerCounts(target)
	k.log.V(1).Info("workers counted", "job", name, "namespace", k.ns, "running", running)
	return running, nil
}

// workerCounts returns the requested and the running-and-ready workers of a
// worker workload.
func workerCounts(o client.Object) (requested, running int) {
	switch w := o.(type) {
	case *appsv1.StatefulSet:
		return int(ptrOr(w.Spec.Replicas, 1)), int(w.Status.ReadyReplicas)
	case *appsv1.Deployment:
		return int(ptrOr(w.Spec.Replicas, 1)), int(w.Status.ReadyReplicas)
	case *batchv1.Job:
		return render.JobWorkers(w), int(ptrOr(w.Status.Ready, 0))
	}
	return 0, 0
}

func ptrOr[T any](p *T, def T) T {
	if p == nil {
		return def
	}
	return *p
}
