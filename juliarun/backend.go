package juliarun

import (
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/juliarun/sdk/jobs"
)

// Backend turns a job into the Kubernetes objects that run it. Render is a
// pure function: no API calls, and the same job gives the same objects
// (secrets generated at render time excepted).
//
// The Client relies on a few things of what a Backend renders: every
// object carries the label juliarun.io/job=<name>; the first object is the
// job's root, whose creation claims the name and which the Client makes the
// owner of the others; and Scale, NWorkers, Status and Update find the
// master and worker workloads by the native backend's kinds and names (see
// docs/OBJECTS.md). A Backend that renders other kinds lists them in a
// method Kinds() []schema.GroupVersionKind, so that Delete removes them too.
type Backend interface {
	// Render returns every object of the job in the order they are created:
	// the root object first, then the objects it owns.
	Render(job jobs.Job, namespace string) ([]client.Object, error)
}
