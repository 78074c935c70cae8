// Command clusterbin builds the control-plane binaries used by the tests and
// the demo into a cache directory outside the checkout and prints that
// directory. It does nothing when they are already built. With -realnode it
// also builds the real node's binaries (kubelet, kube-proxy, containerd,
// the CNI plugins, CoreDNS, pause) into a directory inside it, and prints
// that directory on a second line.
//
//	go run ./hack/clusterbin [-realnode]
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"

	"github.com/juliarun/sdk/internal/clusterbin"
)

func main() {
	realNode := flag.Bool("realnode", false, "also build the real node's binaries")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	dir, err := clusterbin.Ensure(ctx, os.Stderr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "clusterbin:", err)
		os.Exit(1)
	}
	fmt.Println(dir)
	if !*realNode {
		return
	}
	nodeDir, err := clusterbin.EnsureNode(ctx, os.Stderr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "clusterbin:", err)
		os.Exit(1)
	}
	fmt.Println(nodeDir)
}
