package juliaruntest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"github.com/juliarun/sdk/internal/clusterbin"
)

// corefile serves the cluster.local zone on the node's address, and
// answers every other name "no such domain", as a cluster's upstream
// resolver answers for a name like "svc." (a pod's resolver tries
// "<service>.<namespace>.svc." last, after the search domains; a REFUSED
// answer there would turn "not found" into an error): no forward plugin,
// so no query ever leaves the machine, and TTL 0 so a pod sees a Service's
// endpoints change at once (a Scale, a pod turning unready). CoreDNS runs as a host process with the admin
// kubeconfig, since envtest's API server gives pods no token (it disables
// the ServiceAccount admission plugin).
const corefile = `cluster.local:53 {
    bind %[1]s
    errors
    ready 127.0.0.1:%[2]s
    kubernetes cluster.local {
        kubeconfig %[3]s
        ttl 0
    }
}
.:53 {
    bind %[1]s
    template ANY ANY {
        rcode NXDOMAIN
    }
}
`

// startCoreDNS starts CoreDNS and waits until it has synced with the API
// server.
func (n *realNode) startCoreDNS(ctx context.Context, kubeconfig string) error {
	ready, err := freePort()
	if err != nil {
		return err
	}
	path := filepath.Join(n.dir, "etc", "Corefile")
	if err := os.WriteFile(path, []byte(fmt.Sprintf(corefile, RealNodeIP, strconv.Itoa(ready), kubeconfig)), 0o600); err != nil {
		return err
	}
	p, err := n.start(clusterbin.CoreDNS, "-conf", path)
	if err != nil {
		return err
	}
	return p.waitHTTP(ctx, "http://127.0.0.1:"+strconv.Itoa(ready)+"/ready")
}
