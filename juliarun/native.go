package juliarun

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io"

	"k8s.io/apimachinery/pkg/util/validation"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"github.com/juliarun/sdk/internal/input"
	"github.com/juliarun/sdk/internal/render"
	"github.com/juliarun/sdk/jobs"
)

// BackendOption configures the native backend.
type BackendOption interface {
	applyBackend(*nativeBackend)
}

type backendOptionFunc func(*nativeBackend)

func (f backendOptionFunc) applyBackend(b *nativeBackend) { f(b) }

// WithRandomSource sets where the native backend draws each job's cluster
// cookie and password salt from. Default: crypto/rand. A fixed source makes
// rendering fully deterministic, for reviews and golden files; never use
// one for jobs that run.
func WithRandomSource(r io.Reader) BackendOption {
	return backendOptionFunc(func(b *nativeBackend) { b.rand = r })
}

// nativeBackend renders jobs with core workload APIs only (Job,
// StatefulSet, Deployment, Service, ConfigMap, Secret, NetworkPolicy).
type nativeBackend struct {
	rand io.Reader
}

// NewNativeBackend returns the default Backend: each job becomes core
// Kubernetes objects (see docs/OBJECTS.md), every pod admissible under Pod
// Security "restricted", and every object owned by the job's root
// ConfigMap.
func NewNativeBackend(opts ...BackendOption) Backend {
	b := &nativeBackend{rand: rand.Reader}
	for _, o := range opts {
		if o != nil {
			o.applyBackend(b)
		}
	}
	return b
}

// Layout returns the native layout (docs/OBJECTS.md).
func (b *nativeBackend) Layout() Layout { return nativeLayout{} }

// Render validates job and returns its objects in creation order. Two
// renders of one job differ only in the Secret's data: the cookie, the run
// ID and the password hash's salt (unless WithRandomSource fixes them).
func (b *nativeBackend) Render(job jobs.Job, namespace string) ([]client.Object, error) {
	if input.IsNil(job) {
		return nil, fmt.Errorf("render: %w: job is nil", jobs.ErrInvalid)
	}
	if msgs := validation.IsDNS1123Label(namespace); len(msgs) > 0 {
		return nil, fmt.Errorf("render: namespace %q: %s", namespace, msgs[0])
	}
	if err := job.Validate(); err != nil {
		return nil, fmt.Errorf("render: %w", err)
	}
	return render.Render(job.Spec(), namespace, b.rand)
}

// Manifest returns job rendered by backend as a multi-document YAML stream,
// for review or for kubectl apply and GitOps tools. It leaves out the owner
// references to the root ConfigMap, which need the UID the API server
// assigns to it; every object still carries the label juliarun.io/job, so
// `kubectl delete all,configmap,secret,networkpolicy -l juliarun.io/job=<name>`
// (or Client.Delete) removes the job. For the same reason a TTL
// (jobs.WithTTLAfterFinished) of an applied manifest removes only the master
// Job, not the rest of the job, which Start makes the Job's dependents.
func Manifest(backend Backend, job jobs.Job, namespace string) ([]byte, error) {
	if backend == nil {
		return nil, errors.New("manifest: backend is nil")
	}
	objs, err := backend.Render(job, namespace)
	if err != nil {
		return nil, err
	}
	var out []byte
	for i, o := range objs {
		o.SetOwnerReferences(nil)
		y, err := yaml.Marshal(o)
		if err != nil {
			return nil, fmt.Errorf("manifest: %w", err)
		}
		if i > 0 {
			out = append(out, "---\n"...)
		}
		out = append(out, y...)
	}
	return out, nil
}
