package juliarun

import (
	"context"
	"errors"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/juliarun/sdk/internal/labels"
	"github.com/juliarun/sdk/jobs"
)

// Start renders the job and creates its objects: first the root, whose
// creation claims the name atomically (ErrAlreadyExists when taken, also
// when two Starts race), then the rest, each owned by the root. If any
// creation fails, Start removes what it created and returns the error, so
// a retry starts clean. An invalid job creates nothing.
func (k *kubeClient) Start(ctx context.Context, job jobs.Job) error {
	if job == nil {
		return fmt.Errorf("start: %w: job is nil", jobs.ErrInvalid)
	}
	name := job.Spec().Name
	log := k.log.WithValues("job", name, "namespace", k.ns, "type", job.Type())
	objs, err := k.backend.Render(job, k.ns)
	if err != nil {
		return fmt.Errorf("start %s: %w", name, err)
	}
	if len(objs) == 0 {
		return fmt.Errorf("start %s: backend rendered no objects", name)
	}
	root := objs[0]
	if root.GetLabels()[labels.Job] != name {
		return fmt.Errorf("start %s: the backend's first object %s lacks the label %s=%s", name, root.GetName(), labels.Job, name)
	}
	if err := k.c.Create(ctx, root); err != nil {
		if apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("start %s: %w", name, ErrAlreadyExists)
		}
		return fmt.Errorf("start %s: creating %s: %w", name, describe(root), err)
	}
	log.V(1).Info("job claimed")
	owner := metav1.OwnerReference{
		APIVersion: "v1", Kind: "ConfigMap", Name: root.GetName(), UID: root.GetUID(),
	}
	for i, o := range objs[1:] {
		o.SetOwnerReferences(append(o.GetOwnerReferences(), owner))
		if err := k.c.Create(ctx, o); err != nil {
			cerr := fmt.Errorf("start %s: creating %s: %w", name, describe(o), err)
			created := objs[:i+2] // the failed create may have happened all the same
			if apierrors.IsAlreadyExists(err) {
				// Someone else's object: leave it alone.
				cerr = fmt.Errorf("start %s: %s is taken by another object: %w", name, describe(o), err)
				created = objs[:i+1]
			}
			log.V(1).Info("job start failed, removing what was created", "objects", len(created))
			if rerr := k.removeCreated(context.WithoutCancel(ctx), created); rerr != nil {
				return errors.Join(cerr, fmt.Errorf("start %s: cleaning up: %w", name, rerr))
			}
			return cerr
		}
	}
	log.V(1).Info("job started", "objects", len(objs))
	return nil
}

// removeCreated deletes, newest first, the objects Start created. It runs
// even when the caller's context is done, so a cancelled Start leaves
// nothing behind.
func (k *kubeClient) removeCreated(ctx context.Context, objs []client.Object) error {
	var errs []error
	background := client.PropagationPolicy(metav1.DeletePropagationBackground)
	for i := len(objs) - 1; i >= 0; i-- {
		o := objs[i]
		if err := k.c.Delete(ctx, o, background); err != nil && !apierrors.IsNotFound(err) {
			errs = append(errs, fmt.Errorf("deleting %s: %w", describe(o), err))
		}
	}
	return errors.Join(errs...)
}

// describe names an object for errors: "StatefulSet pi-workers".
func describe(o client.Object) string {
	kind := o.GetObjectKind().GroupVersionKind().Kind
	if kind == "" {
		kind = fmt.Sprintf("%T", o)
	}
	return kind + " " + o.GetName()
}
