package juliaruntest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/juliarun/sdk/internal/clusterbin"
)

// Options shape a cluster. The zero value starts the API server only.
type Options struct {
	// Nodes is the number of simulated nodes of the default pool, named
	// NodeName(i), of the shape NodeCPU, NodeMemory, NodeGPU and NodePods,
	// without taints or PoolLabel. Default: 0. With no simulated node in
	// any pool (NodePools) and no real node, only the API server starts:
	// objects are stored and validated, but no controller acts on them and
	// no pod runs.
	Nodes int
	// NodeCPU is the CPU capacity of each node of Nodes. Default: "4".
	NodeCPU string
	// NodeMemory is the memory capacity of each node of Nodes. Default:
	// "16Gi".
	NodeMemory string
	// NodeGPU is the number of nvidia.com/gpu of each node of Nodes.
	// Default: 0.
	NodeGPU int
	// NodePods is the number of pods each node of Nodes can hold. Default:
	// 110, as a kubelet's.
	NodePods int
	// NodePools are more simulated nodes, in named pools, each of its own
	// shape, labels and taints (see NodePool), beside the nodes of Nodes.
	// Pool names must be unique. Default: none.
	NodePools []NodePool
	// JobPodLifetime: pods owned by a batch/v1 Job exit 0 this long after
	// they start running. Default: 0, every pod runs until ExitPod says
	// otherwise, like a long-running Julia process.
	JobPodLifetime time.Duration
	// PodLog is the output every simulated container shows to
	// `kubectl logs` and Client.Logs. Default: one line saying that the
	// process is simulated.
	PodLog string
	// RealNodes is the number of real nodes, 0 or 1: a kubelet with
	// containerd, runc, CNI, kube-proxy and CoreDNS that runs containers
	// for real, named RealNodeName and labelled RealNodeLabel. With
	// simulated nodes beside it (Nodes or NodePools), it is tainted
	// (RealNodeTaintKey) so only pods that ask for it land there
	// (OnRealNode); alone, it is untainted and every pod runs on it. A real
	// node needs root and the binaries of `go run ./hack/clusterbin
	// -realnode` (RealNodeAvailable); only one runs per machine at a time:
	// Start waits for another process's real node to stop (RealNodeLock).
	// See docs/TESTING.md. Default: 0.
	RealNodes int
	// RealNodeImages are image tarballs Start imports into the real node's
	// containerd (see ImportImage). Pods cannot pull images: every
	// registry is unreachable from the real node. Default: none.
	RealNodeImages []string
}

func (o Options) withDefaults() Options {
	d := o.defaultPool().withDefaults()
	o.NodeCPU, o.NodeMemory, o.NodePods = d.CPU, d.Memory, d.Pods
	o.NodePools = append([]NodePool(nil), o.NodePools...)
	for i := range o.NodePools {
		o.NodePools[i] = o.NodePools[i].withDefaults()
	}
	if o.PodLog == "" {
		o.PodLog = "juliaruntest: a simulated process on a simulated node; nothing runs here\n"
	}
	return o
}

// Cluster is a running local control plane. Its methods are safe for
// concurrent use.
type Cluster struct {
	opts       Options
	binDir     string
	dir        string // temporary files: kubeconfig, stages, logs
	env        *envtest.Environment
	cfg        *rest.Config
	client     kubernetes.Interface
	procs      []*component // started after the API server, stopped before it
	keepLogs   bool         // set when Start fails, so the logs its error names remain
	stopOnce   sync.Once
	stopErr    error
	apiMu      sync.Mutex // serializes StopAPIServer and StartAPIServer
	apiStopped bool       // by StopAPIServer
	apiLog     *os.File   // the API server's output, across restarts
	real       *realNode  // nil without Options.RealNodes
	// kubeletClientCA signs the API server's client certificate for
	// kubelets; set when a real node was asked for.
	kubeletClientCA string
}

// EnsureBinaries builds the control-plane binaries when they are not in the
// cache yet (about 14 minutes on 2 cores; progress goes to progress) and
// returns their directory.
func EnsureBinaries(ctx context.Context, progress interface{ Write([]byte) (int, error) }) (string, error) {
	return clusterbin.Ensure(ctx, progress)
}

// Available returns nil when the binaries Start needs are built, or an error
// that names the command that builds them.
func Available() error {
	dir, err := clusterbin.Dir()
	if err != nil {
		return err
	}
	if missing := clusterbin.Missing(dir); len(missing) > 0 {
		return fmt.Errorf("control-plane binaries %v are not in %s: run `go run ./hack/clusterbin` (or ./hack/test.sh) to build them", missing, dir)
	}
	return nil
}

// Start brings up a cluster. It builds nothing: see EnsureBinaries. On error
// everything it started is stopped again.
func Start(ctx context.Context, opts Options) (c *Cluster, err error) {
	if err := opts.withDefaults().validate(); err != nil {
		return nil, err
	}
	if err := Available(); err != nil {
		return nil, err
	}
	if opts.RealNodes > 0 {
		if err := RealNodeAvailable(); err != nil {
			return nil, fmt.Errorf("juliaruntest: %w", err)
		}
	}
	for _, img := range opts.RealNodeImages {
		if _, err := os.Stat(img); err != nil {
			return nil, fmt.Errorf("juliaruntest: Options.RealNodeImages: %w", err)
		}
	}
	binDir, _ := clusterbin.Dir()
	dir, err := os.MkdirTemp("", "juliaruntest-")
	if err != nil {
		return nil, err
	}
	c = &Cluster{opts: opts.withDefaults(), binDir: binDir, dir: dir}
	// started, not c: `return nil, err` sets c to nil before this runs.
	started := c
	defer func() {
		if err != nil {
			started.keepLogs = true
			_ = started.Stop()
			c = nil
		}
	}()
	if err := c.startAPIServer(); err != nil {
		return nil, err
	}
	if !c.hasComponents() {
		return c, nil
	}
	if err := c.startComponents(ctx); err != nil {
		return nil, err
	}
	if c.opts.RealNodes > 0 {
		if err := c.startRealNode(ctx); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// hasComponents reports whether the cluster runs controller-manager,
// scheduler and kwok: whenever it has nodes, simulated or real.
func (c *Cluster) hasComponents() bool { return c.opts.simulatedNodes() > 0 || c.opts.RealNodes > 0 }

func (c *Cluster) startAPIServer() error {
	useExisting := false
	c.env = &envtest.Environment{
		UseExistingCluster:       &useExisting,
		ControlPlaneStartTimeout: time.Minute,
		ControlPlaneStopTimeout:  30 * time.Second,
	}
	api := c.env.ControlPlane.GetAPIServer()
	api.Path = filepath.Join(c.binDir, clusterbin.KubeAPIServer)
	// A certificate directory of our own survives the API server's Stop
	// (envtest removes one it made itself), so RestartAPIServer keeps the
	// serving certificate and the service-account signing key.
	api.CertDir = filepath.Join(c.dir, "apiserver")
	if err := os.Mkdir(api.CertDir, 0o700); err != nil {
		return err
	}
	apiLog, err := os.Create(filepath.Join(c.dir, "kube-apiserver.log"))
	if err != nil {
		return err
	}
	c.apiLog = apiLog
	api.Out, api.Err = apiLog, apiLog
	// Without a grace period for watches, a stopping API server does not
	// exit within envtest's stop timeout while the components watch.
	api.Configure().Set("shutdown-watch-termination-grace-period", "1s")
	if c.opts.RealNodes > 0 {
		// The API server reaches a node by its Hostname address by default,
		// a DNS lookup off the machine; kwok nodes' InternalIP is
		// 127.0.0.1, the real node's RealNodeIP. The kubelet lets in only
		// this client certificate.
		api.Configure().Set("kubelet-preferred-address-types", "InternalIP")
		ca, cert, key, err := writeKubeletClientCerts(api.CertDir)
		if err != nil {
			return err
		}
		c.kubeletClientCA = ca
		api.Configure().Set("kubelet-client-certificate", cert)
		api.Configure().Set("kubelet-client-key", key)
	}
	c.env.ControlPlane.Etcd = &envtest.Etcd{Path: filepath.Join(c.binDir, clusterbin.Etcd)}
	cfg, err := c.env.Start()
	if err != nil {
		return fmt.Errorf("juliaruntest: starting etcd and kube-apiserver: %w", err)
	}
	c.cfg = cfg
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return err
	}
	c.client = client
	return nil
}

// Config returns a client configuration with cluster-admin rights.
func (c *Cluster) Config() *rest.Config { return rest.CopyConfig(c.cfg) }

// Stop ends every process the cluster started and removes its temporary
// files. It is safe to call more than once.
func (c *Cluster) Stop() error {
	c.stopOnce.Do(func() {
		var errs []error
		// The real node first: its kubelet, kube-proxy and CoreDNS use the
		// API server, and its traces must go even if the rest fails.
		if c.real != nil {
			if err := c.real.stop(); err != nil {
				errs = append(errs, err)
			}
		}
		// The extra components read the API server's certificate directory,
		// which envtest removes: stop them first.
		for i := len(c.procs) - 1; i >= 0; i-- {
			c.procs[i].stop()
		}
		if c.env != nil {
			if err := c.env.Stop(); err != nil {
				errs = append(errs, fmt.Errorf("juliaruntest: stopping etcd and kube-apiserver: %w", err))
			}
		}
		if c.apiLog != nil {
			c.apiLog.Close()
		}
		if !c.keepLogs {
			if err := os.RemoveAll(c.dir); err != nil {
				errs = append(errs, err)
			}
		}
		c.stopErr = errors.Join(errs...)
	})
	return c.stopErr
}

// logHint names the log files of the extra components, for error messages.
func (c *Cluster) logHint() string {
	var logs []string
	for _, p := range c.procs {
		logs = append(logs, p.logPath)
	}
	if c.real != nil {
		for _, p := range c.real.procs {
			logs = append(logs, p.logPath)
		}
	}
	if len(logs) == 0 {
		return ""
	}
	return " (logs: " + strings.Join(logs, ", ") + ")"
}
