package bench_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-logr/logr"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/juliarun/sdk/bench"
	"github.com/juliarun/sdk/jobs"
	"github.com/juliarun/sdk/juliarun"
	"github.com/juliarun/sdk/juliarun/juliaruntest"
)

func init() {
	// juliarun.New goes through controller-runtime's client.New, which, when
	// called 30 s or more after the process started without a logger set,
	// prints "log.SetLogger(...) was never called" and a stack trace to
	// stderr (see BENCHMARKS.md, findings). The long benchmarks create
	// clients that late: keep their output readable.
	ctrllog.SetLogger(logr.Discard())
}

// jobType is one job type as the benchmarks start it: its defaults, with 8
// workers where it has workers, every volume it mounts named "work" or
// "stats".
type jobType struct {
	name string
	job  func(name string) jobs.Job
}

var jobTypes = []jobType{
	{"Batch", func(n string) jobs.Job { return jobs.NewBatch(n, "main.jl", "work") }},
	{"ParBatch", func(n string) jobs.Job { return jobs.NewParBatch(n, "main.jl", "work", jobs.WithNWorkers(8)) }},
	{"ParBatchWorkers", func(n string) jobs.Job {
		return jobs.NewParBatchWorkers(n, "unit.jl", "work", jobs.WithNWorkers(8))
	}},
	{"Notebook", func(n string) jobs.Job { return jobs.NewNotebook(n, "work") }},
	{"PkgBuilder", func(n string) jobs.Job { return jobs.NewPkgBuilder(n, "build.jl", "work", "stats") }},
	{"Webserver", func(n string) jobs.Job { return jobs.NewWebserver(n, "nginx.conf", "work") }},
	{"MessageQ", func(n string) jobs.Job { return jobs.NewMessageQ(n, "rabbitmq.conf", "work") }},
	{"Generic", func(n string) jobs.Job { return jobs.NewGeneric(n, "busybox", "work") }},
}

// startCluster starts the control plane of one benchmark family, stopped
// when the benchmark ends. It skips loudly when the binaries are missing.
func startCluster(b *testing.B, opts juliaruntest.Options) *juliaruntest.Cluster {
	b.Helper()
	start := time.Now()
	c := juliaruntest.StartForTest(b, opts)
	b.Logf("cluster with %d nodes ready in %v", opts.Nodes, time.Since(start).Round(time.Millisecond))
	return c
}

// newNamespace creates a namespace that enforces Pod Security "restricted"
// and the volumes "work" and "stats" the benchmark jobs mount.
func newNamespace(b *testing.B, c *juliaruntest.Cluster, name string) string {
	b.Helper()
	ctx := context.Background()
	cs := clientset(b, c.Config())
	_, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name,
		Labels: map[string]string{"pod-security.kubernetes.io/enforce": "restricted"}}}, metav1.CreateOptions{})
	if err != nil {
		b.Fatal(err)
	}
	for _, v := range []string{"work", "stats"} {
		if err := c.CreateVolume(ctx, name, v, "1Gi"); err != nil {
			b.Fatal(err)
		}
	}
	return name
}

// unlimited returns a copy of cfg without a client-side rate limit, so that
// latency benchmarks measure code paths and the API server, not token
// buckets. Every method compared in one benchmark gets the same config.
func unlimited(cfg *rest.Config) *rest.Config {
	cfg = rest.CopyConfig(cfg)
	cfg.QPS, cfg.Burst = -1, 0
	return cfg
}

// clientset returns a client-go clientset for cfg.
func clientset(b *testing.B, cfg *rest.Config) *kubernetes.Clientset {
	b.Helper()
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		b.Fatal(err)
	}
	return cs
}

// newClient returns a juliarun Client for namespace ns on cfg.
func newClient(b *testing.B, cfg *rest.Config, ns string, opts ...juliarun.Option) juliarun.Client {
	b.Helper()
	c, err := juliarun.New(cfg, append([]juliarun.Option{juliarun.WithNamespace(ns)}, opts...)...)
	if err != nil {
		b.Fatal(err)
	}
	return c
}

// reportCounts reports the requests in total, made over ops operations,
// as per-operation metrics: "reqs/op", one "<verb>/op" per verb, and
// "resp-B/op" for the response bytes read. prefix names the method
// ("sdk-", "sts-") where several are compared.
func reportCounts(b *testing.B, total bench.Counts, ops int, prefix string) {
	b.Helper()
	if ops == 0 {
		return
	}
	per := func(n float64) float64 { return n / float64(ops) }
	b.ReportMetric(per(float64(total.Total())), prefix+"reqs/op")
	for verb, n := range total.ByVerb {
		b.ReportMetric(per(float64(n)), prefix+verb+"/op")
	}
	b.ReportMetric(per(float64(total.BytesRead)), prefix+"resp-B/op")
}

// tally adds up the requests of one operation over a benchmark's loop.
type tally struct {
	total, last bench.Counts
	ops         int
}

// measure runs op, failing the benchmark on error, and adds the requests
// counter saw while it ran.
func (t *tally) measure(b *testing.B, counter *bench.Counter, op func() error) {
	b.Helper()
	before := counter.Snapshot()
	if err := op(); err != nil {
		b.Fatal(err)
	}
	t.last = counter.Snapshot().Sub(before)
	t.total = addCounts(t.total, t.last)
	t.ops++
}

// report reports the requests per operation (see reportCounts).
func (t *tally) report(b *testing.B) {
	b.Helper()
	reportCounts(b, t.total, t.ops, "")
}

// addCounts returns a + b.
func addCounts(a, b bench.Counts) bench.Counts {
	out := bench.Counts{ByVerb: map[string]int{}, ByResource: map[string]int{}, BytesRead: a.BytesRead + b.BytesRead}
	for _, m := range []bench.Counts{a, b} {
		for k, v := range m.ByVerb {
			out.ByVerb[k] += v
		}
		for k, v := range m.ByResource {
			out.ByResource[k] += v
		}
	}
	return out
}

// samples collects the durations of each method compared in a benchmark.
type samples map[string][]time.Duration

// time runs f as method, adds its duration, and fails b on error.
func (s samples) time(b *testing.B, method string, f func() error) {
	b.Helper()
	start := time.Now()
	if err := f(); err != nil {
		b.Fatalf("%s: %v", method, err)
	}
	s[method] = append(s[method], time.Since(start))
}

// report reports the median duration of each method in milliseconds, as
// "<method>-ms".
func (s samples) report(b *testing.B) {
	b.Helper()
	for method, ds := range s {
		b.ReportMetric(float64(median(ds).Microseconds())/1000, method+"-ms")
	}
}

// median returns the median of ds, 0 for none.
func median(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// rotate returns methods rotated by i, so that interleaved methods take
// turns at running first.
func rotate(methods []string, i int) []string {
	i %= len(methods)
	return append(slices.Clone(methods[i:]), methods[:i]...)
}

// render returns the objects the native backend renders for job.
func render(b *testing.B, job jobs.Job, ns string) []client.Object {
	b.Helper()
	objs, err := juliarun.NewNativeBackend().Render(job, ns)
	if err != nil {
		b.Fatal(err)
	}
	return objs
}

// createRaw is the hand-written alternative to Client.Start: the same
// objects created with client-go's typed clientset, one request each, the
// first owning the rest.
func createRaw(ctx context.Context, cs kubernetes.Interface, objs []client.Object) error {
	root, ok := objs[0].(*corev1.ConfigMap)
	if !ok {
		return fmt.Errorf("root is a %T, not a ConfigMap", objs[0])
	}
	created, err := cs.CoreV1().ConfigMaps(root.Namespace).Create(ctx, root, metav1.CreateOptions{})
	if err != nil {
		return err
	}
	owner := []metav1.OwnerReference{{APIVersion: "v1", Kind: "ConfigMap", Name: created.Name, UID: created.UID}}
	for _, o := range objs[1:] {
		o.SetOwnerReferences(owner)
		ns := o.GetNamespace()
		var err error
		switch o := o.(type) {
		case *corev1.ConfigMap:
			_, err = cs.CoreV1().ConfigMaps(ns).Create(ctx, o, metav1.CreateOptions{})
		case *corev1.Secret:
			_, err = cs.CoreV1().Secrets(ns).Create(ctx, o, metav1.CreateOptions{})
		case *corev1.Service:
			_, err = cs.CoreV1().Services(ns).Create(ctx, o, metav1.CreateOptions{})
		case *networkingv1.NetworkPolicy:
			_, err = cs.NetworkingV1().NetworkPolicies(ns).Create(ctx, o, metav1.CreateOptions{})
		case *batchv1.Job:
			_, err = cs.BatchV1().Jobs(ns).Create(ctx, o, metav1.CreateOptions{})
		case *appsv1.StatefulSet:
			_, err = cs.AppsV1().StatefulSets(ns).Create(ctx, o, metav1.CreateOptions{})
		case *appsv1.Deployment:
			_, err = cs.AppsV1().Deployments(ns).Create(ctx, o, metav1.CreateOptions{})
		default:
			err = fmt.Errorf("no hand-written create for %T", o)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// kubectl runs the cluster's kubectl with an admin kubeconfig and its own
// discovery cache, warmed once so that each run is what a user's repeated
// `kubectl apply` costs.
type kubectl struct {
	path, kubeconfig, cacheDir string
}

// newKubectl returns the cluster's kubectl with a warm discovery cache, and
// skips when kubectl is not built.
func newKubectl(b *testing.B, c *juliaruntest.Cluster) *kubectl {
	b.Helper()
	kc, err := c.Kubeconfig()
	if err != nil {
		b.Fatal(err)
	}
	k := &kubectl{path: filepath.Join(c.BinaryDir(), "kubectl"), kubeconfig: kc, cacheDir: b.TempDir()}
	if _, err := os.Stat(k.path); err != nil {
		b.Skipf("SKIPPING: kubectl is not built: %v", err)
	}
	if _, err := k.run(context.Background(), "api-resources"); err != nil {
		b.Fatal(err)
	}
	return k
}

// run runs kubectl and returns what it printed on stdout.
func (k *kubectl) run(ctx context.Context, args ...string) (string, error) {
	stdout, _, err := k.runWithInput(ctx, nil, args...)
	return stdout, err
}

// runWithInput runs kubectl with stdin read from in (nil: none) and returns
// what it printed on stdout and on stderr.
func (k *kubectl) runWithInput(ctx context.Context, in []byte, args ...string) (stdout, stderr string, err error) {
	cmd := exec.CommandContext(ctx, k.path, append([]string{"--kubeconfig=" + k.kubeconfig, "--cache-dir=" + k.cacheDir}, args...)...)
	if in != nil {
		cmd.Stdin = bytes.NewReader(in)
	}
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		return out.String(), errOut.String(), fmt.Errorf("kubectl %s: %w: %s", strings.Join(args, " "), err, errOut.String())
	}
	return out.String(), errOut.String(), nil
}

// writeManifest writes the job's YAML, as juliarun.Manifest renders it for
// kubectl, and returns the file's path.
func writeManifest(b *testing.B, job jobs.Job, ns string) string {
	b.Helper()
	y, err := juliarun.Manifest(juliarun.NewNativeBackend(), job, ns)
	if err != nil {
		b.Fatal(err)
	}
	path := filepath.Join(b.TempDir(), job.Spec().Name+".yaml")
	if err := os.WriteFile(path, y, 0o600); err != nil {
		b.Fatal(err)
	}
	return path
}

// kubectlVerbose matches the request lines of `kubectl -v=6`.
var kubectlVerbose = regexp.MustCompile(`"Response" verb="([A-Z]+)" url="([^"]+)"`)

// requests runs kubectl with -v=6 and counts its API requests by verb, as
// the Counter classifies them.
func (k *kubectl) requests(ctx context.Context, args ...string) (bench.Counts, error) {
	_, out, err := k.runWithInput(ctx, nil, append([]string{"-v=6"}, args...)...)
	if err != nil {
		return bench.Counts{}, err
	}
	counts := bench.Counts{ByVerb: map[string]int{}, ByResource: map[string]int{}}
	for _, m := range kubectlVerbose.FindAllStringSubmatch(out, -1) {
		u, err := url.Parse(m[2])
		if err != nil {
			return counts, err
		}
		verb, resource := bench.Classify(m[1], u)
		counts.ByVerb[verb]++
		counts.ByResource[strings.TrimSpace(verb+" "+resource)]++
	}
	if counts.Total() == 0 {
		return counts, errors.New("kubectl -v=6 printed no request lines: " + firstLines(out, 5))
	}
	return counts, nil
}

// firstLines returns the first n lines of s.
func firstLines(s string, n int) string {
	lines := strings.SplitN(s, "\n", n+1)
	if len(lines) > n {
		lines = lines[:n]
	}
	return strings.Join(lines, "\n")
}

// waitPodsGone waits until no pod matching selector is left in ns.
func waitPodsGone(ctx context.Context, cs kubernetes.Interface, ns, selector string) error {
	return wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, 3*time.Minute, true, func(ctx context.Context) (bool, error) {
		list, err := cs.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: selector, Limit: 1})
		if err != nil {
			return false, err
		}
		return len(list.Items) == 0, nil
	})
}
