package juliarun

import (
	"context"
	"errors"
	"fmt"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/juliarun/sdk/internal/input"
	"github.com/juliarun/sdk/internal/labels"
)

// deletePollInterval is how often Delete checks that the job's objects are
// gone.
const deletePollInterval = 100 * time.Millisecond

// Delete removes every object labelled with the job's name, kind by kind,
// without relying on the garbage collector, and waits until none is left or
// ctx ends. It returns ErrNotFound when the job has no object at all.
func (k *kubeClient) Delete(ctx context.Context, name string, opts ...DeleteOption) error {
	if err := input.CheckName(name); err != nil {
		return fmt.Errorf("delete: %w", err)
	}
	sel := client.MatchingLabels{labels.Job: name}
	found, err := k.anyLeft(ctx, sel)
	if err != nil {
		return fmt.Errorf("delete %s: %w", name, err)
	}
	if !found {
		return fmt.Errorf("delete %s in namespace %s: %w", name, k.ns, ErrNotFound)
	}
	for _, gvk := range k.layout.Kinds() {
		if err := k.deleteAll(ctx, gvk, sel); err != nil {
			return fmt.Errorf("delete %s: %w", name, err)
		}
	}
	k.log.V(1).Info("job deleting", "job", name, "namespace", k.ns)
	if !deleteOptionsOf(opts).wait {
		return nil
	}
	err = wait.PollUntilContextCancel(ctx, deletePollInterval, true, func(ctx context.Context) (bool, error) {
		left, err := k.anyLeft(ctx, sel)
		return !left, err
	})
	if err != nil {
		return fmt.Errorf("delete %s: waiting for its objects to go: %w", name, err)
	}
	k.log.V(1).Info("job deleted", "job", name, "namespace", k.ns)
	return nil
}

func (k *kubeClient) deleteAll(ctx context.Context, gvk schema.GroupVersionKind, sel client.MatchingLabels) error {
	obj := &unstructured.Unstructured{}
	obj.SetGroupVersionKind(gvk)
	err := k.c.DeleteAllOf(ctx, obj, client.InNamespace(k.ns), sel,
		client.PropagationPolicy(metav1.DeletePropagationBackground))
	if err == nil || apierrors.IsNotFound(err) {
		return nil
	}
	if !apierrors.IsMethodNotSupported(err) {
		return fmt.Errorf("deleting %ss: %w", gvk.Kind, err)
	}
	// Some kinds (Services) have no delete-collection: one by one.
	list := &unstructured.UnstructuredList{}
	list.SetGroupVersionKind(gvk.GroupVersion().WithKind(gvk.Kind + "List"))
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

// anyLeft reports whether any object of the managed kinds matches sel,
// reading at most one object of each kind.
func (k *kubeClient) anyLeft(ctx context.Context, sel client.MatchingLabels) (bool, error) {
	for _, gvk := range k.layout.Kinds() {
		list := &metav1.PartialObjectMetadataList{}
		list.SetGroupVersionKind(gvk.GroupVersion().WithKind(gvk.Kind + "List"))
		if err := k.c.List(ctx, list, client.InNamespace(k.ns), sel, client.Limit(1)); err != nil {
			return false, fmt.Errorf("listing %ss: %w", gvk.Kind, err)
		}
		if len(list.Items) > 0 {
			return true, nil
		}
	}
	return false, nil
}
