package juliarun

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"slices"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	k8slabels "k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/watch"
	watchtools "k8s.io/client-go/tools/watch"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/juliarun/sdk/internal/input"
	"github.com/juliarun/sdk/internal/labels"
)

// deletePollInterval is how often Delete looks again for objects held by a
// finalizer of someone else's (a load balancer's Service) where it has no
// right to watch their kind: rare.
const deletePollInterval = 100 * time.Millisecond

var podKind = corev1.SchemeGroupVersion.WithKind("Pod")

// Delete removes every object labelled with the job's name and waits until
// none is left or ctx ends (unless WithWait(false)). It returns ErrNotFound
// when the job has no object at all.
//
// It deletes each kind the Layout lists with one delete-collection by the
// label juliarun.io/job. Where the job has pods that a controller made,
// the cluster runs controllers, and so a garbage collector: Delete then
// leaves the pods (and the ReplicaSets and ControllerRevisions,
// Layout.ControllerKinds) to it, deletes the workloads in the foreground,
// so that each goes only once its pods have, and waits for the workloads
// alone, with a watch of their metadata: what it reads does not grow with
// the number of workers. Elsewhere (an API server alone, where nothing
// makes pods) it deletes every kind itself, pods last. It waits with
// watches, not by polling, for whatever the deletions left (objects held
// by a finalizer, pods in their grace period), read from the answers to
// the deletions.
func (k *kubeClient) Delete(ctx context.Context, name string, opts ...DeleteOption) error {
	if err := input.CheckName(name); err != nil {
		return fmt.Errorf("delete: %w", err)
	}
	sel := client.MatchingLabels{labels.Job: name}
	root := k.layout.Root(name, k.ns)
	rootKind, err := k.c.GroupVersionKindFor(root)
	if err != nil {
		return fmt.Errorf("delete %s: %w", name, err)
	}
	// At once: the record, which says which kinds are the workloads (a job
	// whose root is gone, deleted partly, or whose record this SDK cannot
	// read, is deleted all the same, by label), and one pod's metadata,
	// which says whether a controller made the job's pods.
	var byController *metav1.OwnerReference
	var podsErr error
	var reads sync.WaitGroup
	reads.Go(func() { byController, podsErr = k.controllerMadePods(ctx, sel) })
	rootErr := k.c.Get(ctx, client.ObjectKeyFromObject(root), root)
	reads.Wait()
	if rootErr != nil && !apierrors.IsNotFound(rootErr) {
		return fmt.Errorf("delete %s: %w", name, rootErr)
	}
	if podsErr != nil {
		return fmt.Errorf("delete %s: %w", name, podsErr)
	}
	var workloads []schema.GroupVersionKind
	if rootErr == nil {
		if s, err := k.layout.Record(root); err == nil {
			kinds, err := k.kindsOf(k.layout.Workloads(s, k.ns))
			if err != nil {
				return fmt.Errorf("delete %s: %w", name, err)
			}
			workloads = kinds.order
		}
	}
	plan, check := k.deletionPlan(rootKind, workloads, byController)
	// Once workloads deleted in the foreground are gone, so are their pods:
	// then a look at the API server's cache suffices.
	afterForeground := len(plan) > 0 && len(plan[0]) > 0 && plan[0][0].awaited
	wait := deleteOptionsOf(opts).wait
	// What a step leaves (the workloads deleted in the foreground, above
	// all) is waited for while the next steps run.
	waitCtx, stopWaits := context.WithCancel(ctx)
	defer stopWaits()
	var waits sync.WaitGroup
	var mu sync.Mutex
	var waitErrs []error
	found := rootErr == nil || byController != nil
	for _, step := range plan {
		done, err := k.deleteKinds(ctx, step, sel)
		if err != nil {
			return fmt.Errorf("delete %s: %w", name, err)
		}
		for _, d := range done {
			found = found || d.found
			if !wait || len(d.left) == 0 {
				continue
			}
			waits.Go(func() {
				if err := k.waitGone(waitCtx, d, sel, workloads); err != nil {
					mu.Lock()
					waitErrs = append(waitErrs, err)
					mu.Unlock()
				}
			})
		}
	}
	if !found {
		return fmt.Errorf("delete %s in namespace %s: %w", name, k.ns, ErrNotFound)
	}
	log := k.logger(ctx, name)
	log.V(1).Info("job deleting", "foreground", afterForeground)
	if !wait {
		return nil
	}
	waits.Wait()
	if err := errors.Join(waitErrs...); err != nil {
		return fmt.Errorf("delete %s: waiting for its objects to go: %w", name, err)
	}
	// Last, Delete looks for pods (and, where the garbage collector runs,
	// what of the root's kind it was left to remove), which in the usual
	// case the collector or the steps left none of: a bare pod of the job
	// (not a workload's), a pod whose workload went without it (orphaned),
	// or one a controller made just as its workload went, is deleted and
	// waited for too.
	for {
		there, err := k.anyLeft(ctx, check, sel, afterForeground)
		if err != nil {
			return fmt.Errorf("delete %s: %w", name, err)
		}
		if len(there) == 0 {
			break
		}
		step := deletionStep{}
		for _, gvk := range there {
			step = append(step, kindDeletion{gvk: gvk, policy: metav1.DeletePropagationBackground})
		}
		again, err := k.deleteKinds(ctx, step, sel)
		if err != nil {
			return fmt.Errorf("delete %s: %w", name, err)
		}
		if !slices.ContainsFunc(again, func(d deletion) bool { return d.found }) {
			break // gone since: the look was at the cache
		}
		for _, d := range again {
			if err := k.waitGone(ctx, d, sel, workloads); err != nil {
				return fmt.Errorf("delete %s: waiting for its objects to go: %w", name, err)
			}
		}
	}
	log.V(1).Info("job deleted")
	return nil
}

// controllerMadePods reads the metadata of one pod of the job: the
// controller that owns it (a workload controller, which runs beside the
// garbage collector), nil when the job has no pod or only pods of its
// own.
func (k *kubeClient) controllerMadePods(ctx context.Context, sel client.MatchingLabels) (*metav1.OwnerReference, error) {
	list := metadataList(podKind)
	if err := k.c.List(ctx, list, client.InNamespace(k.ns), sel, client.Limit(1)); err != nil {
		return nil, fmt.Errorf("listing pods: %w", err)
	}
	for _, p := range list.Items {
		if ref := metav1.GetControllerOfNoCopy(&p); ref != nil {
			return ref, nil
		}
	}
	return nil, nil
}

// kindDeletion is the deletion of every object of one kind that matches
// the job's label, with a propagation policy.
type kindDeletion struct {
	gvk    schema.GroupVersionKind
	policy metav1.DeletionPropagation
	// rootOnly: of this kind, the root's, delete the root alone; the other
	// objects of the kind are the root's, left to the garbage collector.
	rootOnly bool
	// awaited: the objects stay until their dependents are gone, and
	// Delete waits for them (a workload deleted in the foreground).
	awaited bool
	// ownersWait: the objects' owners, deleted in the foreground, go only
	// after them, so Delete does not wait for them itself.
	ownersWait bool
}

// deletionStep is deletions made at once.
type deletionStep []kindDeletion

// deletionPlan returns the steps of Delete, which delete every kind but
// pods, and the kinds it then looks at, to delete what is still there:
// pods, which the garbage collector or nobody has made, always. Where a controller made the job's pods (byController), the
// garbage collector runs: the workloads are deleted in the foreground
// first (each goes once its pods have); then the other kinds at once: the
// controllers' kinds (Layout.ControllerKinds) in the foreground too, so
// that a ReplicaSet goes only after its pods and its Deployment after it;
// of the root's kind the root alone (the other objects of its kind are the
// root's; with the native layout, the scripts of a job, most of what a
// deletion's answer would carry), so the root's kind is looked at again.
// Elsewhere every kind is deleted, one after the other, in the Layout's
// order, so that no controller makes a new object of a kind already
// deleted.
func (k *kubeClient) deletionPlan(rootKind schema.GroupVersionKind, workloads []schema.GroupVersionKind,
	byController *metav1.OwnerReference) (steps []deletionStep, check []schema.GroupVersionKind) {
	kinds := k.layout.Kinds()
	background, foreground := metav1.DeletePropagationBackground, metav1.DeletePropagationForeground
	if byController == nil || len(workloads) == 0 {
		for _, gvk := range kinds {
			if gvk != podKind {
				steps = append(steps, deletionStep{{gvk: gvk, policy: background}})
			}
		}
		return steps, []schema.GroupVersionKind{podKind}
	}
	first := deletionStep{}
	for _, gvk := range workloads {
		first = append(first, kindDeletion{gvk: gvk, policy: foreground, awaited: true})
	}
	rest := deletionStep{}
	controllers := k.layout.ControllerKinds()
	for _, gvk := range kinds {
		switch {
		case slices.Contains(workloads, gvk) || gvk == podKind:
		case slices.Contains(controllers, gvk):
			rest = append(rest, kindDeletion{gvk: gvk, policy: foreground, ownersWait: true})
		default:
			rest = append(rest, kindDeletion{gvk: gvk, policy: background, rootOnly: gvk == rootKind})
		}
	}
	return []deletionStep{first, rest}, []schema.GroupVersionKind{rootKind, podKind}
}

// deletion is what one delete-collection did: whether it found anything,
// and the names of the objects that will stay a while (held by a
// finalizer, a pod in its grace period, a workload deleted in the
// foreground), with the resourceVersion to watch them go from.
type deletion struct {
	gvk             schema.GroupVersionKind
	found           bool
	left            []string
	resourceVersion string
}

// deleteKinds makes step's deletions concurrently, with one
// delete-collection each.
func (k *kubeClient) deleteKinds(ctx context.Context, step deletionStep, sel client.MatchingLabels) ([]deletion, error) {
	out := make([]deletion, len(step))
	errs := make([]error, len(step))
	var wg sync.WaitGroup
	for i, kd := range step {
		sel := sel
		if kd.rootOnly {
			sel = client.MatchingLabels{labels.Job: sel[labels.Job], labels.Role: labels.RoleRoot}
		}
		wg.Go(func() { out[i], errs[i] = k.deleteCollection(ctx, kd, sel) })
	}
	wg.Wait()
	return out, errors.Join(errs...)
}

// deleteCollection deletes every object of kd's kind that matches sel with
// one request, and says from its answer (the objects as they were before)
// which will stay a while to be waited for: those with finalizers, and all
// of them for pods (their grace period) and awaited kinds (deleted in the
// foreground). Kinds the API server cannot delete as a collection
// (Services before Kubernetes 1.31) are deleted one by one.
func (k *kubeClient) deleteCollection(ctx context.Context, kd kindDeletion, sel client.MatchingLabels) (deletion, error) {
	gvk, policy := kd.gvk, kd.policy
	d := deletion{gvk: gvk}
	mapping, err := k.c.RESTMapper().RESTMapping(gvk.GroupKind(), gvk.Version)
	if meta.IsNoMatchError(err) {
		return d, nil // a kind this API server does not serve: none of it
	}
	if err != nil {
		return d, err
	}
	body, err := json.Marshal(&metav1.DeleteOptions{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "DeleteOptions"},
		PropagationPolicy: &policy})
	if err != nil {
		return d, err
	}
	res := k.raw.Delete().AbsPath(collectionPath(mapping, k.ns)).
		Param("labelSelector", k8slabels.SelectorFromSet(k8slabels.Set(sel)).String()).
		SetHeader("Content-Type", "application/json").Body(body).Do(ctx)
	err = res.Error() // the API server's Status, where it sent one
	if apierrors.IsMethodNotSupported(err) {
		return k.deleteOneByOne(ctx, gvk, policy, sel)
	}
	if apierrors.IsNotFound(err) {
		return d, nil
	}
	if err != nil {
		return d, fmt.Errorf("deleting %s: %w", mapping.Resource.Resource, err)
	}
	raw, _ := res.Raw()
	var deleted metav1.PartialObjectMetadataList
	if err := json.Unmarshal(raw, &deleted); err != nil {
		return d, fmt.Errorf("deleting %s: reading the answer: %w", mapping.Resource.Resource, err)
	}
	d.found, d.resourceVersion = len(deleted.Items) > 0, deleted.ResourceVersion
	for _, o := range deleted.Items {
		if !kd.ownersWait && (len(o.Finalizers) > 0 || gvk == podKind || kd.awaited) {
			d.left = append(d.left, o.Name)
		}
	}
	return d, nil
}

// deleteOneByOne deletes the objects of kind gvk that match sel one by
// one, for kinds without delete-collection.
func (k *kubeClient) deleteOneByOne(ctx context.Context, gvk schema.GroupVersionKind, policy metav1.DeletionPropagation,
	sel client.MatchingLabels) (deletion, error) {
	d := deletion{gvk: gvk}
	list := metadataList(gvk)
	if err := k.c.List(ctx, list, client.InNamespace(k.ns), sel); err != nil {
		return d, fmt.Errorf("listing %ss: %w", gvk.Kind, err)
	}
	d.found, d.resourceVersion = len(list.Items) > 0, list.ResourceVersion
	var errs []error
	for i := range list.Items {
		o := &list.Items[i]
		if err := k.c.Delete(ctx, o, client.PropagationPolicy(policy)); err != nil && !apierrors.IsNotFound(err) {
			errs = append(errs, fmt.Errorf("deleting %s %s: %w", gvk.Kind, o.GetName(), err))
		}
		d.left = append(d.left, o.Name) // watched until gone: cheap for a few
	}
	return d, errors.Join(errs...)
}

// collectionPath is the API path of a kind's objects in namespace ns.
func collectionPath(m *meta.RESTMapping, ns string) string {
	base := "/apis/" + m.Resource.Group + "/" + m.Resource.Version
	if m.Resource.Group == "" {
		base = "/api/" + m.Resource.Version
	}
	if m.Scope.Name() == meta.RESTScopeNameNamespace {
		return path.Join(base, "namespaces", ns, m.Resource.Resource)
	}
	return path.Join(base, m.Resource.Resource)
}

// anyLeft returns the kinds, among kinds, that still have an object
// matching sel, reading at most one object's metadata of each, at once;
// from the API server's cache where cached is true.
func (k *kubeClient) anyLeft(ctx context.Context, kinds []schema.GroupVersionKind, sel client.MatchingLabels, cached bool) ([]schema.GroupVersionKind, error) {
	found := make([]bool, len(kinds))
	errs := make([]error, len(kinds))
	var wg sync.WaitGroup
	for i, gvk := range kinds {
		wg.Go(func() {
			list := metadataList(gvk)
			opts := []client.ListOption{client.InNamespace(k.ns), sel, client.Limit(1)}
			if cached {
				// resourceVersion "0": no wait until the cache has caught
				// up with the latest writes (tens of milliseconds); at worst
				// an object just deleted is seen, and deleted again.
				opts = append(opts, &client.ListOptions{Raw: &metav1.ListOptions{ResourceVersion: "0"}})
			}
			if errs[i] = k.c.List(ctx, list, opts...); errs[i] == nil {
				found[i] = len(list.Items) > 0
			}
		})
	}
	wg.Wait()
	var out []schema.GroupVersionKind
	for i, gvk := range kinds {
		if found[i] {
			out = append(out, gvk)
		}
	}
	return out, errors.Join(errs...)
}

// waitGone waits until every object the deletion d left is gone: with a
// watch of their metadata, from the resourceVersion of the deletion, for
// the workloads and pods (the kinds the Client may watch), and by looking
// again every deletePollInterval for the rare others.
func (k *kubeClient) waitGone(ctx context.Context, d deletion, sel client.MatchingLabels, workloads []schema.GroupVersionKind) error {
	if len(d.left) == 0 {
		return nil
	}
	if d.gvk == podKind || slices.Contains(workloads, d.gvk) {
		return k.watchGone(ctx, d, sel)
	}
	return k.pollGone(ctx, d, sel)
}

// watchGone watches the metadata of d's kind, from d's resourceVersion
// (with client-go's RetryWatcher, which resumes a closed watch), until
// every object d left has been deleted. When that resourceVersion is too
// old, it lists what is left and watches from there.
func (k *kubeClient) watchGone(ctx context.Context, d deletion, sel client.MatchingLabels) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	left := map[string]bool{}
	for _, n := range d.left {
		left[n] = true
	}
	rv := d.resourceVersion
	for len(left) > 0 {
		if rv == "" || rv == "0" {
			var err error
			if rv, err = k.stillThere(ctx, d.gvk, sel, left); err != nil {
				return err
			}
			continue
		}
		rw, err := watchtools.NewRetryWatcherWithContext(ctx, rv, watcherFunc(func(ctx context.Context, o metav1.ListOptions) (watch.Interface, error) {
			return k.c.Watch(ctx, metadataList(d.gvk), client.InNamespace(k.ns), sel, &client.ListOptions{Raw: &o})
		}))
		if err != nil {
			return err
		}
		rv = ""
		for ev := range rw.ResultChan() {
			if ev.Type == watch.Error {
				err := apierrors.FromObject(ev.Object)
				if apierrors.IsGone(err) || apierrors.IsResourceExpired(err) {
					continue // listed again below; the RetryWatcher stops after it
				}
				rw.Stop()
				return err
			}
			if o, ok := ev.Object.(client.Object); ok && ev.Type == watch.Deleted {
				delete(left, o.GetName())
				if len(left) == 0 {
					break
				}
			}
		}
		rw.Stop()
		if err := ctx.Err(); err != nil {
			return err
		}
	}
	return nil
}

// stillThere keeps in left the names of the objects of kind gvk that
// match sel and still exist, and returns the list's resourceVersion.
func (k *kubeClient) stillThere(ctx context.Context, gvk schema.GroupVersionKind, sel client.MatchingLabels, left map[string]bool) (string, error) {
	list := metadataList(gvk)
	err := retry.OnError(relistBackoff(), transient, func() error { return k.c.List(ctx, list, client.InNamespace(k.ns), sel) })
	if err != nil {
		return "", fmt.Errorf("listing %ss: %w", gvk.Kind, err)
	}
	there := map[string]bool{}
	for _, o := range list.Items {
		there[o.Name] = true
	}
	for n := range left {
		if !there[n] {
			delete(left, n)
		}
	}
	return list.ResourceVersion, nil
}

// pollGone looks every deletePollInterval until none of the objects d left
// exists.
func (k *kubeClient) pollGone(ctx context.Context, d deletion, sel client.MatchingLabels) error {
	left := map[string]bool{}
	for _, n := range d.left {
		left[n] = true
	}
	for {
		if _, err := k.stillThere(ctx, d.gvk, sel, left); err != nil || len(left) == 0 {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(deletePollInterval):
		}
	}
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
	_, err = k.deleteOneByOne(ctx, gvk, metav1.DeletePropagationBackground, sel)
	return err
}

func metadataList(gvk schema.GroupVersionKind) *metav1.PartialObjectMetadataList {
	list := &metav1.PartialObjectMetadataList{}
	list.SetGroupVersionKind(gvk.GroupVersion().WithKind(gvk.Kind + "List"))
	return list
}
