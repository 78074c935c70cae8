package juliaruntest

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"strconv"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"

	"github.com/juliarun/sdk/internal/clusterbin"
)

// kubeletConfig is the kubelet's configuration; %[n]s are filled in by
// startKubelet. Why each setting (DESIGN.md, "A real node: facts"):
// v1.37 refuses cgroup v1 unless failCgroupV1 is false; this VM has swap
// and no systemd; the kubelet's own resolv.conf keeps the machine's
// resolver (off the machine) out of pods; eviction and image GC are
// nearly off so a full disk of a test machine does not evict test pods;
// makeIPTablesUtilChains false keeps it away from iptables; only the API
// server's client certificate (signed by our CA) is let in, and then
// allowed everything.
const kubeletConfig = `apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
failCgroupV1: false
cgroupDriver: cgroupfs
cgroupRoot: /%[9]s
failSwapOn: false
containerRuntimeEndpoint: unix://%[1]s
imageServiceEndpoint: unix://%[1]s
address: %[2]s
port: 10250
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: %[3]s
authentication:
  anonymous:
    enabled: false
  webhook:
    enabled: false
  x509:
    clientCAFile: %[4]s
authorization:
  mode: AlwaysAllow
clusterDomain: cluster.local
clusterDNS: [%[2]s]
resolvConf: %[5]s
podLogsDir: %[6]s
volumePluginDir: %[7]s
makeIPTablesUtilChains: false
protectKernelDefaults: false
serializeImagePulls: false
evictionHard:
  memory.available: 100Mi
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
shutdownGracePeriod: 0s
nodeStatusUpdateFrequency: 2s
registerWithTaints: %[8]s
`

// kubeletDir is the kubelet's --root-dir.
func (n *realNode) kubeletDir() string { return filepath.Join(n.dir, "kubelet") }

// startKubelet writes the kubelet's configuration and starts it, registering
// the node RealNodeName with RealNodeLabel and, when the cluster also has
// simulated nodes, the RealNodeTaintKey taint.
func (n *realNode) startKubelet(ctx context.Context, kubeconfig, clientCA string) error {
	dir := n.kubeletDir()
	for _, d := range []string{"", "pki", "pod-logs", "volume-plugins"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			return err
		}
	}
	resolv := filepath.Join(n.dir, "etc", "resolv.conf")
	if err := os.WriteFile(resolv, []byte("nameserver "+RealNodeIP+"\n"), 0o644); err != nil {
		return err
	}
	if err := makeCgroupRoot(); err != nil {
		return err
	}
	healthz, err := freePort()
	if err != nil {
		return err
	}
	taints := "[]"
	if n.tainted {
		t := RealNodeToleration()
		taints = fmt.Sprintf("[{key: %q, value: %q, effect: %s}]", t.Key, t.Value, t.Effect)
	}
	cfg := fmt.Sprintf(kubeletConfig, n.containerdSocket(), RealNodeIP, strconv.Itoa(healthz), clientCA,
		resolv, filepath.Join(dir, "pod-logs"), filepath.Join(dir, "volume-plugins"), taints, realNodeCgroup)
	cfgPath := filepath.Join(n.dir, "etc", "kubelet.yaml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		return err
	}
	p, err := n.start(clusterbin.Kubelet,
		"--config="+cfgPath,
		"--kubeconfig="+kubeconfig,
		"--root-dir="+dir,
		"--cert-dir="+filepath.Join(dir, "pki"),
		"--hostname-override="+RealNodeName,
		"--node-ip="+RealNodeIP,
		"--node-labels="+RealNodeLabel+"="+RealNodeLabelValue,
		"-v=2",
	)
	if err != nil {
		return err
	}
	return p.waitHTTP(ctx, "http://127.0.0.1:"+strconv.Itoa(healthz)+"/healthz")
}

// waitRealNodeReady waits until the real node reports Ready.
func (c *Cluster) waitRealNodeReady(ctx context.Context) error {
	err := wait.PollUntilContextCancel(ctx, 100*time.Millisecond, true, func(ctx context.Context) (bool, error) {
		for _, p := range c.real.procs {
			if err := p.running(); err != nil {
				return false, err
			}
		}
		n, err := c.client.CoreV1().Nodes().Get(ctx, RealNodeName, metav1.GetOptions{})
		if err != nil {
			return false, nil
		}
		return nodeReady(n), nil
	})
	if err != nil {
		return fmt.Errorf("juliaruntest: waiting for the real node %s to be Ready: %w%s", RealNodeName, err, c.real.logHint())
	}
	return nil
}

// writeKubeletClientCerts writes a CA and a client certificate it signed
// for the API server's requests to the kubelet (logs, exec, port-forward),
// and returns the paths of the CA, the certificate and its key.
func writeKubeletClientCerts(dir string) (caPath, certPath, keyPath string, err error) {
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return "", "", "", err
	}
	now := time.Now()
	caTmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "juliaruntest-kubelet-client-ca"},
		NotBefore:             now.Add(-time.Minute),
		NotAfter:              now.Add(7 * 24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return "", "", "", err
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		return "", "", "", err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return "", "", "", err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2),
		Subject:      pkix.Name{CommonName: "kube-apiserver-kubelet-client", Organization: []string{"system:masters"}},
		NotBefore:    now.Add(-time.Minute),
		NotAfter:     now.Add(7 * 24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		return "", "", "", err
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return "", "", "", err
	}
	caPath = filepath.Join(dir, "kubelet-client-ca.crt")
	certPath = filepath.Join(dir, "kubelet-client.crt")
	keyPath = filepath.Join(dir, "kubelet-client.key")
	for path, block := range map[string]*pem.Block{
		caPath:   {Type: "CERTIFICATE", Bytes: caDER},
		certPath: {Type: "CERTIFICATE", Bytes: der},
		keyPath:  {Type: "EC PRIVATE KEY", Bytes: keyDER},
	} {
		if err := os.WriteFile(path, pem.EncodeToMemory(block), 0o600); err != nil {
			return "", "", "", err
		}
	}
	return caPath, certPath, keyPath, nil
}

// realNodeTaint is the taint matching RealNodeToleration, for tests.
func realNodeTaint() corev1.Taint {
	t := RealNodeToleration()
	return corev1.Taint{Key: t.Key, Value: t.Value, Effect: t.Effect}
}
