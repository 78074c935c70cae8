package juliarun_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/juliarun/sdk/jobs"
	"github.com/juliarun/sdk/juliarun"
	"github.com/juliarun/sdk/juliarun/fake"
	"github.com/juliarun/sdk/resources"
)

// The examples run against fake.Client so their output is
// fixed; with a real cluster, make the client with juliarun.New.

func Example() {
	ctx := context.Background()
	var c juliarun.Client = fake.NewClient("science") // juliarun.New(cfg, juliarun.WithNamespace("science"))

	job := jobs.NewParBatch("pi-estimate", "pi.jl", "work",
		jobs.WithNWorkers(8),
		jobs.WithWorkerCPU(resources.Cores(1)),
		jobs.WithPkgBundle("stats"))
	if err := c.Start(ctx, job); err != nil {
		fmt.Println(err)
		return
	}
	if err := c.Scale(ctx, "pi-estimate", 32); err != nil {
		fmt.Println(err)
		return
	}
	st, _ := c.Status(ctx, "pi-estimate")
	fmt.Println(st.Phase, st.Requested) // Pending until the master's pod runs
	fmt.Println(c.Delete(ctx, "pi-estimate"))
	// Output:
	// Pending 32
	// <nil>
}

func ExampleClient_Start_invalid() {
	c := fake.NewClient("science")
	err := c.Start(context.Background(), jobs.NewBatch("Report", "", "work", jobs.WithNWorkers(2)))
	fmt.Println(errors.Is(err, jobs.ErrInvalid))
	for _, e := range jobs.AsErrorList(err) {
		fmt.Println(e.Field, "-", e.Type)
	}
	// Output:
	// true
	// name - Invalid value
	// start_script - Required value
	// nworkers - Forbidden
}

func ExampleClient_Wait() {
	ctx := context.Background()
	c := fake.NewClient("science")
	_ = c.Start(ctx, jobs.NewParBatch("pi", "pi.jl", "work", jobs.WithNWorkers(4)))
	go func() { _ = c.SetRunning("pi", 4) }() // the cluster starting workers
	st, err := c.Wait(ctx, "pi", juliarun.AtLeastWorkers(4))
	fmt.Println(st.Running, err)
	// Output: 4 <nil>
}

func ExampleClient_Scale_notScalable() {
	ctx := context.Background()
	c := fake.NewClient("science")
	_ = c.Start(ctx, jobs.NewBatch("report", "report.jl", "work"))
	err := c.Scale(ctx, "report", 4)
	fmt.Println(errors.Is(err, juliarun.ErrNotScalable))
	// Output: true
}

func ExampleManifest() {
	backend := juliarun.NewNativeBackend(juliarun.WithRandomSource(bytes.NewReader(make([]byte, 1024))))
	yaml, err := juliarun.Manifest(backend, jobs.NewBatch("report", "report.jl", "work"), "science")
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, doc := range strings.Split(string(yaml), "---\n") {
		var kind, name string
		for _, line := range strings.Split(doc, "\n") {
			if strings.HasPrefix(line, "kind: ") {
				kind = strings.TrimPrefix(line, "kind: ")
			}
			if strings.HasPrefix(line, "  name: ") && name == "" {
				name = strings.TrimPrefix(line, "  name: ")
			}
		}
		fmt.Println(kind, name)
	}
	// Output:
	// ConfigMap report
	// ConfigMap report-scripts
	// NetworkPolicy report
	// Job report
}
