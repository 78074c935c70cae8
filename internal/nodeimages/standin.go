package nodeimages

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"runtime"
	"strings"
)

// BuildStandIn compiles the stand-in julia (standin/*.go, embedded in this
// package) into a static binary at dst for the machine's architecture. It
// builds in a throw-away module, so it works wherever the go command does,
// including from a module that only depends on the SDK.
func BuildStandIn(ctx context.Context, dst string) error {
	work, err := os.MkdirTemp("", "juliarun-standin-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	entries, err := fs.ReadDir(embedded, "standin")
	if err != nil {
		return err
	}
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), "_test.go") {
			continue
		}
		b, err := fs.ReadFile(embedded, path.Join("standin", e.Name()))
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(work, e.Name()), b, 0o644); err != nil {
			return err
		}
	}
	gomod := "module juliarun.local/standin\n\ngo 1.26\n"
	if err := os.WriteFile(filepath.Join(work, "go.mod"), []byte(gomod), 0o644); err != nil {
		return err
	}
	abs, err := filepath.Abs(dst)
	if err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-ldflags=-s -w", "-o", abs, ".")
	cmd.Dir = work
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+runtime.GOARCH,
		"GOFLAGS=-buildvcs=false", "GOWORK=off")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("building the stand-in julia: %w\n%s", err, out.String())
	}
	return nil
}
