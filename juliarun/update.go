package juliarun

import (
	"context"
	"fmt"
	"slices"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/juliarun/sdk/internal/input"
	"github.com/juliarun/sdk/jobs"
)

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
	_, target := k.layout.Workloads(prev, k.ns)
	if target != nil {
		err := k.c.Get(ctx, client.ObjectKeyFromObject(target), target)
		if apierrors.IsNotFound(err) {
			return fmt.Errorf("update %s: worker workload %s is missing: %w", next.Name, target.GetName(), ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("update %s: %w", next.Name, err)
		}
		prev.NWorkers = k.layout.Counts(target).Requested
	}
	same, err := k.samePassword(ctx, next, password)
	if err != nil {
		return fmt.Errorf("update %s: %w", next.Name, err)
	}
	changed, err := CheckUpdate(k.layout, prev, next, same)
	if err != nil {
		return fmt.Errorf("update: %w", err)
	}
	if len(changed) == 0 {
		return nil
	}
	objs, err := k.backend.Render(job, k.ns)
	if err != nil {
		return fmt.Errorf("update %s: %w", next.Name, err)
	}
	patch, err := k.layout.UpdatePatch(objs, target)
	if err != nil {
		return fmt.Errorf("update %s: %w", next.Name, err)
	}
	if err := k.c.Patch(ctx, target, patch); err != nil {
		return fmt.Errorf("update %s: %w", next.Name, err)
	}
	if err := k.layout.SetRecord(root, next); err != nil {
		return fmt.Errorf("update %s: %w", next.Name, err)
	}
	if err := k.c.Update(ctx, root); err != nil {
		return fmt.Errorf("update %s: recording the change: %w", next.Name, err)
	}
	k.logger(ctx, next.Name).V(1).Info("job updated", "changed", changed)
	return nil
}

// CheckUpdate returns the parameters (the job model's names) that an
// Update of a running job, recorded as running, to next changes; or, when
// it changes any that layout does not allow (Layout.Updatable), or a
// password (samePassword false), an error that errors.Is(err,
// jobs.ErrInvalid) and lists each of them as Forbidden. running's NWorkers
// is the worker count the job has now (Scale changes it). Client.Update
// and fakes of it decide with this.
func CheckUpdate(layout Layout, running, next jobs.Spec, samePassword bool) ([]string, error) {
	allowed := layout.Updatable(running)
	var errs field.ErrorList
	changed := jobs.Changed(running, next)
	for _, p := range changed {
		if !slices.Contains(allowed, p) {
			errs = append(errs, field.Forbidden(field.NewPath(p), "cannot change on a running job"+hint(p)))
		}
	}
	if !samePassword {
		errs = append(errs, field.Forbidden(field.NewPath("passwd"), "cannot change on a running job"))
	}
	if err := jobs.Invalid(next.Type, next.Name, errs); err != nil {
		return nil, err
	}
	return changed, nil
}

func hint(param string) string {
	if param == "nworkers" {
		return "; use Scale"
	}
	return ""
}

// samePassword reports whether password is the one the job was started
// with, by checking it against the hash in the job's Secret.
func (k *kubeClient) samePassword(ctx context.Context, s jobs.Spec, password string) (bool, error) {
	name, key := k.layout.PasswordSecret(s)
	var sec corev1.Secret
	err := k.c.Get(ctx, client.ObjectKey{Namespace: k.ns, Name: name}, &sec)
	if apierrors.IsNotFound(err) {
		return password == "", nil
	}
	if err != nil {
		return false, err
	}
	hash := string(sec.Data[key])
	if hash == "" || password == "" {
		return hash == "" && password == "", nil
	}
	return k.layout.PasswordMatches(hash, password), nil
}
