// Command parbatch runs the worked example of docs/JULIA.md: a JuliaParBatch
// whose master runs pi.jl (beside this file; copy it to the run volume),
// which calls JuliaRun.init_parallel(), waits for 4 workers and estimates pi
// with pmap on a WorkerPool of the workers that had joined then, so that the
// workers the scale-up adds mid-pmap (without pi.jl's definitions) get no
// work. The program waits for the workers, scales to 8, and cleans up.
//
//	go run ./examples/parbatch [-kubeconfig FILE -namespace NS]
package main

import (
	"context"

	"github.com/juliarun/sdk/examples/internal/exampleenv"
	"github.com/juliarun/sdk/jobs"
	"github.com/juliarun/sdk/juliarun"
	"github.com/juliarun/sdk/resources"
)

func main() { exampleenv.Main("parbatch", []string{"work"}, run) }

func run(ctx context.Context, e *exampleenv.Env) error {
	job := jobs.NewParBatch("pi", "pi.jl", "work",
		jobs.WithNWorkers(4),
		jobs.WithWorkerCPU(resources.Cores(1)),
		jobs.WithWorkerMemory(resources.GiB(1)))
	exampleenv.Step("start %s with %d workers", job.Name, job.NWorkers)
	if err := e.Client.Start(ctx, job); err != nil {
		return err
	}
	defer e.Client.Delete(context.WithoutCancel(ctx), job.Name)
	if _, err := exampleenv.Wait(ctx, e, job.Name, "4 workers", juliarun.AtLeastWorkers(4)); err != nil {
		return err
	}
	exampleenv.Step("scale %s to 8", job.Name)
	if err := e.Client.Scale(ctx, job.Name, 8); err != nil {
		return err
	}
	_, err := exampleenv.Wait(ctx, e, job.Name, "8 workers", juliarun.AtLeastWorkers(8))
	return err
}
