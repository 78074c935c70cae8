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
// What a real cluster asks beyond the job model (placement on tainted node
// pools, a service account, image pull secrets, labels, environment from
// Secrets, Secret/ConfigMap/emptyDir volumes, shared memory, a run-time
// limit, removal after the job finished, a pod template overlay) is each
// job's Settings, set by options that name the pods they are for: Master
// (the master, each unit, each replica) or Workers (the Distributed
// workers of a JuliaParBatch or Notebook):
//
//	jobs.WithTolerations(jobs.Workers, gpuToleration),
//	jobs.WithEnvFrom(jobs.Master, map[string]jobs.EnvSource{"KEY": jobs.FromSecret("api", "key")}),
//
// Validate reports their problems with paths under the role
// (workers.tolerations[0].effect).
//
// Spec gives any job in the one shape backends render from.
package jobs
