// Package scripts holds the files that every Julia job gets in its scripts
// ConfigMap, mounted read-only at Dir: the container shells master.sh,
// worker.sh and notebook.sh, the Julia helper juliarun.jl (module JuliaRun)
// and the Jupyter configuration jupyter_server_config.py.
//
// The renderer sets the environment the scripts read; the names are the Env
// constants here, so both sides spell them the same way. master.sh runs a
// Julia script (or another shell script) in the job's run directory,
// worker.sh starts a Julia Distributed worker that listens on WorkerPort and
// waits for the master, or runs one unit of a job array, and notebook.sh
// starts Jupyter with every Julia kernel loading juliarun.jl. The cluster
// cookie reaches julia on its standard input and the notebook password hash
// through the environment, so neither appears in a command line.
//
// The master connects to its workers, as Distributed does by default: it
// finds the ready workers by resolving the DNS name of their headless
// Service. docs/JULIA.md describes the Julia API and how the code was
// checked (Julia itself is not run in these tests).
package scripts
