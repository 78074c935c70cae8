package juliarun_test

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"testing"

	"github.com/google/go-cmp/cmp"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/juliarun/sdk/jobs"
	"github.com/juliarun/sdk/resources"
)

// TestServicesHaveReadyEndpoints checks what a client of a job's Service
// gets: for every job type with a Service, its EndpointSlices hold ready
// endpoints, one for each pod that serves the job's ports, and every
// endpoint is a pod of that job. (A Webserver's Service once selected no
// pod while its golden files were green.)
func TestServicesHaveReadyEndpoints(t *testing.T) {
	e := newEnv(t, sharedCluster(t))
	ctx := context.Background()
	web := map[string]jobs.Port{"web": {Container: 8080, Service: 80}}
	tests := []struct {
		job     jobs.Job
		serving int // pods behind the Service
	}{
		{jobs.NewBatch("ep-batch", "serve.jl", "work", jobs.WithPorts(web)), 1},
		{jobs.NewParBatch("ep-parbatch", "serve.jl", "work", jobs.WithPorts(web), jobs.WithNWorkers(2)), 1},
		{jobs.NewParBatchWorkers("ep-array", "serve.jl", "work", jobs.WithPorts(web), jobs.WithNWorkers(3)), 3},
		{jobs.NewNotebook("ep-notebook", "work", jobs.WithNWorkers(1)), 1},
		{jobs.NewWebserver("ep-web", "nginx.conf", "work", jobs.WithNWorkers(2)), 2},
		{jobs.NewMessageQ("ep-mq", "rabbitmq.conf", "work", jobs.WithCPU(resources.Cores(0.1)), jobs.WithMemory(resources.MiB(256))), 1},
		{jobs.NewGeneric("ep-generic", "busybox", "work", jobs.WithPorts(web), jobs.WithNWorkers(2)), 2},
	}
	for _, tt := range tests {
		name := tt.job.Spec().Name
		t.Run(name, func(t *testing.T) {
			if err := e.client.Start(ctx, tt.job); err != nil {
				t.Fatal(err)
			}
			var ready, jobPods []string
			eventually(t, fmt.Sprintf("%d ready endpoints of %s", tt.serving, name), func(ctx context.Context) (bool, error) {
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
				return len(ready) == tt.serving, nil
			})
			pods, err := e.cs.CoreV1().Pods(e.ns).List(ctx, metav1.ListOptions{LabelSelector: "juliarun.io/job=" + name})
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range pods.Items {
				jobPods = append(jobPods, p.Name)
			}
			for _, r := range ready {
				if !slices.Contains(jobPods, r) {
					t.Errorf("endpoint %s is not a pod of job %s (its pods: %v)", r, name, jobPods)
				}
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
