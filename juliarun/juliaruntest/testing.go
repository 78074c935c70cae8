package juliaruntest

import (
	"context"
	"os"
	"testing"
)

// RequireEnv names the environment variable that turns a missing binary into
// a test failure instead of a skip. The README's test command sets it.
const RequireEnv = "JULIARUN_REQUIRE_CLUSTER"

// SkipIfUnavailable skips the test, loudly, when the control-plane binaries
// are not built, or fails it when RequireEnv is set.
func SkipIfUnavailable(tb testing.TB) {
	tb.Helper()
	if err := Available(); err != nil {
		if os.Getenv(RequireEnv) != "" {
			tb.Fatalf("cluster test cannot run: %v", err)
		}
		tb.Skipf("SKIPPING CLUSTER TEST: %v. ./hack/test.sh builds them and never skips.", err)
	}
}

// StartForTest starts a cluster that stops when the test ends, after
// SkipIfUnavailable.
func StartForTest(tb testing.TB, opts Options) *Cluster {
	tb.Helper()
	SkipIfUnavailable(tb)
	c, err := Start(context.Background(), opts)
	if err != nil {
		tb.Fatalf("starting the test cluster: %v", err)
	}
	tb.Cleanup(func() {
		if err := c.Stop(); err != nil {
			tb.Errorf("stopping the test cluster: %v", err)
		}
	})
	return c
}
