package render_test

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"github.com/juliarun/sdk/internal/render"
	"github.com/juliarun/sdk/jobs"
	"github.com/juliarun/sdk/resources"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

const testNamespace = "science"

// fixedRand is a deterministic byte stream, so golden files are stable.
type fixedRand struct{ next byte }

func (f *fixedRand) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = f.next
		f.next = f.next*31 + 7
	}
	return len(p), nil
}

// goldenCases are the jobs the golden files show: every type with its
// defaults, and with every option that applies to it.
func goldenCases() []struct {
	name string
	job  jobs.Job
} {
	all := []jobs.Option{
		jobs.WithPkgBundle("stats"), jobs.WithAdditionalVolumes("data", "out"),
		jobs.WithExternal(true), jobs.WithImage("julia:1.11"),
		jobs.WithCPU(resources.Cores(1)), jobs.WithCPULimit(resources.Cores(2)),
		jobs.WithMemory(resources.GiB(2)), jobs.WithMemoryLimit(resources.GiB(4)), jobs.WithGPU(1),
		jobs.WithEnvVars(map[string]string{"ALPHA": "1", "BETA": "two"}),
	}
	workers := append(all[:len(all):len(all)], jobs.WithNWorkers(4),
		jobs.WithWorkerCPU(resources.Cores(1)), jobs.WithWorkerCPULimit(resources.Cores(1)),
		jobs.WithWorkerMemory(resources.GiB(1)), jobs.WithWorkerMemoryLimit(resources.GiB(2)),
		jobs.WithWorkerGPU(1), jobs.WithWorkerEnvVars(map[string]string{"WORKER_ONLY": "yes"}))
	ports := jobs.WithPorts(map[string]jobs.Port{"web": {Container: 8080, Service: 80}, "api": {Container: 9000, Service: 9000}})
	service := []jobs.Option{jobs.WithAdditionalVolumes("data"), jobs.WithExternal(true),
		jobs.WithCPU(resources.Cores(1)), jobs.WithCPULimit(resources.Cores(2)),
		jobs.WithMemory(resources.GiB(1)), jobs.WithMemoryLimit(resources.GiB(2)),
		jobs.WithEnvVars(map[string]string{"ALPHA": "1"})}
	return []struct {
		name string
		job  jobs.Job
	}{
		{"batch-defaults", jobs.NewBatch("pi", "pi.jl", "work")},
		{"batch-all", jobs.NewBatch("pi", "pi.jl", "work", append(all, ports, jobs.WithShell("/usr/local/bin/run.sh"))...)},
		{"parbatch-defaults", jobs.NewParBatch("pi", "pi.jl", "work")},
		{"parbatch-all", jobs.NewParBatch("pi", "pi.jl", "work", append(workers, ports,
			jobs.WithWorkerShell("worker.sh"), jobs.WithWorkerStartScript("w.jl"))...)},
		{"parbatch-never", jobs.NewParBatch("pi", "pi.jl", "work", jobs.WithNWorkers(3), jobs.WithRestart(jobs.RestartNever))},
		{"parbatch-onfailure-zero", jobs.NewParBatch("pi", "pi.jl", "work", jobs.WithRestart(jobs.RestartOnFailure))},
		{"parbatchworkers-defaults", jobs.NewParBatchWorkers("frames", "render.jl", "work")},
		{"parbatchworkers-all", jobs.NewParBatchWorkers("frames", "render.jl", "work", append(all, ports, jobs.WithNWorkers(10))...)},
		{"parbatchworkers-onfailure", jobs.NewParBatchWorkers("frames", "render.jl", "work", jobs.WithNWorkers(5), jobs.WithRestart(jobs.RestartOnFailure))},
		{"notebook-defaults", jobs.NewNotebook("explore", "work")},
		{"notebook-all", jobs.NewNotebook("explore", "work", append(workers, jobs.WithPassword("correct horse"),
			jobs.WithPorts(map[string]jobs.Port{"nb": {Container: 8888, Service: 443}, "dash": {Container: 8050, Service: 8050}}))...)},
		{"pkgbuilder-defaults", jobs.NewPkgBuilder("build", "build.jl", "work", "stats")},
		{"pkgbuilder-all", jobs.NewPkgBuilder("build", "build.jl", "work", "stats", jobs.WithAdditionalVolumes("src"),
			jobs.WithImage("julia:1.11"), jobs.WithCPULimit(resources.Cores(4)), jobs.WithGPU(1),
			jobs.WithEnvVars(map[string]string{"JULIA_NUM_THREADS": "2"}))},
		{"webserver-defaults", jobs.NewWebserver("web", "nginx.conf", "work")},
		{"webserver-all", jobs.NewWebserver("web", "/etc/nginx/custom.conf", "work", append(service, ports,
			jobs.WithImage("nginx:1.27"), jobs.WithNWorkers(3))...)},
		{"messageq-defaults", jobs.NewMessageQ("queue", "rabbitmq.conf", "work")},
		{"messageq-all", jobs.NewMessageQ("queue", "rabbitmq.conf", "work", append(service, jobs.WithImage("rabbitmq:4"))...)},
		{"batch-settings", jobs.NewBatch("pi", "pi.jl", "work", append(jobSettings(),
			append(podSettings(jobs.Master), jobs.WithRunTimeLimit(90*time.Minute),
				jobs.WithTTLAfterFinished(time.Hour), jobs.WithRetryLimit(2))...)...)},
		{"parbatch-settings", jobs.NewParBatch("pi", "pi.jl", "work", append(append(jobSettings(), podSettings(jobs.Workers)...),
			jobs.WithNWorkers(2), jobs.WithNodeSelector(jobs.Master, map[string]string{"pool": "cpu"}),
			jobs.WithRunTimeLimit(time.Hour), jobs.WithTTLAfterFinished(0))...)},
		{"notebook-overlay", jobs.NewNotebook("explore", "work", jobs.WithNWorkers(1),
			jobs.WithPodOverlay(jobs.Master, sidecarOverlay()), jobs.WithPodOverlay(jobs.Workers, corev1.PodTemplateSpec{
				Spec: corev1.PodSpec{DNSPolicy: corev1.DNSNone, DNSConfig: &corev1.PodDNSConfig{Nameservers: []string{"10.0.0.10"}}}}))},
		{"webserver-settings", jobs.NewWebserver("web", "nginx.conf", "work", append(jobSettings(), podSettings(jobs.Master)...)...)},
		{"generic-defaults", jobs.NewGeneric("tool", "busybox", "work")},
		{"generic-all", jobs.NewGeneric("tool", "busybox", "work", append(service, ports, jobs.WithNWorkers(2),
			jobs.WithCommand("sh", "-c"), jobs.WithArgs("sleep 3600"))...)},
	}
}

// jobSettings are every job-wide Kubernetes setting.
func jobSettings() []jobs.Option {
	return []jobs.Option{
		jobs.WithLabels(map[string]string{"team": "risk", "cost-center": "42"}),
		jobs.WithAnnotations(map[string]string{"example.com/owner": "ada"}),
		jobs.WithImagePullSecrets("registry-cred"), jobs.WithImagePullPolicy(corev1.PullAlways),
	}
}

// podSettings are every setting of role's pods.
func podSettings(role jobs.Role) []jobs.Option {
	return []jobs.Option{
		jobs.WithNodeSelector(role, map[string]string{"pool": "gpu"}),
		jobs.WithTolerations(role, corev1.Toleration{Key: "nvidia.com/gpu", Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule}),
		jobs.WithAffinity(role, &corev1.Affinity{NodeAffinity: &corev1.NodeAffinity{
			PreferredDuringSchedulingIgnoredDuringExecution: []corev1.PreferredSchedulingTerm{{Weight: 10, Preference: corev1.NodeSelectorTerm{
				MatchExpressions: []corev1.NodeSelectorRequirement{{Key: "topology.kubernetes.io/zone", Operator: corev1.NodeSelectorOpIn, Values: []string{"a"}}}}}}}}),
		jobs.WithTopologySpread(role, corev1.TopologySpreadConstraint{MaxSkew: 1, TopologyKey: "kubernetes.io/hostname", WhenUnsatisfiable: corev1.ScheduleAnyway}),
		jobs.WithPriorityClass(role, "high"), jobs.WithRuntimeClass(role, "nvidia"),
		jobs.WithServiceAccount(role, "reader"), jobs.WithServiceAccountToken(role, true),
		jobs.WithPodLabels(role, map[string]string{"tier": "compute"}),
		jobs.WithPodAnnotations(role, map[string]string{"example.com/scrape": "true"}),
		jobs.WithEnvFrom(role, map[string]jobs.EnvSource{"API_TOKEN": jobs.FromSecret("api", "token"), "MODE": jobs.FromConfigMap("settings", "mode")}),
		jobs.WithEnvFromSecrets(role, "db"), jobs.WithEnvFromConfigMaps(role, "defaults"),
		jobs.WithVolumes(role, jobs.SecretVolume("tls", "/etc/tls"), jobs.ConfigMapVolume("conf", "/etc/app"),
			jobs.EmptyDirVolume("/scratch", resources.GiB(10))),
		jobs.WithShmSize(role, resources.GiB(1)),
	}
}

// sidecarOverlay adds a sidecar and sets a field of the main container.
func sidecarOverlay() corev1.PodTemplateSpec {
	return corev1.PodTemplateSpec{Spec: corev1.PodSpec{Containers: []corev1.Container{
		{Name: jobs.MainContainer, TerminationMessagePolicy: corev1.TerminationMessageFallbackToLogsOnError},
		{Name: "proxy", Image: "envoyproxy/envoy:v1.31", Args: []string{"-c", "/etc/envoy/envoy.yaml"}},
	}}}
}

func renderJob(t testing.TB, job jobs.Job, rand interface{ Read([]byte) (int, error) }) []client.Object {
	t.Helper()
	if err := job.Validate(); err != nil {
		t.Fatalf("invalid test job: %v", err)
	}
	objs, err := render.Render(job.Spec(), testNamespace, rand)
	if err != nil {
		t.Fatalf("Render: %v", err)
	}
	return objs
}

func toYAML(t testing.TB, objs []client.Object) []byte {
	t.Helper()
	var buf bytes.Buffer
	for i, o := range objs {
		y, err := yaml.Marshal(o)
		if err != nil {
			t.Fatal(err)
		}
		if i > 0 {
			buf.WriteString("---\n")
		}
		buf.Write(y)
	}
	return buf.Bytes()
}

func TestGolden(t *testing.T) {
	for _, tc := range goldenCases() {
		t.Run(tc.name, func(t *testing.T) {
			got := toYAML(t, renderJob(t, tc.job, &fixedRand{}))
			path := filepath.Join("testdata", tc.name+".golden")
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test ./internal/render -update)", err)
			}
			if diff := cmp.Diff(string(want), string(got)); diff != "" {
				t.Errorf("rendering changed (-want +got); if intended, run go test ./internal/render -update:\n%s", diff)
			}
		})
	}
}

func TestDeterministic(t *testing.T) {
	for _, tc := range goldenCases() {
		a := toYAML(t, renderJob(t, tc.job, &fixedRand{}))
		b := toYAML(t, renderJob(t, tc.job, &fixedRand{}))
		if !bytes.Equal(a, b) {
			t.Errorf("%s: two renders with the same randomness differ", tc.name)
		}
	}
}

// TestOnlySecretsDiffer renders each job twice with real randomness: the
// cookie and password salt differ, nothing else does.
func TestOnlySecretsDiffer(t *testing.T) {
	for _, tc := range goldenCases() {
		a, b := renderJob(t, tc.job, rand.Reader), renderJob(t, tc.job, rand.Reader)
		sa, sb := secretOf(a), secretOf(b)
		if got, want := sa != nil, jobs.HasMasterWorkers(tc.job.Type()) || tc.job.Spec().Password != ""; got != want {
			t.Errorf("%s: Secret present = %v, want %v (exactly for Distributed jobs and password-protected notebooks)", tc.name, got, want)
		}
		if sa != nil {
			for k := range sa.Data {
				if bytes.Equal(sa.Data[k], sb.Data[k]) {
					t.Errorf("%s: two renders share the secret %s", tc.name, k)
				}
			}
			sa.Data, sb.Data = nil, nil
		}
		if diff := cmp.Diff(string(toYAML(t, a)), string(toYAML(t, b))); diff != "" {
			t.Errorf("%s: renders differ outside the Secret's data (-first +second):\n%s", tc.name, diff)
		}
	}
}

func secretOf(objs []client.Object) *corev1.Secret {
	for _, o := range objs {
		if s, ok := o.(*corev1.Secret); ok {
			return s
		}
	}
	return nil
}

// TestSecretsStayInTheSecret checks that the cookie appears only in the
// Secret's data and the password nowhere, in plain text or base64.
func TestSecretsStayInTheSecret(t *testing.T) {
	const password = "correct horse battery staple"
	job := jobs.NewNotebook("explore", "work", jobs.WithPassword(password), jobs.WithNWorkers(2))
	objs := renderJob(t, job, rand.Reader)
	sec := secretOf(objs)
	if sec == nil {
		t.Fatal("no Secret rendered")
	}
	cookie := string(sec.Data[render.SecretKeyCookie])
	if len(cookie) != 16 {
		t.Fatalf("cookie length = %d, want 16 (Julia's HDR_COOKIE_LEN)", len(cookie))
	}
	hash := string(sec.Data[render.SecretKeyPasswordHash])
	if !strings.HasPrefix(hash, "argon2:$argon2id$v=19$m=10240,t=10,p=8$") {
		t.Errorf("password hash %q is not in Jupyter's argon2 format", hash)
	}
	b64 := base64.StdEncoding.EncodeToString
	all := string(toYAML(t, objs))
	for _, secret := range []string{password, b64([]byte(password))} {
		if strings.Contains(all, secret) {
			t.Errorf("the plain password appears in the rendered objects as %q", secret)
		}
	}
	var others []client.Object
	for _, o := range objs {
		if o != client.Object(sec) {
			others = append(others, o)
		}
	}
	rest := string(toYAML(t, others))
	for _, secret := range []string{cookie, b64([]byte(cookie)), hash} {
		if strings.Contains(rest, secret) {
			t.Errorf("a secret appears outside the Secret: %q", secret)
		}
	}
}
