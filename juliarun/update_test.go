package juliarun_test

import (
	"context"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/juliarun/sdk/jobs"
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
