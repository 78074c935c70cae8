// Command generic runs a container from any image: a Generic job of 2
// replicas of busybox with its own command, scaled to 3.
//
//	go run ./examples/generic [-kubeconfig FILE -namespace NS]
package main

import (
	"context"

	"github.com/juliarun/sdk/examples/internal/exampleenv"
	"github.com/juliarun/sdk/jobs"
	"github.com/juliarun/sdk/juliarun"
)

func main() { exampleenv.Main("generic", []string{"work"}, run) }

func run(ctx context.Context, e *exampleenv.Env) error {
	job := jobs.NewGeneric("ticker", "busybox:1.37", "work",
		jobs.WithCommand("sh", "-c"),
		jobs.WithArgs(`while true; do date >> "$JRUN_DIR/ticks.txt"; sleep 60; done`),
		jobs.WithNWorkers(2))
	exampleenv.Step("start %s", job.Name)
	if err := e.Client.Start(ctx, job); err != nil {
		return err
	}
	defer e.Client.Delete(context.WithoutCancel(ctx), job.Name)
	if _, err := exampleenv.Wait(ctx, e, job.Name, "2 replicas", juliarun.AtLeastWorkers(2)); err != nil {
		return err
	}
	exampleenv.Step("scale %s to 3", job.Name)
	if err := e.Client.Scale(ctx, job.Name, 3); err != nil {
		return err
	}
	_, err := exampleenv.Wait(ctx, e, job.Name, "3 replicas", juliarun.AtLeastWorkers(3))
	return err
}
