// Command batch runs a JuliaBatch job: one Julia process, report.jl on the
// run volume "work", with 2 cores and 4 GiB, and waits for it to finish.
//
//	go run ./examples/batch [-kubeconfig FILE -namespace NS]
package main

import (
	"context"
	"fmt"

	"github.com/juliarun/sdk/examples/internal/exampleenv"
	"github.com/juliarun/sdk/jobs"
	"github.com/juliarun/sdk/juliarun"
	"github.com/juliarun/sdk/resources"
)

func main() { exampleenv.Main("batch", []string{"work"}, run) }

func run(ctx context.Context, e *exampleenv.Env) error {
	job := jobs.NewBatch("report", "report.jl", "work",
		jobs.WithCPU(resources.Cores(2)), jobs.WithMemory(resources.GiB(4)),
		jobs.WithEnvVars(map[string]string{"JULIA_NUM_THREADS": "2"}))
	exampleenv.Step("start %s", job.Name)
	if err := e.Client.Start(ctx, job); err != nil {
		return err
	}
	defer e.Client.Delete(context.WithoutCancel(ctx), job.Name)
	st, err := exampleenv.Wait(ctx, e, job.Name, "the end", juliarun.Finished())
	if err != nil {
		return err
	}
	if st.Phase != juliarun.PhaseSucceeded {
		return fmt.Errorf("%s %s: %s", job.Name, st.Phase, st.Reason)
	}
	return nil
}
