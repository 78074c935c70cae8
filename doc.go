// Package sdk is juliarun, a Go SDK that runs Julia workloads on Kubernetes:
// batch jobs, master and worker parallel jobs (Julia Distributed), job
// arrays, Jupyter notebooks, package-bundle builders, web servers, message
// queues and generic containers.
//
// Describe a job with package jobs, then run it with a juliarun.Client. A
// complete program:
//
//	package main
//
//	import (
//		"context"
//		"log"
//
//		"k8s.io/client-go/tools/clientcmd"
//
//		"github.com/juliarun/sdk/jobs"
//		"github.com/juliarun/sdk/juliarun"
//		"github.com/juliarun/sdk/resources"
//	)
//
//	func main() {
//		ctx := context.Background()
//		cfg, err := clientcmd.BuildConfigFromFlags("", clientcmd.RecommendedHomeFile)
//		if err != nil {
//			log.Fatal(err)
//		}
//		c, err := juliarun.New(cfg, juliarun.WithNamespace("science"))
//		if err != nil {
//			log.Fatal(err)
//		}
//		job := jobs.NewParBatch("pi-estimate", "pi.jl", "work",
//			jobs.WithNWorkers(8),
//			jobs.WithWorkerCPU(resources.Cores(1)),
//			jobs.WithWorkerMemory(resources.GiB(2)),
//			jobs.WithPkgBundle("stats"))
//		if err := c.Start(ctx, job); err != nil {
//			log.Fatal(err) // every problem, with field paths; nothing created
//		}
//		if _, err := c.Wait(ctx, "pi-estimate", juliarun.AtLeastWorkers(8)); err != nil {
//			log.Fatal(err)
//		}
//		if err := c.Scale(ctx, "pi-estimate", 32); err != nil { // one write, whatever the count
//			log.Fatal(err)
//		}
//		n, _ := c.NWorkers(ctx, "pi-estimate") // 32 if the cluster has room, fewer if not
//		log.Println("workers:", n)
//		if err := c.Delete(ctx, "pi-estimate"); err != nil { // nothing of it remains
//			log.Fatal(err)
//		}
//	}
//
// The packages:
//
//   - jobs: one type per job type, options, defaults and validation.
//   - resources: CPU, memory and GPU quantities (Cores, MiB, GiB).
//   - volumes and bundles: how claims and Julia package bundles are mounted.
//   - juliarun: the Client, and the Backend that renders jobs to objects.
//   - juliarun/juliaruntest: a real local control plane with simulated nodes,
//     and an in-memory fake Client, for tests and demos.
//
// Inside a job, the JuliaRun Julia module (shipped with every job) connects
// a master to its workers: see docs/JULIA.md.
package sdk
