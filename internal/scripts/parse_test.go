package scripts

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// Julia is not installed where these tests run, so juliarun.jl is parsed
// with the Lezer Julia grammar (npm @plutojl/lezer-julia, pinned in
// hack/parsecheck). The shell scripts get sh -n (and dash -n), the Jupyter
// configuration a Python parse.

// requireEnv makes missing tools a failure instead of a skip; hack/test.sh
// sets it (it is juliaruntest.RequireEnv, spelled out to keep this package's
// tests free of the cluster harness).
const requireEnv = "JULIARUN_REQUIRE_CLUSTER"

// need fails the test when tool is missing and requireEnv is set, and skips
// it loudly otherwise.
func need(t *testing.T, tool string) string {
	t.Helper()
	p, err := exec.LookPath(tool)
	if err == nil {
		return p
	}
	msg := fmt.Sprintf("%s not found (%v): %s is not checked", tool, err, t.Name())
	if os.Getenv(requireEnv) != "" {
		t.Fatalf("%s; %s is set, so this is a failure", msg, requireEnv)
	}
	fmt.Fprintln(os.Stderr, "SKIP:", msg)
	t.Skip(msg)
	return ""
}

var (
	npmOnce sync.Once
	npmErr  error
)

// parseCheck returns the command that runs hack/parsecheck/check.mjs,
// installing its pinned dependencies with npm ci first if needed.
func parseCheck(t *testing.T) (node, script string) {
	t.Helper()
	node = need(t, "node")
	need(t, "npm")
	dir, err := filepath.Abs(filepath.Join("..", "..", "hack", "parsecheck"))
	if err != nil {
		t.Fatal(err)
	}
	npmOnce.Do(func() {
		if _, err := os.Stat(filepath.Join(dir, "node_modules", "@plutojl", "lezer-julia")); err == nil {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, "npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund")
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			npmErr = fmt.Errorf("npm ci in %s: %v\n%s", dir, err, out)
		}
	})
	if npmErr != nil {
		t.Fatal(npmErr)
	}
	return node, filepath.Join(dir, "check.mjs")
}

// writeFiles writes the embedded files whose names end in ext to a
// temporary directory and returns their paths, sorted.
func writeFiles(t *testing.T, ext string) []string {
	t.Helper()
	dir := t.TempDir()
	var paths []string
	for name, content := range Files() {
		if !strings.HasSuffix(name, ext) {
			continue
		}
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	if len(paths) == 0 {
		t.Fatalf("no embedded %s file", ext)
	}
	sort.Strings(paths)
	return paths
}

func TestJuliaParses(t *testing.T) {
	node, check := parseCheck(t)
	files := writeFiles(t, ".jl")
	out, err := exec.Command(node, append([]string{check}, files...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("Julia syntax check failed: %v\n%s", err, out)
	}
}

// TestParseCheckCatchesErrors checks the checker: a broken snippet must fail
// with its position, a good one pass.
func TestParseCheckCatchesErrors(t *testing.T) {
	node, check := parseCheck(t)
	dir := t.TempDir()
	tests := []struct {
		name, src string
		ok        bool
		wantPos   string // file:line: of the first error
	}{
		{"good.jl", "module M\nf(x) = x + 1\nfunction g(y)\n    y > 0 ? :pos : :neg\nend\nend\n", true, ""},
		{"missing_end.jl", "module M\nfunction f(x)\n    x + 1\n", false, "missing_end.jl:4:"},
		{"unclosed_paren.jl", "x = f(1,\ny = 2 end\n", false, "unclosed_paren.jl:2:"},
		{"stray_comma.jl", "a = 1\nb = 2,,3\n", false, "stray_comma.jl:2:"},
	}
	for _, tt := range tests {
		p := filepath.Join(dir, tt.name)
		if err := os.WriteFile(p, []byte(tt.src), 0o644); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(node, check, p).CombinedOutput()
		if tt.ok {
			if err != nil {
				t.Errorf("%s: want no error, got %v\n%s", tt.name, err, out)
			}
			continue
		}
		if ee, isExit := err.(*exec.ExitError); !isExit || ee.ExitCode() != 1 {
			t.Errorf("%s: want exit code 1, got %v\n%s", tt.name, err, out)
		}
		if !strings.Contains(string(out), tt.wantPos) {
			t.Errorf("%s: output does not report %q:\n%s", tt.name, tt.wantPos, out)
		}
	}
}

func TestShellSyntax(t *testing.T) {
	files := writeFiles(t, ".sh")
	checkers := [][]string{{"/bin/sh", "-n"}}
	if p, err := exec.LookPath("dash"); err == nil {
		checkers = append(checkers, []string{p, "-n"})
	}
	if p, err := exec.LookPath("bash"); err == nil {
		checkers = append(checkers, []string{p, "--posix", "-n"})
	}
	for _, f := range files {
		for _, c := range checkers {
			if out, err := exec.Command(c[0], append(c[1:], f)...).CombinedOutput(); err != nil {
				t.Errorf("%s %s: %v\n%s", strings.Join(c, " "), filepath.Base(f), err, out)
			}
		}
	}
}

func TestPythonSyntax(t *testing.T) {
	python := need(t, "python3")
	for _, f := range writeFiles(t, ".py") {
		cmd := exec.Command(python, "-c", "import ast, sys; ast.parse(open(sys.argv[1]).read(), sys.argv[1])", f)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("%s: %v\n%s", filepath.Base(f), err, out)
		}
	}
}
