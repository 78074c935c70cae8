// Package sdk is juliarun, a Go SDK that runs Julia workloads on Kubernetes:
// batch jobs, master and worker parallel jobs (Julia Distributed), job
// arrays, Jupyter notebooks, package-bundle builders, web servers, message
// queues and generic containers.
//
// Describe a job with package jobs, then run it with a juliarun.Client:
//
//	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
//	c, err := juliarun.New(cfg, juliarun.WithNamespace("science"))
//
//	job := jobs.NewParBatch("pi-estimate", "pi.jl", "work",
//		jobs.WithNWorkers(8),
//		jobs.WithWorkerCPU(resources.Cores(1)),
//		jobs.WithWorkerMemory(resources.GiB(2)),
//		jobs.WithPkgBundle("stats"))
//	if err := c.Start(ctx, job); err != nil {
//		// every problem, with field paths
//	}
//	err = c.Scale(ctx, "pi-estimate", 32)    // one write, whatever the count
//	n, err := c.NWorkers(ctx, "pi-estimate") // 32 if the cluster has room, fewer if not
//	err = c.Delete(ctx, "pi-estimate")       // nothing of it remains
//
// The packages:
//
//   - jobs: one type per job type, options, defaults and validation.
//   - resources: CPU, memory and GPU quantities (Cores, MiB, GiB).
//   - volumes and bundles: how claims and Julia package bundles are mounted.
//   - juliarun: the Client, and the Backend that renders jobs to objects.
//   - juliarun/juliaruntest: a real local control plane with simulated nodes,
//     for tests and demos.
package sdk
