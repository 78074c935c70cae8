package main

import (
	"context"
	"testing"

	"github.com/juliarun/sdk/examples/internal/exampleenv"
)

// TestExample runs the example on a simulated cluster, so it cannot rot.
func TestExample(t *testing.T) {
	if err := run(context.Background(), exampleenv.ForTest(t, "work", "mq", bundle)); err != nil {
		t.Fatal(err)
	}
}
