package nodeimages

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/juliarun/sdk/internal/scripts"
)

// standIn builds the stand-in into a directory of the test's own (the Go
// build cache makes every build after the first quick) and returns its path,
// named julia so that a directory on PATH provides it.
func standIn(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "julia")
	if err := BuildStandIn(context.Background(), p); err != nil {
		t.Fatalf("building the stand-in: %v", err)
	}
	return p
}

// runDir makes a run volume stand-in: a temporary directory.
func runDir(t *testing.T) string {
	t.Helper()
	return t.TempDir()
}

// standInCmd prepares the stand-in with argv, in dir, with JRUN_DIR=dir and
// extra environment.
func standInCmd(t *testing.T, julia, dir string, env []string, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(julia, args...)
	cmd.Dir = dir
	cmd.Env = append([]string{"PATH=/usr/bin:/bin", "JRUN_DIR=" + dir}, env...)
	return cmd
}

func exitCode(t *testing.T, err error) int {
	t.Helper()
	var ee *exec.ExitError
	if err == nil {
		return 0
	}
	if errors.As(err, &ee) {
		return ee.ExitCode()
	}
	t.Fatalf("running the stand-in: %v", err)
	return -1
}

func readRecord(t *testing.T, dir string) StandInRecord {
	t.Helper()
	host, _ := os.Hostname()
	b, err := os.ReadFile(filepath.Join(dir, ".standin", host+".json"))
	if err != nil {
		t.Fatalf("no record on the run volume: %v", err)
	}
	var r StandInRecord
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatalf("record %s: %v", b, err)
	}
	if !strings.Contains(r.StandIn, "not Julia") {
		t.Errorf("record's standin field %q does not say it is not Julia", r.StandIn)
	}
	return r
}

func writeFile(t *testing.T, p, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestStandInScriptRecordsAndExits(t *testing.T) {
	julia := standIn(t)
	dir := runDir(t)
	writeFile(t, filepath.Join(dir, "helper.jl"), "# loaded with -L\n")
	writeFile(t, filepath.Join(dir, "job.jl"), "println(1)\n# standin: write out/result.txt done 42\n# standin: exit 3\n# standin: write never.txt x\n")
	cmd := standInCmd(t, julia, dir, []string{"JRUN_NAME=j1"}, "-L", filepath.Join(dir, "helper.jl"), "--project=.", "job.jl", "a", "b c")
	var stdout bytes.Buffer
	cmd.Stdout = &stdout
	if code := exitCode(t, cmd.Run()); code != 3 {
		t.Fatalf("exit code %d, want 3 (from the script)", code)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "out/result.txt")); err != nil || string(b) != "done 42\n" {
		t.Errorf("out/result.txt = %q, %v; want \"done 42\\n\"", b, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "never.txt")); err == nil {
		t.Error("a directive after exit ran")
	}
	r := readRecord(t, dir)
	if !slices.Equal(r.Argv[1:], []string{"-L", filepath.Join(dir, "helper.jl"), "--project=.", "job.jl", "a", "b c"}) {
		t.Errorf("argv %q", r.Argv)
	}
	if r.Cwd != dir || r.Mode != "script" || r.Script != "job.jl" || !slices.Equal(r.Args, []string{"a", "b c"}) {
		t.Errorf("cwd %q mode %q script %q args %q", r.Cwd, r.Mode, r.Script, r.Args)
	}
	if !slices.Equal(r.Loads, []string{filepath.Join(dir, "helper.jl")}) || r.Stdin != nil {
		t.Errorf("loads %q stdin %v, want the -L file and no stdin read", r.Loads, r.Stdin)
	}
	if r.Env["JRUN_NAME"] != "j1" || r.Env["JRUN_DIR"] != dir {
		t.Errorf("env %v", r.Env)
	}
	if r.UID != os.Getuid() || r.GID != os.Getgid() {
		t.Errorf("uid/gid %d/%d, want %d/%d", r.UID, r.GID, os.Getuid(), os.Getgid())
	}
	if !strings.Contains(stdout.String(), `"script":"job.jl"`) {
		t.Errorf("the record is not on stdout: %q", stdout.String())
	}
}

func TestStandInExitCodes(t *testing.T) {
	julia := standIn(t)
	dir := runDir(t)
	writeFile(t, filepath.Join(dir, "plain.jl"), "x = 1\n")
	writeFile(t, filepath.Join(dir, "alloc.jl"), "# standin: alloc 8MiB\n# standin: sleep 10ms\n")
	writeFile(t, filepath.Join(dir, "stdin.jl"), "# standin: stdin\n")
	for _, tc := range []struct {
		name string
		env  []string
		args []string
		want int
	}{
		{"plain script", nil, []string{"plain.jl"}, 0},
		{"STANDIN_EXIT", []string{"STANDIN_EXIT=7"}, []string{"plain.jl"}, 7},
		{"missing script", nil, []string{"nope.jl"}, 1},
		{"missing -L file", nil, []string{"-L", "/nonexistent/juliarun.jl", "plain.jl"}, 1},
		{"eval exit", nil, []string{"-e", "println(2); exit(4)"}, 4},
		{"alloc", nil, []string{"alloc.jl"}, 0},
		{"stdin", nil, []string{"stdin.jl"}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cmd := standInCmd(t, julia, dir, tc.env, tc.args...)
			cmd.Stdin = strings.NewReader("input text\n")
			if code := exitCode(t, cmd.Run()); code != tc.want {
				t.Errorf("exit code %d, want %d", code, tc.want)
			}
		})
	}
	r := readRecord(t, dir) // the last run: stdin.jl
	if r.Stdin == nil || *r.Stdin != "input text\n" {
		t.Errorf("stdin recorded %v, want the input", r.Stdin)
	}
	out, err := standInCmd(t, julia, dir, nil, "--version").Output()
	if err != nil || !strings.Contains(string(out), "not Julia") {
		t.Errorf("--version: %q, %v", out, err)
	}
}

// startStandIn starts the stand-in and returns its stdout lines.
func startStandIn(t *testing.T, cmd *exec.Cmd) <-chan string {
	t.Helper()
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	lines := make(chan string, 16)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(out)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	return lines
}

// waitLine returns the first stdout line with prefix.
func waitLine(t *testing.T, lines <-chan string, prefix string) string {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("stand-in ended before printing %q", prefix)
			}
			if strings.HasPrefix(l, prefix) {
				return l
			}
		case <-timeout:
			t.Fatalf("no %q line within 10s", prefix)
		}
	}
}

// stopPromptly sends SIGTERM and wants the process gone within 2 s with
// exit code 143, as a container's PID 1 must.
func stopPromptly(t *testing.T, cmd *exec.Cmd) {
	t.Helper()
	start := time.Now()
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if code := exitCode(t, err); code != 143 {
			t.Errorf("exit code %d after SIGTERM, want 143", code)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("took %s to stop", d)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("still running 5s after SIGTERM")
	}
}

func TestStandInWorkerListensAndStops(t *testing.T) {
	julia := standIn(t)
	dir := runDir(t)
	const cookie = "0123456789abcdef"
	cmd := standInCmd(t, julia, dir, nil, "-L", "/dev/null", "--worker", "--bind-to", "127.0.0.1:0")
	cmd.Stdin = strings.NewReader(cookie + "\n")
	lines := startStandIn(t, cmd)
	l := waitLine(t, lines, "julia_worker:")
	port, _, _ := strings.Cut(strings.TrimPrefix(l, "julia_worker:"), "#")
	for _, tc := range []struct{ send, want string }{{cookie, "cookie-ok"}, {"wrong-cookie-xxx", "cookie-mismatch"}} {
		c, err := net.DialTimeout("tcp", net.JoinHostPort("127.0.0.1", port), 2*time.Second)
		if err != nil {
			t.Fatalf("worker not listening on %s: %v", port, err)
		}
		_ = c.SetDeadline(time.Now().Add(5 * time.Second))
		fmt.Fprint(c, tc.send)
		reply, _ := io.ReadAll(c)
		c.Close()
		if !strings.Contains(string(reply), tc.want) {
			t.Errorf("sent %q: reply %q, want %s", tc.send, reply, tc.want)
		}
	}
	r := readRecord(t, dir)
	if r.Mode != "worker" || r.Stdin == nil || *r.Stdin != cookie {
		t.Errorf("mode %q stdin %v, want worker and the cookie from stdin", r.Mode, r.Stdin)
	}
	if slices.ContainsFunc(r.Argv, func(a string) bool { return strings.Contains(a, cookie) }) {
		t.Errorf("the cookie is in argv %q", r.Argv)
	}
	stopPromptly(t, cmd)
}

// freePort returns a TCP port nothing listens on now.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// TestStandInWorkerThroughWorkerSh runs the SDK's own worker.sh with the
// stand-in as julia: the cookie must reach julia on stdin, not argv, and
// the worker must listen where the SDK's readiness probe looks: an IPv4
// socket on 0.0.0.0:JRUN_WORKER_PORT, listed in /proc/net/tcp.
func TestStandInWorkerThroughWorkerSh(t *testing.T) {
	julia := standIn(t)
	dir := runDir(t)
	sdir := shippedScripts(t)
	port := freePort(t)
	const cookie = "fedcba9876543210"
	cmd := exec.Command("/bin/sh", filepath.Join(sdir, "worker.sh"))
	cmd.Dir = dir
	cmd.Env = []string{"PATH=" + filepath.Dir(julia) + ":/usr/bin:/bin", "JRUN_DIR=" + dir, "JRUN_SCRIPTS=" + sdir,
		"JRUN_CLUSTER_COOKIE=" + cookie, "JRUN_WORKER_PORT=" + strconv.Itoa(port)}
	lines := startStandIn(t, cmd)
	waitLine(t, lines, "julia_worker:")
	tcp, err := os.ReadFile("/proc/net/tcp")
	if err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprintf("00000000:%04X 00000000:0000 0A", port); !strings.Contains(string(tcp), want) {
		t.Errorf("/proc/net/tcp has no %q: the readiness probe would not see the worker", want)
	}
	r := readRecord(t, dir)
	if r.Stdin == nil || *r.Stdin != cookie {
		t.Errorf("stdin %v, want the cookie", r.Stdin)
	}
	want := []string{"-L", filepath.Join(sdir, "juliarun.jl"), "--worker", "--bind-to", "0.0.0.0:" + strconv.Itoa(port)}
	if !slices.Equal(r.Argv[1:], want) {
		t.Errorf("argv %q, want julia %q", r.Argv, want)
	}
	if r.Env["JULIA_WORKER_TIMEOUT"] == "" {
		t.Error("worker.sh's JULIA_WORKER_TIMEOUT did not reach julia")
	}
	stopPromptly(t, cmd)
}

// TestStandInThroughMasterSh runs the SDK's master.sh with the stand-in:
// julia gets the helper with -L, the script and its arguments, in JRUN_DIR.
func TestStandInThroughMasterSh(t *testing.T) {
	julia := standIn(t)
	dir := runDir(t)
	sdir := shippedScripts(t)
	writeFile(t, filepath.Join(dir, "job.jl"), "# standin: exit 5\n")
	cmd := exec.Command("/bin/sh", filepath.Join(sdir, "master.sh"), "job.jl", "x")
	cmd.Dir = "/"
	cmd.Env = []string{"PATH=" + filepath.Dir(julia) + ":/usr/bin:/bin", "JRUN_DIR=" + dir, "JRUN_SCRIPTS=" + sdir}
	if code := exitCode(t, cmd.Run()); code != 5 {
		t.Errorf("exit code %d, want the script's 5", code)
	}
	r := readRecord(t, dir)
	if r.Cwd != dir || !slices.Equal(r.Argv[1:], []string{"-L", filepath.Join(sdir, "juliarun.jl"), "job.jl", "x"}) {
		t.Errorf("cwd %q argv %q", r.Cwd, r.Argv)
	}
}

func TestStandInSleepStopsOnSIGTERM(t *testing.T) {
	julia := standIn(t)
	dir := runDir(t)
	writeFile(t, filepath.Join(dir, "serve.jl"), fmt.Sprintf("# standin: listen %d\n# standin: sleep forever\n", freePort(t)))
	cmd := standInCmd(t, julia, dir, nil, "serve.jl")
	lines := startStandIn(t, cmd)
	waitLine(t, lines, "juliarun-standin: {")
	time.Sleep(100 * time.Millisecond) // past the listen directive
	stopPromptly(t, cmd)
}

// shippedScripts writes the SDK's shipped scripts (the scripts ConfigMap)
// into a directory, as the pod's /opt/juliarun/scripts.
func shippedScripts(t *testing.T) string {
	t.Helper()
	d := t.TempDir()
	for n, c := range scripts.Files() {
		writeFile(t, filepath.Join(d, n), c)
	}
	return d
}

func TestStandInResolveAndEnvExpansion(t *testing.T) {
	julia := standIn(t)
	dir := runDir(t)
	writeFile(t, filepath.Join(dir, "job.jl"), "# standin: resolve localhost out/local.txt\n"+
		"# standin: write out/unit-$JRUN_UNIT_INDEX.txt index ${JRUN_UNIT_INDEX}\n")
	if code := exitCode(t, standInCmd(t, julia, dir, []string{"JRUN_UNIT_INDEX=4"}, "job.jl").Run()); code != 0 {
		t.Fatalf("exit code %d", code)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "out/local.txt")); !strings.Contains(string(b), "127.0.0.1\n") {
		t.Errorf("localhost resolved to %q, want 127.0.0.1 among its addresses", b)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "out/unit-4.txt")); string(b) != "index 4\n" {
		t.Errorf("out/unit-4.txt = %q", b)
	}
}
