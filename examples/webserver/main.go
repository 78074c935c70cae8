// Command webserver serves a job's output: a JuliaBatch job writes to the
// claim "results", and a Webserver (nginx, 2 replicas) mounts the same claim
// at /mnt/results and serves it with nginx.conf (beside this file; copy it
// to the web server's run volume).
//
//	go run ./examples/webserver [-kubeconfig FILE -namespace NS]
package main

import (
	"context"

	"github.com/juliarun/sdk/examples/internal/exampleenv"
	"github.com/juliarun/sdk/jobs"
	"github.com/juliarun/sdk/juliarun"
)

func main() { exampleenv.Main("webserver", []string{"work", "web", "results"}, run) }

func run(ctx context.Context, e *exampleenv.Env) error {
	producer := jobs.NewBatch("simulate", "simulate.jl", "work", jobs.WithAdditionalVolumes("results"))
	server := jobs.NewWebserver("results", "nginx.conf", "web",
		jobs.WithAdditionalVolumes("results"), jobs.WithNWorkers(2),
		jobs.WithPorts(map[string]jobs.Port{"http": {Container: 8080, Service: 80}}))
	for _, job := range []jobs.Job{producer, server} {
		exampleenv.Step("start %s (%s)", job.Spec().Name, job.Type())
		if err := e.Client.Start(ctx, job); err != nil {
			return err
		}
		defer e.Client.Delete(context.WithoutCancel(ctx), job.Spec().Name)
	}
	if _, err := exampleenv.Wait(ctx, e, server.Name, "2 replicas", juliarun.AtLeastWorkers(2)); err != nil {
		return err
	}
	ep, err := e.Client.Endpoint(ctx, server.Name)
	if err != nil {
		return err
	}
	exampleenv.Step("results served at http://%s:%d/", ep.Address, ep.Ports["http"])
	_, err = exampleenv.Wait(ctx, e, producer.Name, "the simulation to finish", juliarun.Finished())
	return err
}
