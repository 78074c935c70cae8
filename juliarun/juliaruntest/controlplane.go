package juliaruntest

import (
	"context"
	"embed"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/juliarun/sdk/internal/clusterbin"
)

//go:embed stages/*.yaml
var stageFiles embed.FS

// podCIDR is where kwok allocates pod IPs. kwok's default (10.0.0.0/24)
// overlaps envtest's Service range.
const podCIDR = "10.244.0.0/16"

// startComponents starts kube-controller-manager, kube-scheduler and kwok,
// then creates the simulated nodes and waits until they are Ready.
func (c *Cluster) startComponents(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	kubeconfig, err := c.writeAdminKubeconfig()
	if err != nil {
		return err
	}
	certDir := c.env.ControlPlane.APIServer.CertDir
	auth := []string{
		"--kubeconfig=" + kubeconfig,
		"--authentication-kubeconfig=" + kubeconfig,
		"--authorization-kubeconfig=" + kubeconfig,
		"--authentication-skip-lookup=true",
		"--leader-elect=false",
		"--bind-address=127.0.0.1",
	}

	if _, err := c.startServing(ctx, clusterbin.KubeControllerManager, append(auth,
		// Without the signing key the token controller stays off.
		"--service-account-private-key-file="+filepath.Join(certDir, "sa-signer.key"),
		"--kube-api-qps=200", "--kube-api-burst=400",
		"--concurrent-statefulset-syncs=10", "--concurrent-job-syncs=10",
	)...); err != nil {
		return err
	}
	if _, err := c.startServing(ctx, clusterbin.KubeScheduler, append(auth,
		"--kube-api-qps=200", "--kube-api-burst=400",
	)...); err != nil {
		return err
	}
	stages, err := c.writeStages()
	if err != nil {
		return err
	}
	kwokPort, err := freePort()
	if err != nil {
		return err
	}
	cert, key, err := writeServingCert(c.dir)
	if err != nil {
		return err
	}
	kwok, err := c.start(clusterbin.Kwok,
		"--kubeconfig="+kubeconfig,
		"--config="+stages,
		"--manage-all-nodes=false",
		"--manage-nodes-with-annotation-selector="+kwokNodeAnnotation+"=fake",
		"--cidr="+podCIDR,
		// Loopback: whatever the API server sends "to a node" (log and
		// exec requests) stays on this machine.
		"--node-ip=127.0.0.1",
		"--node-lease-duration-seconds=40",
		// kwok serves the kubelet API (pod logs) for every fake node.
		"--server-address=127.0.0.1:"+strconv.Itoa(kwokPort),
		"--node-port="+strconv.Itoa(kwokPort),
		"--tls-cert-file="+cert, "--tls-private-key-file="+key,
	)
	if err != nil {
		return err
	}
	if err := c.createNodes(ctx, kwok); err != nil {
		return err
	}
	return nil
}

// startServing starts binary with args and --secure-port=<a free port>,
// and waits until it serves /healthz on that port itself. A port another
// process took between freePort and the bind (clusters of several test
// binaries starting side by side) is tried again with another: the other
// process's /healthz must not pass for this one's.
func (c *Cluster) startServing(ctx context.Context, binary string, args ...string) (*component, error) {
	for attempt := 1; ; attempt++ {
		port, err := freePort()
		if err != nil {
			return nil, err
		}
		p, err := c.start(binary, append(args, "--secure-port="+strconv.Itoa(port))...)
		if err != nil {
			return nil, err
		}
		err = p.waitHealthy(ctx, port)
		if err == nil {
			return p, nil
		}
		if attempt == 3 || !strings.Contains(tailFile(p.logPath, 4000), "address already in use") {
			return nil, err
		}
	}
}

func (c *Cluster) start(binary string, args ...string) (*component, error) {
	p, err := startComponent(c.dir, filepath.Join(c.binDir, binary), binary, args...)
	if err != nil {
		return nil, err
	}
	c.procs = append(c.procs, p)
	return p, nil
}

// writeAdminKubeconfig writes a kubeconfig of a system:masters user for the
// extra components, and returns its path.
func (c *Cluster) writeAdminKubeconfig() (string, error) {
	user, err := c.env.ControlPlane.AddUser(envtest.User{Name: "juliaruntest-admin", Groups: []string{"system:masters"}}, nil)
	if err != nil {
		return "", fmt.Errorf("juliaruntest: adding the admin user: %w", err)
	}
	data, err := user.KubeConfig()
	if err != nil {
		return "", err
	}
	path := filepath.Join(c.dir, "admin.kubeconfig")
	return path, os.WriteFile(path, data, 0o600)
}

// Kubeconfig returns the path of a kubeconfig file with cluster-admin rights,
// for kubectl and other tools. It is removed by Stop.
func (c *Cluster) Kubeconfig() (string, error) {
	path := filepath.Join(c.dir, "admin.kubeconfig")
	if _, err := os.Stat(path); err == nil {
		return path, nil
	}
	return c.writeAdminKubeconfig()
}

// BinaryDir returns the directory of the control-plane binaries (kubectl
// among them).
func (c *Cluster) BinaryDir() string { return c.binDir }

// clusterLogs makes every simulated container's log the file named by %s.
const clusterLogs = `apiVersion: kwok.x-k8s.io/v1alpha1
kind: ClusterLogs
metadata:
  name: juliaruntest-logs
spec:
  logs:
  - logsFile: %s
    follow: true
`

// writeStages writes kwok's configuration (Stages and ClusterLogs) and
// returns the file's path.
func (c *Cluster) writeStages() (string, error) {
	names := []string{"node-initialize.yaml", "node-heartbeat.yaml", "pod-ready.yaml", "pod-disrupted.yaml", "pod-delete.yaml"}
	if c.opts.JobPodLifetime > 0 {
		names = append(names, "pod-complete.yaml")
	}
	var docs []string
	for _, n := range names {
		data, err := stageFiles.ReadFile("stages/" + n)
		if err != nil {
			return "", err
		}
		doc := strings.ReplaceAll(string(data), "__LIFETIME_MS__", strconv.FormatInt(c.opts.JobPodLifetime.Milliseconds(), 10))
		docs = append(docs, doc)
	}
	logFile := filepath.Join(c.dir, "pod.log")
	if err := os.WriteFile(logFile, criLog(c.opts.PodLog, time.Now()), 0o600); err != nil {
		return "", err
	}
	docs = append(docs, fmt.Sprintf(clusterLogs, strconv.Quote(logFile)))
	path := filepath.Join(c.dir, "kwok-stages.yaml")
	return path, os.WriteFile(path, []byte(strings.Join(docs, "\n---\n")), 0o600)
}

// criLog formats text as a container runtime's log file, which kwok reads:
// "<RFC3339Nano time> stdout F <line>" for each line.
func criLog(text string, at time.Time) []byte {
	var b strings.Builder
	stamp := at.UTC().Format(time.RFC3339Nano)
	for _, line := range strings.SplitAfter(text, "\n") {
		if line == "" {
			continue
		}
		b.WriteString(stamp + " stdout F " + strings.TrimSuffix(line, "\n") + "\n")
	}
	return []byte(b.String())
}
