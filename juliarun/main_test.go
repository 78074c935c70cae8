package juliarun_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"

	"github.com/juliarun/sdk/juliarun"
	"github.com/juliarun/sdk/juliarun/juliaruntest"
)

// podLog is what every simulated container of the shared cluster prints:
// 60 numbered lines.
var podLog = func() string {
	var b strings.Builder
	for i := 1; i <= 60; i++ {
		fmt.Fprintf(&b, "line %d\n", i)
	}
	return b.String()
}()

// shared is one roomy cluster for the tests that do not count capacity.
var shared struct {
	once    sync.Once
	cluster *juliaruntest.Cluster
	err     error
	nsCount atomic.Int32
}

func TestMain(m *testing.M) {
	code := m.Run()
	for _, c := range []*juliaruntest.Cluster{shared.cluster, apiOnly.cluster, realNode.cluster} {
		if c == nil {
			continue
		}
		if err := c.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "stopping a shared test cluster:", err)
			code = 1
		}
	}
	os.Exit(code)
}

func sharedCluster(t *testing.T) *juliaruntest.Cluster {
	t.Helper()
	juliaruntest.SkipIfUnavailable(t)
	shared.once.Do(func() {
		shared.cluster, shared.err = juliaruntest.Start(context.Background(), juliaruntest.Options{
			Nodes: 2, NodeCPU: "32", NodeMemory: "128Gi", NodeGPU: 2, PodLog: podLog,
		})
	})
	if shared.err != nil {
		t.Fatalf("starting the shared test cluster: %v", shared.err)
	}
	return shared.cluster
}

// apiOnly is one cluster without nodes (API server only: no controller,
// no pod) for the tests that make many jobs and need only their objects,
// and may restart its API server.
var apiOnly struct {
	once    sync.Once
	cluster *juliaruntest.Cluster
	err     error
}

func apiOnlyCluster(t *testing.T) *juliaruntest.Cluster {
	t.Helper()
	juliaruntest.SkipIfUnavailable(t)
	apiOnly.once.Do(func() {
		apiOnly.cluster, apiOnly.err = juliaruntest.Start(context.Background(), juliaruntest.Options{})
	})
	if apiOnly.err != nil {
		t.Fatalf("starting the API-only test cluster: %v", apiOnly.err)
	}
	return apiOnly.cluster
}

// env is what a test works with: a fresh namespace that enforces Pod
// Security "restricted", with the volumes jobs mount, and a Client on it.
type env struct {
	cluster *juliaruntest.Cluster
	cs      kubernetes.Interface
	ns      string
	client  juliarun.Client
}

func newEnv(t *testing.T, cluster *juliaruntest.Cluster, opts ...juliarun.Option) *env {
	t.Helper()
	e, err := makeEnv(cluster, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// makeEnv is newEnv for goroutines other than the test's.
func makeEnv(cluster *juliaruntest.Cluster, opts ...juliarun.Option) (*env, error) {
	ctx := context.Background()
	cs, err := kubernetes.NewForConfig(cluster.Config())
	if err != nil {
		return nil, err
	}
	ns := fmt.Sprintf("test-%d", shared.nsCount.Add(1))
	_, err = cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns,
		Labels: map[string]string{"pod-security.kubernetes.io/enforce": "restricted"}}}, metav1.CreateOptions{})
	if err != nil {
		return nil, err
	}
	for _, v := range []string{"work", "data", "stats"} {
		if err := cluster.CreateVolume(ctx, ns, v, "1Gi"); err != nil {
			return nil, err
		}
	}
	c, err := juliarun.New(cluster.Config(), append([]juliarun.Option{juliarun.WithNamespace(ns)}, opts...)...)
	if err != nil {
		return nil, err
	}
	return &env{cluster: cluster, cs: cs, ns: ns, client: c}, nil
}

// waitFor waits up to 30s for cond on the job's status, through Wait.
func (e *env) waitFor(t *testing.T, name string, what string, cond juliarun.Condition) *juliarun.Status {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	st, err := e.client.Wait(ctx, name, func(s *juliarun.Status) bool { return cond(s) })
	if err != nil || !cond(st) {
		t.Fatalf("waiting for %s of %s: %v (last status %+v)", what, name, err, st)
	}
	return st
}

// eventually polls cond every 100ms for up to 30s.
func eventually(t *testing.T, what string, cond func(ctx context.Context) (bool, error)) {
	t.Helper()
	if err := wait.PollUntilContextTimeout(context.Background(), 100*time.Millisecond, 30*time.Second, true, cond); err != nil {
		t.Fatalf("waiting for %s: %v", what, err)
	}
}

// pods returns the job's pods with role, listed directly from the API.
func (e *env) pods(t *testing.T, name, role string) []corev1.Pod {
	t.Helper()
	list, err := e.cs.CoreV1().Pods(e.ns).List(context.Background(), metav1.ListOptions{
		LabelSelector: "juliarun.io/job=" + name + ",juliarun.io/role=" + role})
	if err != nil {
		t.Fatal(err)
	}
	return list.Items
}
