// Command quickstart shows the jobs of a small Julia computation and checks
// them, the way a program using the SDK would before starting them.
package main

import (
	"fmt"
	"os"

	"github.com/juliarun/sdk/jobs"
	"github.com/juliarun/sdk/resources"
)

func main() {
	all := []jobs.Job{
		jobs.NewPkgBuilder("build-stats", "build.jl", "work", "stats"),
		jobs.NewParBatch("pi-estimate", "pi.jl", "work",
			jobs.WithNWorkers(8),
			jobs.WithWorkerCPU(resources.Cores(1)),
			jobs.WithWorkerMemory(resources.GiB(2)),
			jobs.WithPkgBundle("stats")),
		jobs.NewNotebook("explore", "work", jobs.WithPassword("correct horse"), jobs.WithPkgBundle("stats")),
		// A mistake on purpose: a batch job has no workers.
		jobs.NewBatch("Report", "report.jl", "work", jobs.WithNWorkers(2)),
	}
	failed := false
	for _, job := range all {
		s := job.Spec()
		fmt.Printf("%-22s %-12s image=%s cpu=%s memory=%s workers=%d\n",
			job.Type(), s.Name, s.Image, s.Resources.CPU.String(), s.Resources.Memory.String(), s.NWorkers)
		for _, e := range jobs.AsErrorList(job.Validate()) {
			fmt.Printf("    invalid: %v\n", e)
			failed = true
		}
	}
	if !failed {
		fmt.Fprintln(os.Stderr, "quickstart: the invalid example was not reported")
		os.Exit(1)
	}
}
