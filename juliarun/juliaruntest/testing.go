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

// SkipIfNoRealNode skips the test, loudly, when a real node cannot start
// here (see RealNodeAvailable: root, binaries, runc, nft, ip), or fails it
// when RequireEnv is set.
func SkipIfNoRealNode(tb testing.TB) {
	tb.Helper()
	SkipIfUnavailable(tb)
	if err := RealNodeAvailable(); err != nil {
		if os.Getenv(RequireEnv) != "" {
			tb.Fatalf("real-node test cannot run: %v", err)
		}
		tb.Skipf("SKIPPING REAL-NODE TEST: %v. ./hack/test.sh (as root) builds and installs everything and never skips.", err)
	}
}

// StartForTest starts a cluster that stops when the test ends, after
// SkipIfUnavailable (and SkipIfNoRealNode when opts asks for a real node).
// With a real node, it waits while another test process's real node runs.
func StartForTest(tb testing.TB, opts Options) *Cluster {
	tb.Helper()
	SkipIfUnavailable(tb)
	if opts.RealNodes > 0 {
		SkipIfNoRealNode(tb)
	}
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
