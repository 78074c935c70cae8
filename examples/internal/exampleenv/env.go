// Package exampleenv gives the example programs a cluster to run on: the
// one named by -kubeconfig or $KUBECONFIG, or a simulated one (juliaruntest)
// with the namespace and volumes the example needs. It is not part of the
// SDK; it keeps the examples short.
package exampleenv

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/juliarun/sdk/juliarun"
	"github.com/juliarun/sdk/juliarun/juliaruntest"
)

// Env is where an example runs.
type Env struct {
	Config    *rest.Config
	Namespace string
	Client    juliarun.Client
	// Cluster is the simulated cluster, or nil on a real one.
	Cluster *juliaruntest.Cluster
}

// simulated is the cluster the examples run on when none is given: room
// for every example, and batch pods that finish two seconds after they
// start, standing in for a Julia script that runs and ends.
func simulated() juliaruntest.Options {
	return juliaruntest.Options{Nodes: 2, NodeCPU: "16", NodeMemory: "64Gi", NodeGPU: 1,
		JobPodLifetime: 2 * time.Second}
}

// Main parses the example's flags, sets up its Env (creating the volumes on
// a simulated cluster), runs run and exits non-zero on error.
func Main(name string, volumes []string, run func(ctx context.Context, e *Env) error) {
	MainOn(name, simulated(), volumes, run)
}

// MainOn is Main with the simulated cluster shaped by sim (node pools, for
// an example that places its pods).
func MainOn(name string, sim juliaruntest.Options, volumes []string, run func(ctx context.Context, e *Env) error) {
	fs := flag.NewFlagSet(name, flag.ExitOnError)
	kubeconfig := fs.String("kubeconfig", os.Getenv("KUBECONFIG"), "kubeconfig of the cluster (default: a simulated cluster)")
	namespace := fs.String("namespace", "examples", "namespace to run in")
	_ = fs.Parse(os.Args[1:])
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := mainErr(ctx, *kubeconfig, *namespace, sim, volumes, run); err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
		os.Exit(1)
	}
}

func mainErr(ctx context.Context, kubeconfig, namespace string, sim juliaruntest.Options, volumes []string, run func(context.Context, *Env) error) error {
	var cfg *rest.Config
	var cluster *juliaruntest.Cluster
	if kubeconfig != "" {
		var err error
		if cfg, err = clientcmd.BuildConfigFromFlags("", kubeconfig); err != nil {
			return err
		}
	} else {
		Step("starting a simulated cluster")
		if _, err := juliaruntest.EnsureBinaries(ctx, os.Stdout); err != nil {
			return err
		}
		var err error
		if cluster, err = juliaruntest.Start(ctx, sim); err != nil {
			return err
		}
		defer cluster.Stop()
		cfg = cluster.Config()
		if err := Prepare(ctx, cluster, namespace, volumes); err != nil {
			return err
		}
	}
	c, err := juliarun.New(cfg, juliarun.WithNamespace(namespace))
	if err != nil {
		return err
	}
	return run(ctx, &Env{Config: cfg, Namespace: namespace, Client: c, Cluster: cluster})
}

// Prepare creates namespace (enforcing Pod Security "restricted") and the
// volumes on a simulated cluster.
func Prepare(ctx context.Context, cluster *juliaruntest.Cluster, namespace string, volumes []string) error {
	cs, err := kubernetes.NewForConfig(cluster.Config())
	if err != nil {
		return err
	}
	_, err = cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: namespace,
		Labels: map[string]string{"pod-security.kubernetes.io/enforce": "restricted"}}}, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		return err
	}
	for _, v := range volumes {
		if err := cluster.CreateVolume(ctx, namespace, v, "1Gi"); err != nil {
			return err
		}
	}
	return nil
}

// ForTest returns an Env on a simulated cluster that stops with the test,
// for the examples' own tests.
func ForTest(t *testing.T, volumes ...string) *Env {
	t.Helper()
	return ForTestOn(t, simulated(), volumes...)
}

// ForTestOn is ForTest on a simulated cluster shaped by sim.
func ForTestOn(t *testing.T, sim juliaruntest.Options, volumes ...string) *Env {
	t.Helper()
	cluster := juliaruntest.StartForTest(t, sim)
	ctx := context.Background()
	if err := Prepare(ctx, cluster, "examples", volumes); err != nil {
		t.Fatal(err)
	}
	c, err := juliarun.New(cluster.Config(), juliarun.WithNamespace("examples"))
	if err != nil {
		t.Fatal(err)
	}
	return &Env{Config: cluster.Config(), Namespace: "examples", Client: c, Cluster: cluster}
}

// Step prints a step of an example.
func Step(format string, args ...any) { fmt.Printf("==> "+format+"\n", args...) }

// Wait waits up to two minutes for cond and prints the status it reached.
func Wait(ctx context.Context, e *Env, name, what string, cond juliarun.Condition) (*juliarun.Status, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	st, err := e.Client.Wait(ctx, name, cond)
	if err != nil {
		return st, fmt.Errorf("waiting for %s of %s: %w", what, name, err)
	}
	Step("%s: %s, %d/%d workers%s", name, st.Phase, st.Running, st.Requested, reason(st))
	if !cond(st) {
		return st, fmt.Errorf("%s ended %s before %s", name, st.Phase, what)
	}
	return st, nil
}

func reason(st *juliarun.Status) string {
	if st.Reason == "" {
		return ""
	}
	return " (" + st.Reason + ")"
}
