package juliarun_test

import (
	"fmt"
	"slices"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/juliarun/sdk/jobs"
	"github.com/juliarun/sdk/juliarun"
	"github.com/juliarun/sdk/juliarun/juliaruntest"
)

// TestNativeBackendConformance runs the Client's contract against the
// native backend.
func TestNativeBackendConformance(t *testing.T) {
	juliaruntest.TestBackend(t, sharedCluster(t), juliarun.NewNativeBackend())
}

// TestDeploymentWorkersBackendConformance runs the Client's contract
// against a backend that lays jobs out differently from the native one:
// workers the native backend makes a StatefulSet (RestartAlways job
// arrays, notebook workers) are a Deployment here. The Client passes the
// contract with it, so it holds no native knowledge of where workers are.
func TestDeploymentWorkersBackendConformance(t *testing.T) {
	b := deploymentWorkers{juliarun.NewNativeBackend()}
	// It does lay job arrays out another way.
	objs, err := b.Render(jobs.NewParBatchWorkers("units", "unit.jl", "work", jobs.WithNWorkers(2)), "science")
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, o := range objs {
		kinds = append(kinds, fmt.Sprintf("%T", o))
	}
	if !slices.Contains(kinds, "*v1.Deployment") || slices.Contains(kinds, "*v1.StatefulSet") {
		t.Fatalf("the test backend rendered %v, want a Deployment of workers and no StatefulSet", kinds)
	}
	juliaruntest.TestBackend(t, sharedCluster(t), b)
}

// deploymentWorkers renders as the native backend does, but a StatefulSet
// of workers becomes a Deployment of the same pods.
type deploymentWorkers struct{ native juliarun.Backend }

func (b deploymentWorkers) Render(job jobs.Job, namespace string) ([]client.Object, error) {
	objs, err := b.native.Render(job, namespace)
	if err != nil {
		return nil, err
	}
	_, workers := b.native.Layout().Workloads(job.Spec(), namespace)
	for i, o := range objs {
		sts, ok := o.(*appsv1.StatefulSet)
		if !ok || workers == nil || sts.Name != workers.GetName() {
			continue
		}
		d := &appsv1.Deployment{ObjectMeta: sts.ObjectMeta, Spec: appsv1.DeploymentSpec{
			Replicas: sts.Spec.Replicas, Selector: sts.Spec.Selector, Template: sts.Spec.Template}}
		d.SetGroupVersionKind(appsv1.SchemeGroupVersion.WithKind("Deployment"))
		objs[i] = d
	}
	return objs, nil
}

func (b deploymentWorkers) Layout() juliarun.Layout {
	return deploymentWorkersLayout{juliarun.NativeLayout()}
}

// deploymentWorkersLayout is the native layout but for where the workers
// are; the native layout's counts, scale patches, phases and update
// patches read a Deployment as well as a StatefulSet, and it allows the
// same updates.
type deploymentWorkersLayout struct{ juliarun.Layout }

func (l deploymentWorkersLayout) Workloads(s jobs.Spec, namespace string) (master, workers client.Object) {
	master, workers = l.Layout.Workloads(s, namespace)
	if sts, ok := workers.(*appsv1.StatefulSet); ok {
		workers = &appsv1.Deployment{ObjectMeta: sts.ObjectMeta}
	}
	return master, workers
}
