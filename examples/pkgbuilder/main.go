// Command pkgbuilder builds a Julia package bundle and uses it: a PkgBuilder
// job runs build.jl (beside this file; copy it to the run volume) with the
// bundle claim "stats" mounted read-write as its depot and project, then a
// JuliaBatch job runs with the bundle mounted read-only on its load path.
//
//	go run ./examples/pkgbuilder [-kubeconfig FILE -namespace NS]
package main

import (
	"context"
	"fmt"

	"github.com/juliarun/sdk/examples/internal/exampleenv"
	"github.com/juliarun/sdk/jobs"
	"github.com/juliarun/sdk/juliarun"
)

func main() { exampleenv.Main("pkgbuilder", []string{"work", "stats"}, run) }

func run(ctx context.Context, e *exampleenv.Env) error {
	for _, job := range []jobs.Job{
		jobs.NewPkgBuilder("build-stats", "build.jl", "work", "stats"),
		jobs.NewBatch("analyse", "analyse.jl", "work", jobs.WithPkgBundle("stats")),
	} {
		name := job.Spec().Name
		exampleenv.Step("start %s (%s)", name, job.Type())
		if err := e.Client.Start(ctx, job); err != nil {
			return err
		}
		st, err := exampleenv.Wait(ctx, e, name, "the end", juliarun.Finished())
		_ = e.Client.Delete(context.WithoutCancel(ctx), name)
		if err != nil {
			return err
		}
		if st.Phase != juliarun.PhaseSucceeded {
			return fmt.Errorf("%s %s: %s", name, st.Phase, st.Reason)
		}
	}
	return nil
}
