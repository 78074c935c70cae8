// Package clusterbin builds the control-plane binaries that juliaruntest runs
// (etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kwok and
// kubectl) from pinned versions served by the Go module proxy, into a cache
// directory outside the checkout that is keyed by those versions; and, on
// request (EnsureNode), a real node's binaries (kubelet, kube-proxy,
// containerd with its runc shim and ctr, the CNI plugins bridge,
// host-local, loopback and portmap, CoreDNS, and a pause program of its
// own) into a directory inside it, keyed by theirs.
//
// Nothing is downloaded from anywhere but the module proxy: each binary is
// built from source in a throw-away module whose go.mod pins the version
// (and, for Kubernetes, replaces every staging module by its published tag).
package clusterbin
