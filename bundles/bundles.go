package bundles

import (
	"path"
	"sort"

	corev1 "k8s.io/api/core/v1"
)

// Root is the directory bundles are mounted under. It is outside /mnt, where
// volumes go, so a bundle never hides a volume of the same name.
const Root = "/opt/juliarun/bundles"

// Environment variable names that Env sets. The shipped scripts
// (juliaenv.sh) turn the JRUN_BUNDLE_* ones into Julia's own, adding to the
// image's JULIA_DEPOT_PATH and JULIA_LOAD_PATH: a Kubernetes container's
// environment can only replace an image's variable, and replacing it would
// hide what the image ships there (the Jupyter julia-notebook image keeps
// IJulia in JULIA_DEPOT_PATH=/opt/julia). A job may not set these itself
// while it has a bundle.
const (
	EnvBundleDepot       = "JRUN_BUNDLE_DEPOT"       // the bundle's depot: its mount path
	EnvBundleEnvironment = "JRUN_BUNDLE_ENVIRONMENT" // the bundle's Julia environment directory
	EnvBundleWritable    = "JRUN_BUNDLE_WRITABLE"    // "true" for the builder: the bundle's depot comes first
	EnvProject           = "JULIA_PROJECT"           // the builder's active project: the bundle's environment
)

// Julia's own path variables, which the scripts extend, and which DirectEnv
// sets for a shell of the image's own.
const (
	EnvLoadPath  = "JULIA_LOAD_PATH"
	EnvDepotPath = "JULIA_DEPOT_PATH"
	// EnvApplied tells juliaenv.sh the bundle is on the paths already.
	EnvApplied = "JRUN_BUNDLE_APPLIED"
)

// MountPath returns where the bundle called name is mounted.
func MountPath(name string) string { return path.Join(Root, name) }

// EnvironmentPath returns the bundle's Julia environment directory (the one
// with Project.toml and Manifest.toml).
func EnvironmentPath(name string) string { return path.Join(MountPath(name), "environment") }

// Env returns the environment variables that make the bundle's packages
// loadable, sorted by name.
//
// For a reader, the scripts append the bundle's depot to the image's
// JULIA_DEPOT_PATH (or to Julia's defaults, an empty entry, when the image
// sets none), so anything Julia writes goes to the image's first depot, and
// append the bundle's environment to the load path, so `using Pkg1` finds
// bundled packages while the job's own project still comes first.
//
// For the builder (writable), the bundle's depot comes first and its
// environment is the active project, so Pkg.add and precompilation write
// into the bundle.
func Env(name string, writable bool) []corev1.EnvVar {
	env := []corev1.EnvVar{
		{Name: EnvBundleDepot, Value: MountPath(name)},
		{Name: EnvBundleEnvironment, Value: EnvironmentPath(name)},
	}
	if writable {
		env = append(env, corev1.EnvVar{Name: EnvBundleWritable, Value: "true"},
			corev1.EnvVar{Name: EnvProject, Value: EnvironmentPath(name)})
	}
	sort.Slice(env, func(i, j int) bool { return env[i].Name < env[j].Name })
	return env
}

// DirectEnv returns, for a job whose shell is the image's own (which does
// not source juliaenv.sh), the Julia paths with the bundle on them,
// replacing whatever the image sets: Julia's defaults (an empty entry) and
// the bundle, its depot first for the builder. EnvApplied keeps a
// juliaenv.sh that the image's shell does source from adding it twice.
func DirectEnv(name string, writable bool) []corev1.EnvVar {
	depot, env := MountPath(name), EnvironmentPath(name)
	if writable {
		depot += ":"
	} else {
		depot = ":" + depot
	}
	return []corev1.EnvVar{
		{Name: EnvDepotPath, Value: depot},
		{Name: EnvLoadPath, Value: ":" + env},
		{Name: EnvApplied, Value: "true"},
	}
}
