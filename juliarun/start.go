package juliarun

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/go-logr/logr"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/juliarun/sdk/internal/input"
	"github.com/juliarun/sdk/internal/labels"
	"github.com/juliarun/sdk/jobs"
)

// Start renders the job and creates its objects: first the root, whose
// creation claims the name atomically (ErrAlreadyExists when taken, also
// when two Starts race), then the rest, each owned by the root. Creations
// that fail for a passing reason (an overloaded or restarting API server, a
// broken connection) are repeated. If a creation fails for good, or ctx
// ends, Start removes what it created and returns the error, so a retry
// starts clean; it never removes an object it did not create. An invalid
// job creates nothing.
func (k *kubeClient) Start(ctx context.Context, job jobs.Job, opts ...StartOption) error {
	if input.IsNil(job) {
		return fmt.Errorf("start: %w: job is nil", jobs.ErrInvalid)
	}
	name := job.Spec().Name
	log := k.logger(ctx, name).WithValues("type", job.Type())
	objs, err := k.backend.Render(job, k.ns)
	if err != nil {
		return fmt.Errorf("start %s: %w", name, err)
	}
	for _, w := range jobs.Warnings(job) {
		log.Info("pods would be refused where Pod Security restricted is enforced", "setting", w)
	}
	if len(objs) == 0 {
		return fmt.Errorf("start %s: backend rendered no objects", name)
	}
	root := objs[0]
	if root.GetLabels()[labels.Job] != name {
		return fmt.Errorf("start %s: the backend's first object %s lacks the label %s=%s", name, root.GetName(), labels.Job, name)
	}
	rootKind, err := k.c.GroupVersionKindFor(root)
	if err != nil {
		return fmt.Errorf("start %s: the root's kind: %w", name, err)
	}
	if startOptionsOf(opts).dryRun {
		return k.dryRun(ctx, name, objs, rootKind)
	}
	// The token tells the objects this Start made from others of the same
	// names, when the answer to a creation was lost.
	token := rand.Text()
	for _, o := range objs {
		l := maps.Clone(o.GetLabels())
		if l == nil {
			l = map[string]string{}
		}
		l[labels.StartID] = token
		o.SetLabels(l)
	}
	if err := k.create(ctx, root, token); err != nil {
		if apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("start %s: %w: %w", name, ErrAlreadyExists, err)
		}
		// The root may exist all the same if the answer was lost.
		return k.abort(ctx, log, fmt.Errorf("start %s: creating %s: %w", name, k.describe(root), err), objs[:1], token)
	}
	log.V(1).Info("job claimed")
	var rootOwner client.Object
	for i, o := range objs[1:] {
		if !ownByRoot(o, root, rootKind) {
			rootOwner = o
		}
		if err := k.create(ctx, o, token); err != nil {
			return k.abort(ctx, log, fmt.Errorf("start %s: creating %s: %w", name, k.describe(o), err), objs[:i+2], token)
		}
	}
	if rootOwner != nil {
		if err := k.makeRootOwned(ctx, root, rootOwner); err != nil {
			return k.abort(ctx, log, fmt.Errorf("start %s: making %s the owner of %s: %w", name, k.describe(rootOwner), k.describe(root), err), objs, token)
		}
	}
	log.V(1).Info("job started", "objects", len(objs))
	return nil
}

// ownsRoot reports whether the backend rendered o to own the root rather
// than be owned by it (labels.OwnsRoot): a finished Job the cluster removes
// after its TTL, taking the whole job with it.
func ownsRoot(o client.Object) bool { return o.GetAnnotations()[labels.OwnsRoot] == "true" }

// ownByRoot makes root the owner of o, unless o is to own the root
// (ownsRoot); it reports whether it did.
func ownByRoot(o, root client.Object, rootKind schema.GroupVersionKind) bool {
	if ownsRoot(o) {
		return false
	}
	o.SetOwnerReferences(append(o.GetOwnerReferences(), ownedBy(root, rootKind)))
	return true
}

// makeRootOwned makes the root a dependent of owner, once owner exists, so
// that the garbage collector removes the root, and with it every other
// object of the job, when owner goes. It updates the root (which the Role
// already lets the client do for Update) rather than patching it.
func (k *kubeClient) makeRootOwned(ctx context.Context, root, owner client.Object) error {
	kind, err := k.c.GroupVersionKindFor(owner)
	if err != nil {
		return err
	}
	ref := ownedBy(owner, kind)
	first := true
	return retry.OnError(retry.DefaultBackoff, func(err error) bool { return transient(err) || apierrors.IsConflict(err) }, func() error {
		if !first { // the root changed since it was created: read it again
			if err := k.c.Get(ctx, client.ObjectKeyFromObject(root), root); err != nil {
				return err
			}
		}
		first = false
		root.SetOwnerReferences([]metav1.OwnerReference{ref})
		return k.c.Update(ctx, root)
	})
}

// create creates o, repeating the creation while it fails for a passing
// reason. A repeat can find o already there, made by an earlier attempt
// whose answer was lost: when it carries this Start's token, o takes its
// UID and create succeeds; otherwise the error says who holds the name and
// matches apierrors.IsAlreadyExists.
func (k *kubeClient) create(ctx context.Context, o client.Object, token string) error {
	var b *backoff
	for {
		err := k.c.Create(ctx, o)
		if err == nil {
			return nil
		}
		if apierrors.IsAlreadyExists(err) {
			return k.claimExisting(ctx, o, token, err)
		}
		if !transient(err) {
			return err
		}
		if b == nil {
			b = newBackoff()
		}
		if !b.wait(ctx) {
			return err
		}
		k.logger(ctx, o.GetLabels()[labels.Job]).V(2).Info("creation retried", "object", k.describe(o))
	}
}

// claimExisting looks at the object that made o's creation fail with
// exists: if it carries token, it is o, made by an attempt whose answer was
// lost. It reads the object's metadata with a list, so that Start needs no
// right to get the kinds it only creates.
func (k *kubeClient) claimExisting(ctx context.Context, o client.Object, token string, exists error) error {
	gvk, err := k.c.GroupVersionKindFor(o)
	if err != nil {
		return errors.Join(exists, err)
	}
	list := &metav1.PartialObjectMetadataList{}
	list.SetGroupVersionKind(gvk.GroupVersion().WithKind(gvk.Kind + "List"))
	if err := k.c.List(ctx, list, client.InNamespace(o.GetNamespace()),
		client.MatchingFields{"metadata.name": o.GetName()}); err != nil {
		return fmt.Errorf("%w (and reading it: %w)", exists, err)
	}
	if len(list.Items) == 0 {
		return exists // deleted since
	}
	found := list.Items[0]
	if found.Labels[labels.StartID] == token {
		o.SetUID(found.UID)
		o.SetResourceVersion(found.ResourceVersion)
		return nil
	}
	holder := "an object not made by juliarun"
	if j := found.Labels[labels.Job]; j != "" {
		holder = "job " + j
	}
	return fmt.Errorf("%s belongs to %s: %w", k.describe(o), holder, exists)
}

// cleanupTimeout bounds how long a failed Start spends removing what it
// created.
const cleanupTimeout = time.Minute

// abort removes whatever this Start created among objs (those with its
// token), newest kinds first, with one delete-collection per kind, and
// returns cause joined with anything that prevented it. The last object of
// objs is one whose creation failed or went unanswered: it is removed only
// if it exists with the token. abort runs even when ctx is done, so a
// cancelled Start leaves nothing behind.
func (k *kubeClient) abort(ctx context.Context, log logr.Logger, cause error, objs []client.Object, token string) error {
	log.V(1).Info("job start failed, removing what was created", "objects", len(objs))
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
	defer cancel()
	sel := client.MatchingLabels{labels.Job: objs[0].GetLabels()[labels.Job], labels.StartID: token}
	var kinds []schema.GroupVersionKind
	for i := len(objs) - 1; i >= 0; i-- {
		gvk, err := k.c.GroupVersionKindFor(objs[i])
		if err != nil {
			return errors.Join(cause, err)
		}
		if !slices.Contains(kinds, gvk) {
			kinds = append(kinds, gvk)
		}
	}
	var errs []error
	for _, gvk := range kinds {
		if err := k.deleteAll(ctx, gvk, sel); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return errors.Join(cause, fmt.Errorf("cleaning up (Delete removes what is left): %w", errors.Join(errs...)))
	}
	return cause
}

// dryRun sends every object to the API server as a server-side dry run,
// owned by the root as a real Start would make them, and reports every
// object the server refuses.
func (k *kubeClient) dryRun(ctx context.Context, name string, objs []client.Object, rootKind schema.GroupVersionKind) error {
	root := objs[0]
	if err := k.c.Create(ctx, root, client.DryRunAll); err != nil {
		if apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("start %s (dry run): %w: %w", name, ErrAlreadyExists, err)
		}
		return fmt.Errorf("start %s (dry run): %s: %w", name, k.describe(root), err)
	}
	// The server gives a dry-run object a UID that is never stored.
	var errs []error
	for _, o := range objs[1:] {
		ownByRoot(o, root, rootKind)
		if err := k.c.Create(ctx, o, client.DryRunAll); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", k.describe(o), err))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("start %s (dry run): %w", name, err)
	}
	k.logger(ctx, name).V(1).Info("job start dry-run accepted", "objects", len(objs))
	return nil
}

// ownedBy is the owner reference to the root, of kind kind, once the API
// server has given it a UID.
func ownedBy(root client.Object, kind schema.GroupVersionKind) metav1.OwnerReference {
	return metav1.OwnerReference{APIVersion: kind.GroupVersion().String(), Kind: kind.Kind, Name: root.GetName(), UID: root.GetUID()}
}
