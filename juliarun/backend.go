package juliarun

import (
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/juliarun/sdk/jobs"
)

// Backend turns a job into the Kubernetes objects that run it, and tells
// the Client how it laid them out. Render is a pure function: no API
// calls, and the same job gives the same objects (secrets generated at
// render time excepted).
//
// The Client relies on this of what a Backend renders: every object
// carries the label juliarun.io/job=<name>; the first object is the job's
// root (Layout.Root), whose creation claims the name and which the Client
// makes the owner of the others. Everything else it learns from Layout.
// docs/BACKENDS.md says how to write one; juliaruntest.TestBackend runs the
// Client's contract against it.
type Backend interface {
	// Render returns every object of the job in the order they are created:
	// the root object first, then the objects it owns.
	Render(job jobs.Job, namespace string) ([]client.Object, error)
	// Layout returns how this backend lays jobs out.
	Layout() Layout
}
