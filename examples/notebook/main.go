// Command notebook starts a Jupyter notebook with Julia kernels, protected by
// a password (stored only as a hash) and reachable from outside the cluster
// (a LoadBalancer Service), with 2 workers its kernels can use through
// JuliaRun.init_parallel(). It prints where to reach it.
//
//	go run ./examples/notebook [-kubeconfig FILE -namespace NS]
package main

import (
	"context"

	"github.com/juliarun/sdk/examples/internal/exampleenv"
	"github.com/juliarun/sdk/jobs"
	"github.com/juliarun/sdk/juliarun"
	"github.com/juliarun/sdk/resources"
)

func main() { exampleenv.Main("notebook", []string{"work"}, run) }

func run(ctx context.Context, e *exampleenv.Env) error {
	job := jobs.NewNotebook("explore", "work",
		jobs.WithPassword("correct horse battery staple"),
		jobs.WithExternal(true),
		jobs.WithMemory(resources.GiB(2)),
		jobs.WithNWorkers(2))
	exampleenv.Step("start %s", job.Name)
	if err := e.Client.Start(ctx, job); err != nil {
		return err
	}
	defer e.Client.Delete(context.WithoutCancel(ctx), job.Name)
	if _, err := exampleenv.Wait(ctx, e, job.Name, "the notebook and its workers", func(s *juliarun.Status) bool {
		return s.Phase == juliarun.PhaseRunning && s.Running == 2
	}); err != nil {
		return err
	}
	ep, err := e.Client.Endpoint(ctx, job.Name)
	if err != nil {
		return err
	}
	exampleenv.Step("notebook at http://%s:%d (cluster IP %s)", ep.Address, ep.Ports["nb"], ep.ClusterIP)
	return nil
}
