package juliarun_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/juliarun/sdk/jobs"
	"github.com/juliarun/sdk/juliarun"
)

// TestDeleteWithoutItsRoot deletes a job whose root is gone and whose
// other objects, orphaned, still run its workers: Delete finds them by
// label and removes them all, pods included.
func TestDeleteWithoutItsRoot(t *testing.T) {
	e := newEnv(t, sharedCluster(t))
	ctx := context.Background()
	if err := e.client.Start(ctx, jobs.NewParBatch("orphaned", "pi.jl", "work", jobs.WithNWorkers(3))); err != nil {
		t.Fatal(err)
	}
	e.waitFor(t, "orphaned", "3 workers", juliarun.AtLeastWorkers(3))
	orphan := metav1.DeletePropagationOrphan
	if err := e.cs.CoreV1().ConfigMaps(e.ns).Delete(ctx, "orphaned", metav1.DeleteOptions{PropagationPolicy: &orphan}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the root to go", func(ctx context.Context) (bool, error) {
		_, err := e.client.Status(ctx, "orphaned")
		return errors.Is(err, juliarun.ErrNotFound), nil
	})
	if err := e.client.Delete(ctx, "orphaned"); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if left := leftovers(t, e.cluster.Config(), "orphaned"); len(left) > 0 {
		t.Errorf("left after Delete: %v", left)
	}
	if err := e.client.Delete(ctx, "orphaned"); !errors.Is(err, juliarun.ErrNotFound) {
		t.Errorf("Delete again: %v, want ErrNotFound", err)
	}
}

// TestDeleteWaitsForFinalizers holds one of a job's objects with a
// finalizer of someone else's, on an API server alone: Delete returns only
// once that object is gone.
func TestDeleteWaitsForFinalizers(t *testing.T) {
	e := newEnv(t, apiOnlyCluster(t))
	ctx := context.Background()
	if err := e.client.Start(ctx, jobs.NewBatch("held", "run.jl", "work")); err != nil {
		t.Fatal(err)
	}
	const scripts = "held-scripts"
	patch := func(finalizers []string) {
		t.Helper()
		data, err := json.Marshal(map[string]any{"metadata": map[string]any{"finalizers": finalizers}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.cs.CoreV1().ConfigMaps(e.ns).Patch(ctx, scripts, types.MergePatchType, data, metav1.PatchOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	patch([]string{"test.juliarun.io/hold"})
	done := make(chan error, 1)
	go func() { done <- e.client.Delete(ctx, "held") }()
	eventually(t, "the held ConfigMap to be deleting", func(ctx context.Context) (bool, error) {
		cm, err := e.cs.CoreV1().ConfigMaps(e.ns).Get(ctx, scripts, metav1.GetOptions{})
		return err == nil && cm.DeletionTimestamp != nil, err
	})
	select {
	case err := <-done:
		t.Fatalf("Delete returned (%v) while %s is still there", err, scripts)
	default:
	}
	patch(nil)
	if err := <-done; err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if left := leftovers(t, e.cluster.Config(), "held"); len(left) > 0 {
		t.Errorf("left after Delete: %v", left)
	}
}
