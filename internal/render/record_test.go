package render_test

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/juliarun/sdk/internal/render"
	"github.com/juliarun/sdk/jobs"
)

// quantities compares resource quantities by value.
var quantities = cmp.Comparer(func(a, b resource.Quantity) bool { return a.Cmp(b) == 0 })

func TestRecordRoundTrip(t *testing.T) {
	for _, tc := range goldenCases() {
		t.Run(tc.name, func(t *testing.T) {
			want := tc.job.Spec()
			want.Password = ""
			data, err := render.EncodeRecord(tc.job.Spec())
			if err != nil {
				t.Fatal(err)
			}
			got, err := render.DecodeRecord(data)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, got, quantities, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("decoded record (-want +got):\n%s", diff)
			}
		})
	}
}

// TestRecordReadsLikeTheJobModel: the record's keys are the job model's
// parameter names, with a version, and never the password.
func TestRecordReadsLikeTheJobModel(t *testing.T) {
	job := jobs.NewNotebook("explore", "work", jobs.WithPassword("correct horse"), jobs.WithNWorkers(2),
		jobs.WithPkgBundle("stats"), jobs.WithEnvVars(map[string]string{"A": "1"}))
	data, err := render.EncodeRecord(job.Spec())
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(data, &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"version": 1.0, "type": "Notebook", "name": "explore", "run_volume": "work", "pkg_bundle": "stats",
		"ports": map[string]any{"nb": map[string]any{"container": 8888.0, "service": 8888.0}},
		"image": jobs.DefaultNotebookImage, "shell": "notebook.sh", "envvars": map[string]any{"A": "1"},
		"cpu": "100m", "memory": "512Mi", "nworkers": 2.0, "restart": "Always",
		"worker_cpu": "100m", "worker_memory": "512Mi", "worker_shell": "master.sh", "worker_start_script": "worker.sh",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("record (-want +got):\n%s", diff)
	}
}

func TestRecordVersions(t *testing.T) {
	// What the first SDK wrote: the Spec itself, no version.
	legacy := `{"Type":"JuliaBatch","Name":"pi","StartScript":"pi.jl","RunVolume":"work","Image":"julia","Shell":"master.sh",` +
		`"Resources":{"CPU":"100m","CPULimit":"0","Memory":"512Mi","MemoryLimit":"0","GPU":0}}`
	got, err := render.DecodeRecord([]byte(legacy))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(jobs.NewBatch("pi", "pi.jl", "work").Spec(), got, quantities, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("unversioned record (-want +got):\n%s", diff)
	}
	if _, err := render.DecodeRecord([]byte(`{"version": 3, "type": "JuliaBatch", "name": "pi"}`)); !errors.Is(err, render.ErrNewerRecord) {
		t.Errorf("a version 3 record: %v, want ErrNewerRecord", err)
	}
	for _, bad := range []string{`{"version": 0}`, `{"version": 1, "cpu": "lots"}`, `not json`} {
		if _, err := render.DecodeRecord([]byte(bad)); err == nil || errors.Is(err, render.ErrNewerRecord) {
			t.Errorf("DecodeRecord(%s) = %v, want a decoding error", bad, err)
		}
	}
}
