package juliaruntest

import (
	"context"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
)

// TestRestartAPIServer restarts the API server under a running cluster:
// clients made before keep working once it is back, stored objects remain,
// and the scheduler, controller-manager and kwok reconnect, so a pod
// created after the restart runs.
func TestRestartAPIServer(t *testing.T) {
	c := StartForTest(t, Options{Nodes: 1})
	cs := clientset(t, c)
	ctx := context.Background()
	kept := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "kept", Namespace: ns}, Data: map[string]string{"a": "b"}}
	if _, err := cs.CoreV1().ConfigMaps(ns).Create(ctx, kept, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}

	stopBegan := time.Now()
	if err := c.StopAPIServer(); err != nil {
		t.Log(tailFile(c.apiLog.Name(), 6000))
		t.Fatal(err)
	}
	t.Logf("API server stopped in %v", time.Since(stopBegan).Round(time.Millisecond))
	if err := c.StopAPIServer(); err != nil {
		t.Fatalf("stopping a stopped API server: %v", err)
	}
	quick, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if _, err := cs.CoreV1().ConfigMaps(ns).Get(quick, "kept", metav1.GetOptions{}); err == nil {
		t.Fatal("the API server still answers after StopAPIServer")
	}
	began := time.Now()
	if err := c.StartAPIServer(ctx); err != nil {
		t.Fatal(err)
	}
	t.Logf("API server back in %v", time.Since(began).Round(time.Millisecond))
	if err := c.StartAPIServer(ctx); err != nil {
		t.Fatalf("starting a running API server: %v", err)
	}
	if err := c.RestartAPIServer(ctx); err != nil {
		t.Fatal(err)
	}

	// The client made before both restarts still works: same address,
	// same serving certificate, same client CA; the object is still there.
	got, err := cs.CoreV1().ConfigMaps(ns).Get(ctx, "kept", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("reading after the restarts: %v", err)
	}
	if got.Data["a"] != "b" {
		t.Errorf("stored object changed: %v", got.Data)
	}
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "after", Namespace: ns},
		Spec: podSpec("100m", corev1.RestartPolicyAlways, "")}
	if _, err := cs.CoreV1().Pods(ns).Create(ctx, pod, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	err = wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		p, err := cs.CoreV1().Pods(ns).Get(ctx, "after", metav1.GetOptions{})
		return err == nil && p.Status.Phase == corev1.PodRunning, nil
	})
	if err != nil {
		t.Fatalf("a pod created after the restart does not run (scheduler or kwok did not reconnect): %v%s", err, c.logHint())
	}
}
