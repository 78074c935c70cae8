package juliarun

import (
	"context"
	"errors"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/watch"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/juliarun/sdk/internal/input"
	"github.com/juliarun/sdk/internal/labels"
)

// deletePollInterval is how often Delete looks again for objects other
// than pods that are still there (held by a finalizer): rare, since
// deleting a collection removes the others at once.
const deletePollInterval = 100 * time.Millisecond

var podKind = corev1.SchemeGroupVersion.WithKind("Pod")

// Delete removes every object labelled with the job's name, kind by kind,
// without relying on the garbage collector, and waits until none is left or
// ctx ends (unless WithWait(false)). It returns ErrNotFound when the job
// has no object at all. Deletions and the lists that check what is left
// ask for object metadata only, and pods, which go last (their grace
// period), are waited for with a watch, not by polling.
func (k *kubeClient) Delete(ctx context.Context, name string, opts ...DeleteOption) error {
	if err := input.CheckName(name); err != nil {
		return fmt.Errorf("delete: %w", err)
	}
	sel := client.MatchingLabels{labels.Job: name}
	left, err := k.firstLeft(ctx, sel)
	if err != nil {
		return fmt.Errorf("delete %s: %w", name, err)
	}
	if left == nil {
		return fmt.Errorf("delete %s in namespace %s: %w", name, k.ns, ErrNotFound)
	}
	for _, gvk := range k.layout.Kinds() {
		if err := k.deleteAll(ctx, gvk, sel); err != nil {
			return fmt.Errorf("delete %s: %w", name, err)
		}
	}
	k.logger(ctx, name).V(1).Info("job deleting")
	if !deleteOptionsOf(opts).wait {
		return nil
	}
	for {
		left, err := k.firstLeft(ctx, sel)
		if err != nil {
			return fmt.Errorf("delete %s: waiting for its objects to go: %w", name, err)
		}
		if left == nil {
			break
		}
		if *left == podKind {
			err = k.waitPodsGone(ctx, sel)
		} else {
			select {
			case <-ctx.Done():
				err = ctx.Err()
			case <-time.After(deletePollInterval):
			}
		}
		if err != nil {
			return fmt.Errorf("delete %s: waiting for its objects to go: %w", name, err)
		}
	}
	k.logger(ctx, name).V(1).Info("job deleted")
	return nil
}

// deleteAll deletes every object of kind gvk that matches sel, asking for
// the deleted objects' metadata only in the answer (at a thousand pods the
// full objects are megabytes).
func (k *kubeClient) deleteAll(ctx context.Context, gvk schema.GroupVersionKind, sel client.MatchingLabels) error {
	obj := &metav1.PartialObjectMetadata{}
	obj.SetGroupVersionKind(gvk)
	err := k.c.DeleteAllOf(ctx, obj, client.InNamespace(k.ns), sel,
		client.PropagationPolicy(metav1.DeletePropagationBackground))
	if err == nil || apierrors.IsNotFound(err) {
		return nil
	}
	if !apierrors.IsMethodNotSupported(err) {
		return fmt.Errorf("deleting %ss: %w", gvk.Kind, err)
	}
	// Some kinds (Services before Kubernetes 1.31) have no delete-collection: one by one.
	list := metadataList(gvk)
	if err := k.c.List(ctx, list, client.InNamespace(k.ns), sel); err != nil {
		return fmt.Errorf("listing %ss: %w", gvk.Kind, err)
	}
	var errs []error
	for i := range list.Items {
		if err := k.c.Delete(ctx, &list.Items[i], client.PropagationPolicy(metav1.DeletePropagationBackground)); err != nil && !apierrors.IsNotFound(err) {
			errs = append(errs, fmt.Errorf("deleting %s %s: %w", gvk.Kind, list.Items[i].GetName(), err))
		}
	}
	return errors.Join(errs...)
}

func metadataList(gvk schema.GroupVersionKind) *metav1.PartialObjectMetadataList {
	list := &metav1.PartialObjectMetadataList{}
	list.SetGroupVersionKind(gvk.GroupVersion().WithKind(gvk.Kind + "List"))
	return list
}

// firstLeft returns the kind of the first of the layout's kinds that still
// has an object matching sel, nil when none has; it reads at most one
// object's metadata of each kind.
func (k *kubeClient) firstLeft(ctx context.Context, sel client.MatchingLabels) (*schema.GroupVersionKind, error) {
	for _, gvk := range k.layout.Kinds() {
		list := metadataList(gvk)
		if err := k.c.List(ctx, list, client.InNamespace(k.ns), sel, client.Limit(1)); err != nil {
			return nil, fmt.Errorf("listing %ss: %w", gvk.Kind, err)
		}
		if len(list.Items) > 0 {
			return &gvk, nil
		}
	}
	return nil, nil
}

// waitPodsGone watches the pods that match sel until none is left.
func (k *kubeClient) waitPodsGone(ctx context.Context, sel client.MatchingLabels) error {
	list := metadataList(podKind)
	if err := k.c.List(ctx, list, client.InNamespace(k.ns), sel); err != nil {
		return err
	}
	left := map[string]bool{}
	for _, p := range list.Items {
		left[p.Name] = true
	}
	if len(left) == 0 {
		return nil
	}
	w, err := k.c.Watch(ctx, metadataList(podKind), client.InNamespace(k.ns), sel,
		&client.ListOptions{Raw: &metav1.ListOptions{ResourceVersion: list.ResourceVersion}})
	if err != nil {
		return err
	}
	defer w.Stop()
	for len(left) > 0 {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case ev, ok := <-w.ResultChan():
			if !ok || ev.Type == watch.Error {
				return nil // the caller looks again
			}
			if o, isObj := ev.Object.(client.Object); isObj {
				switch ev.Type {
				case watch.Deleted:
					delete(left, o.GetName())
				case watch.Added:
					left[o.GetName()] = true // a controller's late replacement, deleted with the next pass
				}
			}
		}
	}
	return nil
}
