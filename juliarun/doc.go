// Package juliarun starts, scales, watches and removes Julia jobs on a
// Kubernetes cluster.
//
// A Client is made from a client-go *rest.Config and options, without I/O:
//
//	c, err := juliarun.New(cfg, juliarun.WithNamespace("science"))
//
// Start renders a job (see package jobs) to Kubernetes objects through the
// client's Backend and creates them; Scale sets the requested number of
// workers with one write; NWorkers tells how many are running and ready now,
// which is fewer than requested while the cluster lacks room; Delete removes
// every object of the job.
//
// Errors wrap ErrNotFound, ErrAlreadyExists, ErrNotScalable and
// jobs.ErrInvalid, so callers test them with errors.Is.
//
// Requests that fail for a passing reason (an overloaded or restarting API
// server, a broken connection) are repeated for up to 30 seconds where
// that is safe, and a Start that fails or is cancelled removes what it
// created; docs/RELIABILITY.md has the details and the test figures. Role
// returns the RBAC Role a Client needs (deploy/rbac.yaml as YAML).
package juliarun
