package main

import (
	"context"
	"testing"

	"github.com/juliarun/sdk/juliarun/juliaruntest"
)

// TestQuickstart runs the README's demo on its own simulated cluster.
func TestQuickstart(t *testing.T) {
	juliaruntest.SkipIfUnavailable(t)
	if err := run(context.Background(), "", "quickstart", "work"); err != nil {
		t.Fatal(err)
	}
}
