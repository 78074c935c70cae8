package juliarun

import (
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/juliarun/sdk/jobs"
)

// Backend turns a job into the Kubernetes objects that run it. Render is a
// pure function: no API calls, and the same job gives the same objects
// (secrets generated at render time excepted).
type Backend interface {
	// Render returns every object of the job in the order they are created:
	// the root object first, then the objects it owns.
	Render(job jobs.Job, namespace string) ([]client.Object, error)
}
