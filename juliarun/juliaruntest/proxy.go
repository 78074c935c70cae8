package juliaruntest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"github.com/juliarun/sdk/internal/clusterbin"
)

// kubeProxyConfig runs kube-proxy in nftables mode (its own tables, which
// cleanNetwork deletes) with every conntrack value 0, so it changes no
// sysctl, and node ports only on the node's address.
const kubeProxyConfig = `apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
mode: nftables
clientConnection:
  kubeconfig: %[1]s
hostnameOverride: %[2]s
bindAddress: %[3]s
healthzBindAddress: 127.0.0.1:%[4]s
metricsBindAddress: 127.0.0.1:%[5]s
clusterCIDR: %[6]s
detectLocalMode: ClusterCIDR
nodePortAddresses: [%[3]s/32]
oomScoreAdj: 0
conntrack:
  maxPerCore: 0
  min: 0
  tcpEstablishedTimeout: 0s
  tcpCloseWaitTimeout: 0s
`

// startKubeProxy starts kube-proxy and waits until it is healthy (it has
// written its rules once).
func (n *realNode) startKubeProxy(ctx context.Context, kubeconfig string) error {
	healthz, err := freePort()
	if err != nil {
		return err
	}
	metrics, err := freePort()
	if err != nil {
		return err
	}
	cfg := fmt.Sprintf(kubeProxyConfig, kubeconfig, RealNodeName, RealNodeIP, strconv.Itoa(healthz), strconv.Itoa(metrics), RealNodePodCIDR)
	path := filepath.Join(n.dir, "etc", "kube-proxy.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		return err
	}
	p, err := n.start(clusterbin.KubeProxy, "--config="+path, "-v=2")
	if err != nil {
		return err
	}
	return p.waitHTTP(ctx, "http://127.0.0.1:"+strconv.Itoa(healthz)+"/healthz")
}
