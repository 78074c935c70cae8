// Command quickstart runs a Julia master+worker job end to end: it starts a
// JuliaParBatch with two workers, scales it to six while showing the workers
// catching up, prints its status and endpoint, reads the master's log where
// the cluster provides logs, deletes the job and checks nothing is left.
//
// With no cluster given it brings up the SDK's simulated cluster
// (juliaruntest: a real API server, scheduler and controllers, with
// simulated nodes), building its binaries on first use. Otherwise it uses
// --kubeconfig, $KUBECONFIG, or the in-cluster configuration.
//
//	go run ./examples/quickstart
//	go run ./examples/quickstart --kubeconfig ~/.kube/config --namespace science --volume work
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/juliarun/sdk/jobs"
	"github.com/juliarun/sdk/juliarun"
	"github.com/juliarun/sdk/juliarun/juliaruntest"
	"github.com/juliarun/sdk/resources"
)

func main() {
	// Its own flag set: controller-runtime, which juliaruntest uses,
	// registers a global -kubeconfig flag of its own.
	fs := flag.NewFlagSet("quickstart", flag.ExitOnError)
	kubeconfig := fs.String("kubeconfig", os.Getenv("KUBECONFIG"), "kubeconfig of the cluster to use (default: $KUBECONFIG, else in-cluster, else a simulated cluster)")
	namespace := fs.String("namespace", "quickstart", "namespace to run in (created on the simulated cluster)")
	volume := fs.String("volume", "work", "PersistentVolumeClaim to use as the run volume (created on the simulated cluster)")
	_ = fs.Parse(os.Args[1:])
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, *kubeconfig, *namespace, *volume); err != nil {
		fmt.Fprintln(os.Stderr, "quickstart:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, kubeconfig, namespace, volume string) error {
	cfg, cleanup, err := clusterConfig(ctx, kubeconfig, namespace, volume)
	if err != nil {
		return err
	}
	defer cleanup()

	c, err := juliarun.New(cfg, juliarun.WithNamespace(namespace))
	if err != nil {
		return err
	}
	const name = "pi-estimate"
	job := jobs.NewParBatch(name, "pi.jl", volume,
		jobs.WithNWorkers(2),
		jobs.WithWorkerCPU(resources.Cores(0.5)),
		jobs.WithWorkerMemory(resources.MiB(256)))
	step("start %s (%s, %d workers)", name, job.Type(), job.NWorkers)
	if err := c.Start(ctx, job); err != nil {
		return err
	}
	// Delete even if a step below fails, so a rerun starts clean.
	deleted := false
	defer func() {
		if !deleted {
			_ = c.Delete(context.WithoutCancel(ctx), name)
		}
	}()
	if err := waitWorkers(ctx, c, name, 2); err != nil {
		return err
	}

	step("scale %s to 6 workers", name)
	if err := c.Scale(ctx, name, 6); err != nil {
		return err
	}
	if err := waitWorkers(ctx, c, name, 6); err != nil {
		return err
	}

	st, err := c.Status(ctx, name)
	if err != nil {
		return err
	}
	step("status: phase %s, workers %d requested / %d running, created %s", st.Phase, st.Requested, st.Running,
		st.Created.Format(time.RFC3339))
	switch ep, err := c.Endpoint(ctx, name); {
	case err == nil:
		step("endpoint: %s (cluster IP %s), ports %v", ep.Address, ep.ClusterIP, ep.Ports)
	case errors.Is(err, juliarun.ErrNotFound):
		step("endpoint: none (the job exposes no ports)")
	default:
		return err
	}
	showLogs(ctx, c, name)

	step("delete %s", name)
	if err := c.Delete(ctx, name); err != nil {
		return err
	}
	deleted = true
	if _, err := c.Status(ctx, name); !errors.Is(err, juliarun.ErrNotFound) {
		return fmt.Errorf("after Delete, Status says %v; want the job gone", err)
	}
	left, err := leftovers(ctx, cfg, namespace, name)
	if err != nil {
		return err
	}
	if left > 0 {
		return fmt.Errorf("%d objects of %s are left after Delete", left, name)
	}
	step("nothing of %s is left", name)
	return nil
}

// waitWorkers shows a live progress line until n workers run.
func waitWorkers(ctx context.Context, c juliarun.Client, name string, n int) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	start := time.Now()
	st, err := c.Status(ctx, name)
	for err == nil && st.Running < n && !st.Phase.Terminal() {
		fmt.Printf("\r   workers running: %d/%d (requested %d)", st.Running, n, st.Requested)
		st, err = c.Wait(ctx, name, juliarun.AtLeastWorkers(st.Running+1))
	}
	if err != nil {
		fmt.Println()
		return fmt.Errorf("waiting for %d workers: %w", n, err)
	}
	if st.Running < n {
		fmt.Println()
		return fmt.Errorf("job ended (%s: %s) with %d of %d workers", st.Phase, st.Reason, st.Running, n)
	}
	fmt.Printf("\r   workers running: %d/%d (requested %d) in %s\n", st.Running, n, st.Requested,
		time.Since(start).Round(time.Millisecond))
	return nil
}

func showLogs(ctx context.Context, c juliarun.Client, name string) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	logs, err := c.Logs(ctx, name, juliarun.LogOptions{Lines: 10})
	if err != nil {
		step("master log: not available here (%v)", err)
		return
	}
	defer logs.Close()
	step("master log (last 10 lines):")
	_, _ = io.Copy(os.Stdout, logs)
}

// clusterConfig returns the configuration of the cluster to use: the one
// named by kubeconfig, the in-cluster one, or a simulated cluster started
// here (with the namespace and volume created), stopped by cleanup.
func clusterConfig(ctx context.Context, kubeconfig, namespace, volume string) (*rest.Config, func(), error) {
	if kubeconfig != "" {
		cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
		return cfg, func() {}, err
	}
	if cfg, err := rest.InClusterConfig(); err == nil {
		return cfg, func() {}, nil
	}
	step("no cluster given: starting a simulated one (2 nodes of 4 CPUs)")
	if _, err := juliaruntest.EnsureBinaries(ctx, os.Stdout); err != nil {
		return nil, nil, err
	}
	start := time.Now()
	cluster, err := juliaruntest.Start(ctx, juliaruntest.Options{Nodes: 2, NodeCPU: "4", NodeMemory: "16Gi"})
	if err != nil {
		return nil, nil, err
	}
	cleanup := func() {
		step("stopping the simulated cluster")
		_ = cluster.Stop()
	}
	cs, err := kubernetes.NewForConfig(cluster.Config())
	if err == nil {
		_, err = cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: namespace,
			Labels: map[string]string{"pod-security.kubernetes.io/enforce": "restricted"}}}, metav1.CreateOptions{})
	}
	if err == nil {
		err = cluster.CreateVolume(ctx, namespace, volume, "1Gi")
	}
	if err != nil {
		cleanup()
		return nil, nil, err
	}
	step("simulated cluster ready in %s", time.Since(start).Round(time.Millisecond))
	return cluster.Config(), cleanup, nil
}

// leftovers counts the objects of the kinds a job is made of (and their
// controllers make) still labelled with the job.
func leftovers(ctx context.Context, cfg *rest.Config, namespace, name string) (int, error) {
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return 0, err
	}
	opts := metav1.ListOptions{LabelSelector: "juliarun.io/job=" + name}
	lists := []func() (runtime.Object, error){
		func() (runtime.Object, error) { return cs.CoreV1().ConfigMaps(namespace).List(ctx, opts) },
		func() (runtime.Object, error) { return cs.CoreV1().Secrets(namespace).List(ctx, opts) },
		func() (runtime.Object, error) { return cs.CoreV1().Services(namespace).List(ctx, opts) },
		func() (runtime.Object, error) { return cs.CoreV1().Pods(namespace).List(ctx, opts) },
		func() (runtime.Object, error) { return cs.BatchV1().Jobs(namespace).List(ctx, opts) },
		func() (runtime.Object, error) { return cs.AppsV1().StatefulSets(namespace).List(ctx, opts) },
		func() (runtime.Object, error) { return cs.NetworkingV1().NetworkPolicies(namespace).List(ctx, opts) },
	}
	total := 0
	for _, list := range lists {
		l, err := list()
		if err != nil {
			return 0, err
		}
		total += meta.LenList(l)
	}
	return total, nil
}

func step(format string, args ...any) {
	fmt.Printf("==> "+format+"\n", args...)
}
