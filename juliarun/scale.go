package juliarun

import (
	"context"
	"errors"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/juliarun/sdk/internal/input"
	"github.com/juliarun/sdk/jobs"
)

// spec reads the job's record from its root.
func (k *kubeClient) spec(ctx context.Context, name string) (jobs.Spec, client.Object, error) {
	if err := input.CheckName(name); err != nil {
		return jobs.Spec{}, nil, err
	}
	root := k.layout.Root(name, k.ns)
	err := k.c.Get(ctx, client.ObjectKeyFromObject(root), root)
	if apierrors.IsNotFound(err) {
		return jobs.Spec{}, nil, fmt.Errorf("job %s in namespace %s: %w", name, k.ns, ErrNotFound)
	}
	if err != nil {
		return jobs.Spec{}, nil, fmt.Errorf("job %s: %w", name, err)
	}
	s, err := k.layout.Record(root)
	if errors.Is(err, ErrNotFound) {
		return jobs.Spec{}, nil, fmt.Errorf("job %s in namespace %s: %w", name, k.ns, err)
	}
	if err != nil {
		return jobs.Spec{}, nil, fmt.Errorf("job %s: %w", name, err)
	}
	return s, root, nil
}

// Scale sets the job's requested worker count with one write to its worker
// workload (Layout.ScalePatch).
func (k *kubeClient) Scale(ctx context.Context, name string, n int) error {
	if n < 0 || n > jobs.MaxWorkers {
		return fmt.Errorf("scale %s: %w: nworkers %d must be between 0 and %d", name, jobs.ErrInvalid, n, jobs.MaxWorkers)
	}
	s, _, err := k.spec(ctx, name)
	if err != nil {
		return fmt.Errorf("scale: %w", err)
	}
	_, target := k.layout.Workloads(s, k.ns)
	if target == nil {
		return fmt.Errorf("scale %s: %s: %w", name, s.Type, ErrNotScalable)
	}
	patch, err := k.layout.ScalePatch(target, n)
	if err != nil {
		return fmt.Errorf("scale %s: %w", name, err)
	}
	// Conflicts can come from admission, hence the retry.
	err = retry.RetryOnConflict(retry.DefaultRetry, func() error { return k.c.Patch(ctx, target, patch) })
	if apierrors.IsNotFound(err) {
		return fmt.Errorf("scale %s: worker workload %s is missing: %w", name, target.GetName(), ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("scale %s: %w", name, err)
	}
	k.logger(ctx, name).V(1).Info("job scaled", "requested", n)
	return nil
}

// NWorkers returns the workers running and ready now, read from the worker
// workload's status: two requests, whatever the number of workers.
func (k *kubeClient) NWorkers(ctx context.Context, name string) (int, error) {
	s, _, err := k.spec(ctx, name)
	if err != nil {
		return 0, fmt.Errorf("nworkers: %w", err)
	}
	_, target := k.layout.Workloads(s, k.ns)
	if target == nil {
		return 0, nil
	}
	if err := k.c.Get(ctx, client.ObjectKeyFromObject(target), target); err != nil {
		return 0, fmt.Errorf("nworkers %s: %w", name, err)
	}
	running := k.layout.Counts(target).Running
	k.logger(ctx, name).V(1).Info("workers counted", "running", running)
	return running, nil
}

func ptrOr[T any](p *T, def T) T {
	if p == nil {
		return def
	}
	return *p
}
