// Package names derives the names of a job's Kubernetes objects from the job
// name, and bounds the job name so every derived name stays valid.
package names
