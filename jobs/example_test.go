package jobs_test

import (
	"errors"
	"fmt"

	corev1 "k8s.io/api/core/v1"

	"github.com/juliarun/sdk/jobs"
	"github.com/juliarun/sdk/resources"
)

func ExampleNewBatch() {
	job := jobs.NewBatch("report", "report.jl", "work", jobs.WithCPU(resources.Cores(2)))
	fmt.Println(job.Type(), job.Image, job.CPU.String(), job.Memory.String(), job.Shell, job.Validate())
	// Output: JuliaBatch julia 2 512Mi master.sh <nil>
}

func ExampleNewParBatch() {
	job := jobs.NewParBatch("pi-estimate", "pi.jl", "work",
		jobs.WithNWorkers(8),
		jobs.WithWorkerCPU(resources.Cores(1)),
		jobs.WithWorkerMemory(resources.GiB(2)),
		jobs.WithPkgBundle("stats"))
	fmt.Println(job.Type(), job.NWorkers, job.WorkerCPU.String(), job.WorkerMemory.String(), job.Restart, job.Validate())
	// Output: JuliaParBatch 8 1 2Gi Always <nil>
}

func ExampleNewParBatchWorkers() {
	job := jobs.NewParBatchWorkers("frames", "render.jl", "work",
		jobs.WithNWorkers(100), jobs.WithRestart(jobs.RestartOnFailure))
	fmt.Println(job.Type(), job.NWorkers, job.Shell, job.Restart, job.Validate())
	// Output: JuliaParBatchWorkers 100 worker.sh OnFailure <nil>
}

func ExampleNewNotebook() {
	job := jobs.NewNotebook("explore", "work", jobs.WithPassword("correct horse"), jobs.WithExternal(true))
	fmt.Println(job.Type(), job.Ports["nb"], job.External, job.Shell, job.Validate())
	// Output: Notebook {8888 8888} true notebook.sh <nil>
}

func ExampleNewPkgBuilder() {
	job := jobs.NewPkgBuilder("build-stats", "build.jl", "work", "stats")
	fmt.Println(job.Type(), job.PkgBundle, job.CPU.String(), job.Memory.String(), job.Validate())
	// Output: PkgBuilder stats 2 8Gi <nil>
}

func ExampleNewWebserver() {
	job := jobs.NewWebserver("results", "nginx.conf", "work", jobs.WithNWorkers(2))
	fmt.Println(job.Type(), job.Image, job.Ports["http"], job.Ports["https"], job.NWorkers, job.Validate())
	// Output: Webserver nginx {80 80} {443 443} 2 <nil>
}

func ExampleNewMessageQ() {
	job := jobs.NewMessageQ("queue", "rabbitmq.conf", "work")
	fmt.Println(job.Type(), job.Image, job.CPU.String(), job.Memory.String(), job.Ports["amqp"], job.Validate())
	// Output: MessageQ rabbitmq 1 4Gi {5672 5672} <nil>
}

func ExampleNewGeneric() {
	job := jobs.NewGeneric("sidecar", "busybox", "work", jobs.WithCommand("sh", "-c"), jobs.WithArgs("sleep 3600"))
	fmt.Println(job.Type(), job.Image, job.Command, job.Args, job.NWorkers, job.Validate())
	// Output: Generic busybox [sh -c] [sleep 3600] 1 <nil>
}

func ExampleAsErrorList() {
	job := jobs.NewBatch("Pi", "pi.jl", "work", jobs.WithNWorkers(4), jobs.WithGPU(-1))
	err := job.Validate()
	fmt.Println(errors.Is(err, jobs.ErrInvalid))
	for _, e := range jobs.AsErrorList(err) {
		fmt.Println(e.Field, e.Type)
	}
	// Output:
	// true
	// name Invalid value
	// gpu Invalid value
	// nworkers Forbidden
}

func ExampleWithTolerations() {
	gpu := corev1.Toleration{Key: "nvidia.com/gpu", Operator: corev1.TolerationOpExists, Effect: "Sometimes"}
	job := jobs.NewParBatch("train", "train.jl", "work", jobs.WithNWorkers(4), jobs.WithWorkerGPU(1),
		jobs.WithTolerations(jobs.Workers, gpu),
		jobs.WithNodeSelector(jobs.Workers, map[string]string{"pool": "gpu"}),
		jobs.WithRetryLimit(2))
	for _, e := range jobs.AsErrorList(job.Validate()) {
		fmt.Println(e.Field, e.Type)
	}
	// Output:
	// workers.tolerations[0].effect Unsupported value
	// retry_limit Forbidden
}
