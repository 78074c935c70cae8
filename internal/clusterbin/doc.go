// Package clusterbin builds the control-plane binaries that juliaruntest runs
// (etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kwok and
// kubectl) from pinned versions served by the Go module proxy, into a cache
// directory outside the checkout that is keyed by those versions.
//
// Nothing is downloaded from anywhere but the module proxy: each binary is
// built from source in a throw-away module whose go.mod pins the version
// (and, for Kubernetes, replaces every staging module by its published tag).
package clusterbin
