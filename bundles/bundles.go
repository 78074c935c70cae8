package bundles

import (
	"path"

	corev1 "k8s.io/api/core/v1"
)

// Root is the directory bundles are mounted under. It is outside /mnt, where
// volumes go, so a bundle never hides a volume of the same name.
const Root = "/opt/juliarun/bundles"

// Environment variable names that Env sets. A job may not set them itself
// while it has a bundle.
const (
	EnvLoadPath  = "JULIA_LOAD_PATH"
	EnvDepotPath = "JULIA_DEPOT_PATH"
	EnvProject   = "JULIA_PROJECT"
)

// MountPath returns where the bundle called name is mounted.
func MountPath(name string) string { return path.Join(Root, name) }

// EnvironmentPath returns the bundle's Julia environment directory (the one
// with Project.toml and Manifest.toml).
func EnvironmentPath(name string) string { return path.Join(MountPath(name), "environment") }

// Env returns the Julia environment variables that make the bundle's packages
// loadable, sorted by name.
//
// For a reader, the bundle's depot comes after the user's default depot (an
// empty entry in JULIA_DEPOT_PATH expands to Julia's defaults) so anything
// Julia writes goes to the default depot, and the bundle's environment is
// stacked after the default load path, so `using Pkg1` finds bundled packages
// while the job's own project still comes first.
//
// For the builder (writable), the bundle's depot comes first and its
// environment is the active project, so Pkg.add and precompilation write
// into the bundle.
func Env(name string, writable bool) []corev1.EnvVar {
	depot, env := MountPath(name), EnvironmentPath(name)
	if writable {
		return []corev1.EnvVar{
			{Name: EnvDepotPath, Value: depot + ":"},
			{Name: EnvLoadPath, Value: ":" + env},
			{Name: EnvProject, Value: env},
		}
	}
	return []corev1.EnvVar{
		{Name: EnvDepotPath, Value: ":" + depot},
		{Name: EnvLoadPath, Value: ":" + env},
	}
}
