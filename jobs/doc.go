// Package jobs describes the Julia workloads juliarun runs, one Go type per
// job type of the original JuliaRun: Batch (JuliaBatch), ParBatch
// (JuliaParBatch), ParBatchWorkers (JuliaParBatchWorkers), Notebook,
// PkgBuilder, Webserver, MessageQ and Generic.
//
// A constructor takes the job's required parameters and any number of
// options, and fills every other parameter with the job model's default:
//
//	job := jobs.NewParBatch("pi-estimate", "pi.jl", "work",
//		jobs.WithNWorkers(8),
//		jobs.WithWorkerCPU(resources.Cores(1)))
//
// Constructors do no I/O and never fail. Every problem, a bad name, a port
// out of range, or an option that does not apply to the job's type, is
// reported at once by Validate as a field.ErrorList whose paths use the job
// model's parameter names (nworkers, ports[nb].container, passwd):
//
//	if err := job.Validate(); err != nil {
//		// errors.Is(err, jobs.ErrInvalid); jobs.AsErrorList(err) lists each problem.
//	}
//
// Paths named in a job (StartScript, BuilderScript, CfgFile) are relative to
// the run volume, or absolute in the container. Volumes and bundles are the
// names of PersistentVolumeClaims in the job's namespace.
//
// Spec gives any job in the one shape backends render from.
package jobs
