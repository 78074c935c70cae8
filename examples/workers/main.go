// Command workers runs a job array (JuliaParBatchWorkers) as a work queue:
// 8 units of unit.jl (beside this file; copy it to the run volume), each
// taking its share of the items by JuliaRun.unit_index(). Units that fail
// are restarted; the job succeeds when every unit has.
//
//	go run ./examples/workers [-kubeconfig FILE -namespace NS]
package main

import (
	"context"
	"fmt"

	"github.com/juliarun/sdk/examples/internal/exampleenv"
	"github.com/juliarun/sdk/jobs"
	"github.com/juliarun/sdk/juliarun"
)

func main() { exampleenv.Main("workers", []string{"work"}, run) }

func run(ctx context.Context, e *exampleenv.Env) error {
	job := jobs.NewParBatchWorkers("frames", "unit.jl", "work",
		jobs.WithNWorkers(8),
		jobs.WithRestart(jobs.RestartOnFailure),
		jobs.WithEnvVars(map[string]string{"ITEMS_PER_UNIT": "125"}))
	exampleenv.Step("start %s with %d units", job.Name, job.NWorkers)
	if err := e.Client.Start(ctx, job); err != nil {
		return err
	}
	defer e.Client.Delete(context.WithoutCancel(ctx), job.Name)
	st, err := exampleenv.Wait(ctx, e, job.Name, "every unit to finish", juliarun.Finished())
	if err != nil {
		return err
	}
	if st.Phase != juliarun.PhaseSucceeded {
		return fmt.Errorf("%s %s: %s", job.Name, st.Phase, st.Reason)
	}
	return nil
}
