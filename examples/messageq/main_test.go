package main

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/juliarun/sdk/examples/internal/exampleenv"
)

// TestConsumersGetTheBundle: consume.jl needs AMQPClient, which the default
// image lacks; the consumers must mount the bundle the builder fills.
func TestConsumersGetTheBundle(t *testing.T) {
	got := map[string]string{"builder": newBuilder().PkgBundle, "consumers": newConsumers("amqp://q:5672").PkgBundle}
	want := map[string]string{"builder": bundle, "consumers": bundle}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("package bundles (-want +got):\n%s", diff)
	}
}

// TestExample runs the example on a simulated cluster, so it cannot rot.
func TestExample(t *testing.T) {
	if err := run(context.Background(), exampleenv.ForTest(t, "work", "mq", bundle)); err != nil {
		t.Fatal(err)
	}
}
