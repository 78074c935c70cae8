package juliarun_test

import (
	"context"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/juliarun/sdk/jobs"
	"github.com/juliarun/sdk/juliarun"
	"github.com/juliarun/sdk/resources"
)

func TestUpdate(t *testing.T) {
	e := newEnv(t, sharedCluster(t))
	ctx := context.Background()
	base := []jobs.Option{jobs.WithNWorkers(2), jobs.WithPassword("s3cret")}
	if err := e.client.Start(ctx, jobs.NewNotebook("nb", "work", base...)); err != nil {
		t.Fatal(err)
	}
	changed := append(base, jobs.WithWorkerMemory(resources.GiB(3)), jobs.WithImage("julia:1.12"),
		jobs.WithWorkerEnvVars(map[string]string{"LEVEL": "2"}))
	if err := e.client.Update(ctx, jobs.NewNotebook("nb", "work", changed...)); err != nil {
		t.Fatalf("Update of what may change: %v", err)
	}
	sts, err := e.cs.AppsV1().StatefulSets(e.ns).Get(ctx, "nb-workers", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	c := sts.Spec.Template.Spec.Containers[0]
	type view struct {
		Image, Memory string
		Level         bool
	}
	got := view{c.Image, c.Resources.Requests.Memory().String(), false}
	for _, ev := range c.Env {
		got.Level = got.Level || (ev.Name == "LEVEL" && ev.Value == "2")
	}
	if diff := cmp.Diff(view{"julia:1.12", "3Gi", true}, got); diff != "" {
		t.Errorf("worker template after Update (-want +got):\n%s", diff)
	}

	tests := []struct {
		name string
		job  jobs.Job
		want field.ErrorList
	}{
		{"password", jobs.NewNotebook("nb", "work", jobs.WithNWorkers(2), jobs.WithPassword("other")),
			field.ErrorList{field.Forbidden(field.NewPath("passwd"), "")}},
		{"worker count", jobs.NewNotebook("nb", "work", append(changed, jobs.WithNWorkers(5))...),
			field.ErrorList{field.Forbidden(field.NewPath("nworkers"), "")}},
		{"master resources and volume", jobs.NewNotebook("nb", "work", append(changed,
			jobs.WithCPU(resources.Cores(2)), jobs.WithAdditionalVolumes("data"))...),
			field.ErrorList{field.Forbidden(field.NewPath("additional_volumes"), ""), field.Forbidden(field.NewPath("cpu"), "")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := e.client.Update(ctx, tt.job)
			if !errors.Is(err, jobs.ErrInvalid) {
				t.Fatalf("Update: %v, want ErrInvalid", err)
			}
			opts := cmpopts.IgnoreFields(field.Error{}, "Detail", "Origin", "CoveredByDeclarative")
			if diff := cmp.Diff(tt.want, jobs.AsErrorList(err), opts); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
	// After Scale, Update takes the scaled count as the job's own.
	if err := e.client.Scale(ctx, "nb", 4); err != nil {
		t.Fatal(err)
	}
	if err := e.client.Update(ctx, jobs.NewNotebook("nb", "work", append(changed, jobs.WithNWorkers(4))...)); err != nil {
		t.Errorf("Update with the worker count Scale set: %v", err)
	}
}

// TestUpdateSettings: the pod settings of a Notebook's workers (a
// StatefulSet) change with Update, a removed node selector key included
// (the template is replaced, not merged), and the workers run again with
// them; settings of the master, which runs once, and job-wide labels, which
// are on every object, are Forbidden.
func TestUpdateSettings(t *testing.T) {
	e := newEnv(t, sharedCluster(t))
	ctx := context.Background()
	first := []jobs.Option{jobs.WithNWorkers(2),
		jobs.WithNodeSelector(jobs.Workers, map[string]string{"type": "kwok", "kubernetes.io/os": "linux"})}
	if err := e.client.Start(ctx, jobs.NewNotebook("nbs", "work", first...)); err != nil {
		t.Fatal(err)
	}
	e.waitFor(t, "nbs", "2 workers", juliarun.AtLeastWorkers(2))
	toleration := corev1.Toleration{Key: "example.com/spot", Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule}
	next := []jobs.Option{jobs.WithNWorkers(2),
		jobs.WithNodeSelector(jobs.Workers, map[string]string{"type": "kwok"}),
		jobs.WithTolerations(jobs.Workers, toleration),
		jobs.WithPodLabels(jobs.Workers, map[string]string{"tier": "spot"})}
	if err := e.client.Update(ctx, jobs.NewNotebook("nbs", "work", next...)); err != nil {
		t.Fatalf("Update of the workers' settings: %v", err)
	}
	sts, err := e.cs.AppsV1().StatefulSets(e.ns).Get(ctx, "nbs-workers", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	spec := sts.Spec.Template.Spec
	type view struct {
		NodeSelector map[string]string
		Tolerations  []corev1.Toleration
		Tier         string
	}
	want := view{map[string]string{"type": "kwok"}, []corev1.Toleration{toleration}, "spot"}
	if diff := cmp.Diff(want, view{spec.NodeSelector, spec.Tolerations, sts.Spec.Template.Labels["tier"]}); diff != "" {
		t.Errorf("workers' template after Update (-want +got):\n%s", diff)
	}
	eventually(t, "workers running with the new settings", func(ctx context.Context) (bool, error) {
		pods, err := e.cs.CoreV1().Pods(e.ns).List(ctx, metav1.ListOptions{LabelSelector: "juliarun.io/job=nbs,juliarun.io/role=worker,tier=spot"})
		if err != nil {
			return false, err
		}
		running := 0
		for _, p := range pods.Items {
			if p.Status.Phase == corev1.PodRunning && p.DeletionTimestamp == nil {
				running++
			}
		}
		return running == 2, nil
	})

	err = e.client.Update(ctx, jobs.NewNotebook("nbs", "work", append(next,
		jobs.WithNodeSelector(jobs.Master, map[string]string{"type": "kwok"}), jobs.WithLabels(map[string]string{"team": "x"}))...))
	opts := cmpopts.IgnoreFields(field.Error{}, "Detail", "Origin", "CoveredByDeclarative")
	wantErrs := field.ErrorList{field.Forbidden(field.NewPath("labels"), ""), field.Forbidden(field.NewPath("master.node_selector"), "")}
	if diff := cmp.Diff(wantErrs, jobs.AsErrorList(err), opts); diff != "" {
		t.Errorf("Update of the master's and the job's settings (-want +got):\n%s", diff)
	}
}
