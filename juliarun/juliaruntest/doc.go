// Package juliaruntest runs a real, local Kubernetes control plane for tests
// and demos: etcd and kube-apiserver (through controller-runtime's envtest)
// and, when asked for nodes, kube-controller-manager, kube-scheduler and kwok
// simulating nodes of a chosen size. Deployments, StatefulSets and Jobs
// create pods that the scheduler places against node capacity and kwok
// marks Running and Ready; nothing runs in them.
//
// The binaries are built from source, from the Go module proxy, into a cache
// outside the checkout (EnsureBinaries, or `go run ./hack/clusterbin`).
//
//	c, err := juliaruntest.Start(ctx, juliaruntest.Options{Nodes: 2, NodeCPU: "4", NodeMemory: "16Gi"})
//	defer c.Stop()
//	cfg := c.Config() // a *rest.Config with cluster-admin rights
//
// Options.NodePools adds named pools of simulated nodes, each with its own
// count, capacity, GPUs, labels (PoolLabel names the pool) and taints, so
// tests can place pods by node selector and toleration, and see the
// scheduler preempt lower-priority pods (CreatePriorityClass).
//
// Simulated processes run until ExitPod ends them, or, for pods of a
// batch/v1 Job, until Options.JobPodLifetime has passed.
//
// For fault tests, RestartAPIServer (or StopAPIServer and StartAPIServer)
// takes the API server down and brings it back on the same address, with
// the same certificates and etcd, as a crash or an upgrade would.
//
// With Options.RealNodes set to 1, and as root, the cluster also gets a real
// node, RealNodeName: a kubelet with containerd, runc, CNI, kube-proxy and
// CoreDNS that runs containers for real, from image tarballs imported
// without a registry (Options.RealNodeImages, ImportImage). Pods reach it
// with OnRealNode when simulated nodes are beside it; alone, it is
// untainted. One real node runs per machine at a time (RealNodeLock), and
// Stop removes every trace of it. docs/TESTING.md has the details.
//
// In tests, StartForTest starts a cluster that stops with the test, and
// skips the test, loudly, when the binaries are missing, unless
// JULIARUN_REQUIRE_CLUSTER is set, as the README's test command sets it.
package juliaruntest
