package juliarun_test

import (
	"context"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"

	"github.com/juliarun/sdk/jobs"
	"github.com/juliarun/sdk/resources"
)

// TestServicesHaveReadyEndpoints checks what a client of a job's Service
// gets: for every job type with a Service, its EndpointSlices hold ready
// endpoints, exactly the job's running pods of the role that serves its
// ports (the master, or the replicas and units). (A Webserver's Service once selected no
// pod while its golden files were green.)
func TestServicesHaveReadyEndpoints(t *testing.T) {
	e := newEnv(t, sharedCluster(t))
	ctx := context.Background()
	web := map[string]jobs.Port{"web": {Container: 8080, Service: 80}}
	tests := []struct {
		job     jobs.Job
		serving string // the role of the pods behind the Service
	}{
		{jobs.NewBatch("ep-batch", "serve.jl", "work", jobs.WithPorts(web)), "master"},
		{jobs.NewParBatch("ep-parbatch", "serve.jl", "work", jobs.WithPorts(web), jobs.WithNWorkers(2)), "master"},
		{jobs.NewParBatchWorkers("ep-array", "serve.jl", "work", jobs.WithPorts(web), jobs.WithNWorkers(3)), "worker"},
		{jobs.NewNotebook("ep-notebook", "work", jobs.WithNWorkers(2)), "master"},
		{jobs.NewWebserver("ep-web", "nginx.conf", "work", jobs.WithNWorkers(2)), "worker"},
		{jobs.NewMessageQ("ep-mq", "rabbitmq.conf", "work", jobs.WithCPU(resources.Cores(0.1)), jobs.WithMemory(resources.MiB(256))), "master"},
		{jobs.NewGeneric("ep-generic", "busybox", "work", jobs.WithPorts(web), jobs.WithNWorkers(2)), "worker"},
	}
	for _, tt := range tests {
		name := tt.job.Spec().Name
		t.Run(name, func(t *testing.T) {
			if err := e.client.Start(ctx, tt.job); err != nil {
				t.Fatal(err)
			}
			// The pods that serve: every running pod of the job in that role.
			var ready, serving []string
			err := wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
				pods, err := e.cs.CoreV1().Pods(e.ns).List(ctx, metav1.ListOptions{
					LabelSelector: "juliarun.io/job=" + name + ",juliarun.io/role=" + tt.serving})
				if err != nil {
					return false, err
				}
				serving = nil
				for _, p := range pods.Items {
					if p.Status.Phase == corev1.PodRunning {
						serving = append(serving, p.Name)
					}
				}
				sort.Strings(serving)
				list, err := e.cs.DiscoveryV1().EndpointSlices(e.ns).List(ctx, metav1.ListOptions{
					LabelSelector: discoveryv1.LabelServiceName + "=" + name})
				if err != nil {
					return false, err
				}
				ready = nil
				for _, s := range list.Items {
					for _, ep := range s.Endpoints {
						if ep.Conditions.Ready != nil && *ep.Conditions.Ready && ep.TargetRef != nil && ep.TargetRef.Kind == "Pod" {
							ready = append(ready, ep.TargetRef.Name)
						}
					}
				}
				sort.Strings(ready)
				return len(serving) > 0 && slices.Equal(ready, serving), nil
			})
			if err != nil {
				t.Fatalf("waiting for the ready endpoints of %s to be its running %s pods: %v (-want +got):\n%s",
					name, tt.serving, err, cmp.Diff(serving, ready))
			}
			ep, err := e.client.Endpoint(ctx, name)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(name+"."+e.ns+".svc", ep.Address); diff != "" {
				t.Errorf("Endpoint address (-want +got):\n%s", diff)
			}
		})
	}
}
