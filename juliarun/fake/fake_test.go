package fake_test

import (
	"context"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/juliarun/sdk/jobs"
	"github.com/juliarun/sdk/juliarun"
	"github.com/juliarun/sdk/juliarun/fake"
)

func TestFakeClient(t *testing.T) {
	ctx := context.Background()
	f := fake.NewClient("science")
	if err := f.Start(ctx, jobs.NewParBatch("pi", "pi.jl", "work", jobs.WithNWorkers(4))); err != nil {
		t.Fatal(err)
	}
	if err := f.Start(ctx, jobs.NewBatch("report", "r.jl", "work")); err != nil {
		t.Fatal(err)
	}
	errTests := []struct {
		name string
		err  error
		want error
	}{
		{"start twice", f.Start(ctx, jobs.NewBatch("pi", "x.jl", "work")), juliarun.ErrAlreadyExists},
		{"start invalid", f.Start(ctx, jobs.NewBatch("Bad", "x.jl", "work")), jobs.ErrInvalid},
		{"scale a batch", f.Scale(ctx, "report", 2), juliarun.ErrNotScalable},
		{"scale below zero", f.Scale(ctx, "pi", -1), jobs.ErrInvalid},
		{"scale a missing job", f.Scale(ctx, "nosuch", 1), juliarun.ErrNotFound},
		{"delete a missing job", f.Delete(ctx, "nosuch"), juliarun.ErrNotFound},
		{"a name that is a selector", f.Delete(ctx, "pi,juliarun.io/role=worker"), jobs.ErrInvalid},
		{"typed nil job", f.Start(ctx, (*jobs.Batch)(nil)), jobs.ErrInvalid},
		{"dry run of a taken name", f.Start(ctx, jobs.NewBatch("pi", "x.jl", "work"), juliarun.WithDryRun(true)), juliarun.ErrAlreadyExists},
		{"update of the master", f.Update(ctx, jobs.NewParBatch("pi", "other.jl", "work", jobs.WithNWorkers(4))), jobs.ErrInvalid},
		{"an update that changes nothing", f.Update(ctx, jobs.NewBatch("report", "r.jl", "work")), nil},
	}
	for _, tt := range errTests {
		if (tt.want == nil && tt.err != nil) || !errors.Is(tt.err, tt.want) {
			t.Errorf("%s: %v, want %v", tt.name, tt.err, tt.want)
		}
	}

	if st, err := f.Status(ctx, "pi"); err != nil || st.Phase != juliarun.PhasePending {
		t.Errorf("a new job: %+v, %v; want Pending, as the real client says until the master runs", st, err)
	}
	if err := f.SetPhase("pi", juliarun.PhaseRunning, ""); err != nil {
		t.Fatal(err)
	}
	if err := f.Scale(ctx, "pi", 8); err != nil {
		t.Fatal(err)
	}
	done := make(chan *juliarun.Status)
	go func() {
		st, err := f.Wait(ctx, "pi", juliarun.AtLeastWorkers(6))
		if err != nil {
			t.Error(err)
		}
		done <- st
	}()
	time.Sleep(10 * time.Millisecond)
	if err := f.SetRunning("pi", 6); err != nil {
		t.Fatal(err)
	}
	st := <-done
	if err := f.Start(ctx, jobs.NewBatch("dry", "x.jl", "work"), juliarun.WithDryRun(true)); err != nil {
		t.Errorf("dry run: %v", err)
	}
	if _, err := f.Status(ctx, "dry"); !errors.Is(err, juliarun.ErrNotFound) {
		t.Errorf("a dry run recorded the job: %v", err)
	}
	want := &juliarun.Status{Name: "pi", Type: jobs.TypeParBatch, Phase: juliarun.PhaseRunning, Requested: 8, Running: 6}
	if diff := cmp.Diff(want, st, cmpopts.IgnoreFields(juliarun.Status{}, "Created")); diff != "" {
		t.Errorf("status after Wait (-want +got):\n%s", diff)
	}
	if n, err := f.NWorkers(ctx, "pi"); err != nil || n != 6 {
		t.Errorf("NWorkers = %d, %v; want 6", n, err)
	}

	if err := f.SetLogs("report", "a\nb\nc\n"); err != nil {
		t.Fatal(err)
	}
	rc, err := f.Logs(ctx, "report", juliarun.LogOptions{Lines: 2})
	if err != nil {
		t.Fatal(err)
	}
	out, _ := io.ReadAll(rc)
	if diff := cmp.Diff("b\nc\n", string(out)); diff != "" {
		t.Errorf("Logs (-want +got):\n%s", diff)
	}

	if err := f.SetPhase("report", juliarun.PhaseFailed, "exit code 3"); err != nil {
		t.Fatal(err)
	}
	st, err = f.Wait(ctx, "report", juliarun.AtLeastWorkers(1))
	if err != nil || st.Phase != juliarun.PhaseFailed {
		t.Errorf("Wait on a failed job = %+v, %v; want it to return the failure", st, err)
	}
	list, err := f.List(ctx)
	if err != nil || len(list) != 2 || list[0].Name != "pi" {
		t.Errorf("List = %+v, %v", list, err)
	}
	if err := f.Delete(ctx, "pi"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Status(ctx, "pi"); !errors.Is(err, juliarun.ErrNotFound) {
		t.Errorf("Status after Delete: %v", err)
	}
}

// TestFakeAcceptsSettings: the fake takes every Kubernetes setting the
// real client takes, and refuses what rendering refuses (an overlay that
// would replace one of the SDK's mounts), as the real client does.
func TestFakeAcceptsSettings(t *testing.T) {
	ctx := context.Background()
	f := fake.NewClient("science")
	gpu := corev1.Toleration{Key: "nvidia.com/gpu", Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule}
	job := jobs.NewParBatch("train", "train.jl", "work", jobs.WithNWorkers(2),
		jobs.WithLabels(map[string]string{"team": "ml"}), jobs.WithAnnotations(map[string]string{"example.com/a": "b"}),
		jobs.WithImagePullSecrets("cred"), jobs.WithImagePullPolicy(corev1.PullAlways),
		jobs.WithRunTimeLimit(time.Hour), jobs.WithTTLAfterFinished(time.Minute),
		jobs.WithTolerations(jobs.Workers, gpu), jobs.WithNodeSelector(jobs.Workers, map[string]string{"pool": "gpu"}),
		jobs.WithAffinity(jobs.Master, &corev1.Affinity{}), jobs.WithTopologySpread(jobs.Workers,
			corev1.TopologySpreadConstraint{MaxSkew: 1, TopologyKey: "kubernetes.io/hostname", WhenUnsatisfiable: corev1.ScheduleAnyway}),
		jobs.WithPriorityClass(jobs.Workers, "high"), jobs.WithRuntimeClass(jobs.Workers, "nvidia"),
		jobs.WithServiceAccount(jobs.Master, "reader"), jobs.WithServiceAccountToken(jobs.Master, true),
		jobs.WithPodLabels(jobs.Workers, map[string]string{"tier": "gpu"}), jobs.WithPodAnnotations(jobs.Master, map[string]string{"a": "b"}),
		jobs.WithEnvFrom(jobs.Master, map[string]jobs.EnvSource{"KEY": jobs.FromSecret("api", "key")}),
		jobs.WithEnvFromSecrets(jobs.Workers, "db"), jobs.WithEnvFromConfigMaps(jobs.Workers, "defaults"),
		jobs.WithVolumes(jobs.Workers, jobs.SecretVolume("tls", "/etc/tls")), jobs.WithShmSize(jobs.Workers, resource.MustParse("1Gi")),
		jobs.WithPodOverlay(jobs.Workers, corev1.PodTemplateSpec{Spec: corev1.PodSpec{DNSPolicy: corev1.DNSDefault}}))
	if err := f.Start(ctx, job); err != nil {
		t.Fatalf("Start with every setting: %v", err)
	}
	bad := jobs.NewBatch("bad", "b.jl", "work", jobs.WithPodOverlay(jobs.Master, corev1.PodTemplateSpec{Spec: corev1.PodSpec{
		Containers: []corev1.Container{{Name: jobs.MainContainer, VolumeMounts: []corev1.VolumeMount{{Name: "x", MountPath: "/mnt/work"}}}}}}))
	if err := f.Start(ctx, bad); !errors.Is(err, jobs.ErrInvalid) {
		t.Errorf("Start with an overlay replacing the run volume's mount = %v, want jobs.ErrInvalid", err)
	}
}
