package main

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/juliarun/sdk/examples/internal/exampleenv"
)

// TestExample runs the program on a simulated cluster with a CPU pool and a
// tainted GPU pool: it fails unless the master ran on the CPU pool, the
// workers on the GPU pool, and the job finished.
func TestExample(t *testing.T) {
	if err := run(context.Background(), exampleenv.ForTestOn(t, cluster(), "work")); err != nil {
		t.Fatal(err)
	}
}

// TestREADMEShowsThisProgram: the README's second program is trainingJob,
// word for word, so what it shows is what TestExample runs.
func TestREADMEShowsThisProgram(t *testing.T) {
	src, err := os.ReadFile("main.go")
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	start := strings.Index(string(src), "func trainingJob()")
	end := strings.Index(string(src)[start:], "\n}\n")
	if start < 0 || end < 0 {
		t.Fatal("main.go has no func trainingJob")
	}
	fn := string(src)[start : start+end+2]
	if !strings.Contains(string(readme), fn) {
		t.Errorf("README.md does not show trainingJob as main.go has it:\n%s", fn)
	}
}
