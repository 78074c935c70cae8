// Command clusterbin builds the control-plane binaries used by the tests and
// the demo into a cache directory outside the checkout and prints that
// directory. It does nothing when they are already built.
//
//	go run ./hack/clusterbin
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"

	"github.com/juliarun/sdk/internal/clusterbin"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	dir, err := clusterbin.Ensure(ctx, os.Stderr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "clusterbin:", err)
		os.Exit(1)
	}
	fmt.Println(dir)
}
