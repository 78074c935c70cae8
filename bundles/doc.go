// Package bundles attaches Julia package bundles to jobs.
//
// A package bundle is a PersistentVolumeClaim holding a Julia depot
// (packages/, compiled/, artifacts/ …) and, in its environment/ folder, the
// Project.toml and Manifest.toml that name those packages. PkgBuilder jobs
// write it; every other job mounts it read-only at MountPath(name) and finds
// its packages through the environment of Env.
package bundles
