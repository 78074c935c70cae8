package juliarun_test

import (
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/juliarun/sdk/jobs"
	"github.com/juliarun/sdk/juliarun"
)

func TestLogs(t *testing.T) {
	e := newEnv(t, sharedCluster(t))
	ctx := context.Background()
	if err := e.client.Start(ctx, jobs.NewParBatch("talk", "pi.jl", "work", jobs.WithNWorkers(1))); err != nil {
		t.Fatal(err)
	}
	e.waitFor(t, "talk", "its worker", juliarun.AtLeastWorkers(1))
	worker := e.pods(t, "talk", "worker")[0].Name
	read := func(opts juliarun.LogOptions) ([]string, error) {
		rc, err := e.client.Logs(ctx, "talk", opts)
		if err != nil {
			return nil, err
		}
		defer rc.Close()
		data, err := io.ReadAll(rc)
		return strings.Split(strings.TrimSuffix(string(data), "\n"), "\n"), err
	}
	tests := []struct {
		name      string
		opts      juliarun.LogOptions
		wantLines int
		wantLast  string
	}{
		{"master, default tail", juliarun.LogOptions{}, juliarun.DefaultLogLines, "line 60"},
		{"master, 3 lines", juliarun.LogOptions{Lines: 3}, 3, "line 60"},
		{"master, everything", juliarun.LogOptions{Lines: -1}, 60, "line 60"},
		{"a worker", juliarun.LogOptions{Worker: worker, Lines: 5}, 5, "line 60"},
	}
	for _, tt := range tests {
		lines, err := read(tt.opts)
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if diff := cmp.Diff([]any{tt.wantLines, tt.wantLast}, []any{len(lines), lines[len(lines)-1]}); diff != "" {
			t.Errorf("%s: [lines last] (-want +got):\n%s", tt.name, diff)
		}
	}
	if _, err := read(juliarun.LogOptions{Worker: "someone-else"}); err == nil {
		t.Error("Logs of a pod that is not the job's: no error")
	}
	// Follow keeps the stream open until the context ends.
	fctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	rc, err := e.client.Logs(fctx, "talk", juliarun.LogOptions{Lines: 1, Follow: true})
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	start := time.Now()
	data, _ := io.ReadAll(rc) // ends with the context's error
	if diff := cmp.Diff("line 60\n", string(data)); diff != "" {
		t.Errorf("followed log (-want +got):\n%s", diff)
	}
	if elapsed := time.Since(start); elapsed < 500*time.Millisecond {
		t.Errorf("follow ended after %s; want it open until the context ends", elapsed)
	}
}
