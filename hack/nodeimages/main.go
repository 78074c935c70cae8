// Command nodeimages builds the test kit's local container images (the
// julia stand-in, nginx, rabbitmq, julia-notebook; see docs/IMAGES.md) into
// a cache directory outside the checkout and prints that directory. It does
// nothing when they are already built. Building needs root.
//
//	go run ./hack/nodeimages
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"

	"github.com/juliarun/sdk/internal/nodeimages"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	dir, _, err := nodeimages.Ensure(ctx, os.Stderr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "nodeimages:", err)
		os.Exit(1)
	}
	fmt.Println(dir)
}
