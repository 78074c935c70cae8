package scripts

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestBundleAddsToTheImagesPaths runs the scripts with a bundle attached
// and reads the Julia paths the stub julia was started with: the bundle is
// added to what the image sets (the julia-notebook image's
// JULIA_DEPOT_PATH=/opt/julia holds IJulia), never put in its place.
func TestBundleAddsToTheImagesPaths(t *testing.T) {
	reader := map[string]string{"JRUN_BUNDLE_DEPOT": "/b/stats", "JRUN_BUNDLE_ENVIRONMENT": "/b/stats/environment"}
	builder := map[string]string{"JRUN_BUNDLE_DEPOT": "/b/stats", "JRUN_BUNDLE_ENVIRONMENT": "/b/stats/environment",
		"JRUN_BUNDLE_WRITABLE": "true", "JULIA_PROJECT": "/b/stats/environment"}
	tests := []struct {
		name   string
		script string
		args   []string
		env    map[string]string
		want   map[string]string // JULIA_DEPOT_PATH, JULIA_LOAD_PATH
	}{
		{"reader on an image that sets a depot", "master.sh", []string{"pi.jl"},
			merge(reader, map[string]string{"JULIA_DEPOT_PATH": "/opt/julia"}),
			map[string]string{"JULIA_DEPOT_PATH": "/opt/julia:/b/stats", "JULIA_LOAD_PATH": ":/b/stats/environment"}},
		{"reader on an image that sets none", "master.sh", []string{"pi.jl"}, reader,
			map[string]string{"JULIA_DEPOT_PATH": ":/b/stats", "JULIA_LOAD_PATH": ":/b/stats/environment"}},
		{"reader with a load path of the image's", "worker.sh", []string{"unit.jl"},
			merge(reader, map[string]string{"JULIA_LOAD_PATH": "@:@stdlib"}),
			map[string]string{"JULIA_DEPOT_PATH": ":/b/stats", "JULIA_LOAD_PATH": "@:@stdlib:/b/stats/environment"}},
		{"once, when master.sh starts worker.sh", "master.sh", []string{"worker.sh", "unit.jl"},
			merge(reader, map[string]string{"JULIA_DEPOT_PATH": "/opt/julia"}),
			map[string]string{"JULIA_DEPOT_PATH": "/opt/julia:/b/stats", "JULIA_LOAD_PATH": ":/b/stats/environment"}},
		{"builder: the bundle's depot first", "master.sh", []string{"build.jl"},
			merge(builder, map[string]string{"JULIA_DEPOT_PATH": "/opt/julia"}),
			map[string]string{"JULIA_DEPOT_PATH": "/b/stats:/opt/julia", "JULIA_LOAD_PATH": ":/b/stats/environment"}},
		{"no bundle: the image's paths as they are", "master.sh", []string{"pi.jl"},
			map[string]string{"JULIA_DEPOT_PATH": "/opt/julia"},
			map[string]string{"JULIA_DEPOT_PATH": "/opt/julia"}},
	}
	for _, shell := range interpreters() {
		for _, tt := range tests {
			t.Run(filepath.Base(shell)+"/"+tt.name, func(t *testing.T) {
				s := newSandbox(t)
				res := s.run(t, shell, tt.script, tt.args, tt.env)
				if res.exit != 0 || res.rec == nil {
					t.Fatalf("exit %d, stub ran: %v; stderr:\n%s", res.exit, res.rec != nil, res.stderr)
				}
				got := map[string]string{}
				for _, kv := range strings.Split(s.read(t, "env"), "\n") {
					if k, v, ok := strings.Cut(kv, "="); ok && (k == "JULIA_DEPOT_PATH" || k == "JULIA_LOAD_PATH") {
						got[k] = v
					}
				}
				if diff := cmp.Diff(tt.want, got); diff != "" {
					t.Errorf("Julia paths (-want +got):\n%s", diff)
				}
			})
		}
	}
}

func (s *sandbox) read(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(s.out, name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestDeleteEndsThePodAtOnce starts each script the way a container
// does, as PID 1 of a new PID namespace, with a stub julia that has no
// SIGTERM handler (as Julia has none), and sends SIGTERM as the kubelet
// does on delete. A PID 1 that exec'd such a process would never end (the
// kernel drops signals PID 1 has no handler for) and the pod would wait out
// its grace period; the scripts forward the signal and end with the
// process.
func TestDeleteEndsThePodAtOnce(t *testing.T) {
	unshare, err := exec.LookPath("unshare")
	if err != nil || os.Geteuid() != 0 {
		if os.Getenv("JULIARUN_REQUIRE_CLUSTER") != "" {
			t.Fatalf("needs root and unshare(1) (util-linux) to run a script as PID 1: euid %d, %v", os.Geteuid(), err)
		}
		t.Skip("SKIPPED LOUDLY: needs root and unshare(1) to run a script as PID 1 of a PID namespace")
	}
	run := map[string]string{EnvRunID: "r1", EnvName: "job1"} // a JuliaParBatch's master and workers
	tests := []struct {
		name   string
		script string
		args   []string
		env    map[string]string
	}{
		{"master", "master.sh", []string{"pi.jl"}, nil},
		{"unit", "worker.sh", []string{"unit.jl"}, nil},
		{"worker", "worker.sh", nil, nil},
		{"parbatch master with its heartbeat", "master.sh", []string{"pi.jl"}, run},
		{"parbatch worker watching its master", "worker.sh", nil, run},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSandbox(t)
			cmd := exec.Command(unshare, append([]string{"--pid", "--fork", "--kill-child=KILL", "/bin/sh",
				filepath.Join(s.scripts, tt.script)}, tt.args...)...)
			cmd.Env = s.env(merge(tt.env, map[string]string{EnvCookie: testCookie, "STUB_SLEEP": "300"}))
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			defer func() {
				_ = cmd.Process.Kill()
				<-done
			}()
			waitForFile(t, filepath.Join(s.out, "env"))
			// unshare --fork: its child is the namespace's PID 1, the script.
			pid1 := childOf(t, cmd.Process.Pid)
			start := time.Now()
			if err := syscall.Kill(pid1, syscall.SIGTERM); err != nil {
				t.Fatal(err)
			}
			select {
			case err := <-done:
				done <- err
				var exitErr *exec.ExitError
				if !errors.As(err, &exitErr) || exitErr.ExitCode() != 128+int(syscall.SIGTERM) {
					t.Errorf("ended with %v, want exit code 143 (SIGTERM passed on to julia)", err)
				}
				t.Logf("ended %v after SIGTERM", time.Since(start).Round(time.Millisecond))
			case <-time.After(10 * time.Second):
				t.Fatalf("still running 10 s after SIGTERM to PID 1: the pod would wait out its grace period\nstderr:\n%s", stderr.String())
			}
		})
	}
}

// childOf returns the pid of the one child of pid.
func childOf(t *testing.T, pid int) int {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "task", strconv.Itoa(pid), "children"))
		if err == nil {
			if f := strings.Fields(string(b)); len(f) > 0 {
				n, err := strconv.Atoi(f[0])
				if err != nil {
					t.Fatal(err)
				}
				return n
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("no child of %d", pid)
	return 0
}

func waitForFile(t *testing.T, path string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if _, err := os.Stat(path); err == nil {
			time.Sleep(50 * time.Millisecond) // the stub writes it in one go; let it finish
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("%s never appeared", path)
}

// TestWorkersEndWithTheirMaster checks the protocol by which a
// JuliaParBatch's workers end once the master has (docs/OBJECTS.md,
// "When the master ends"): master.sh records the master's exit code on the
// run volume, and a worker still running, or one that a cleanly ending
// master removed, then exits with ExitMasterEnded, the code the worker
// Job's podFailurePolicy ends the whole worker Job on.
func TestWorkersEndWithTheirMaster(t *testing.T) {
	run := map[string]string{EnvCookie: testCookie, EnvRunID: "r1", EnvName: "job1"}
	exitFile := func(s *sandbox) string { return filepath.Join(s.dir, ".juliarun", "job1-r1.master-exit") }

	t.Run("master records its exit code", func(t *testing.T) {
		s := newSandbox(t)
		res := s.run(t, "/bin/sh", "master.sh", []string{"pi.jl"}, merge(run, map[string]string{"STUB_EXIT": "3"}))
		if res.exit != 3 {
			t.Fatalf("master.sh exit %d, want julia's 3; stderr:\n%s", res.exit, res.stderr)
		}
		b, err := os.ReadFile(exitFile(s))
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff("3\n", string(b)); diff != "" {
			t.Errorf("recorded exit (-want +got):\n%s", diff)
		}
	})
	t.Run("a waiting worker ends when the master has", func(t *testing.T) {
		s := newSandbox(t)
		done := make(chan result, 1)
		go func() {
			done <- s.run(t, "/bin/sh", "worker.sh", nil, merge(run, map[string]string{"STUB_SLEEP": "300"}))
		}()
		waitForFile(t, filepath.Join(s.out, "env"))
		if err := os.MkdirAll(filepath.Dir(exitFile(s)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(exitFile(s), []byte("0\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		select {
		case res := <-done:
			if res.exit != ExitMasterEnded {
				t.Errorf("worker.sh exit %d, want ExitMasterEnded (%d); stderr:\n%s", res.exit, ExitMasterEnded, res.stderr)
			}
		case <-time.After(15 * time.Second):
			t.Fatal("worker still running 15 s after the master's end was recorded")
		}
	})
	t.Run("a worker removed by an ending master", func(t *testing.T) {
		s := newSandbox(t)
		go func() {
			waitForFile(t, filepath.Join(s.out, "env"))
			time.Sleep(time.Second) // master.sh records the end after its workers were removed
			_ = os.MkdirAll(filepath.Dir(exitFile(s)), 0o755)
			_ = os.WriteFile(exitFile(s), []byte("0\n"), 0o644)
		}()
		res := s.run(t, "/bin/sh", "worker.sh", nil, merge(run, map[string]string{EnvWorkerRestart: "Always"}))
		if res.exit != ExitMasterEnded {
			t.Errorf("worker.sh exit %d, want ExitMasterEnded (%d); stderr:\n%s", res.exit, ExitMasterEnded, res.stderr)
		}
	})
	// A master whose whole container was killed records no end; its
	// heartbeat falls silent instead (beats of 1 s, silence of 3 s here).
	fast := merge(run, map[string]string{"JRUN_MASTER_BEAT": "1", EnvMasterSilence: "3", "STUB_SLEEP": "300"})
	aliveFile := func(s *sandbox) string { return filepath.Join(s.dir, ".juliarun", "job1-r1.master-alive") }
	t.Run("the master beats while it runs", func(t *testing.T) {
		t.Parallel()
		s := newSandbox(t)
		done := make(chan result, 1)
		go func() {
			done <- s.run(t, "/bin/sh", "master.sh", []string{"pi.jl"}, merge(fast, map[string]string{"STUB_SLEEP": "3"}))
		}()
		waitForFile(t, aliveFile(s))
		first := readCounter(t, aliveFile(s))
		time.Sleep(2500 * time.Millisecond)
		if later := readCounter(t, aliveFile(s)); later <= first {
			t.Errorf("heartbeat %d, then %d 2.5 s later: want it counting up", first, later)
		}
		res := <-done
		if res.exit != 0 {
			t.Fatalf("master.sh exit %d, want 0; stderr:\n%s", res.exit, res.stderr)
		}
		if b, err := os.ReadFile(exitFile(s)); err != nil || string(b) != "0\n" {
			t.Errorf("recorded exit %q (%v), want \"0\\n\"", b, err)
		}
	})
	t.Run("the heartbeat ends with a master that exits at once", func(t *testing.T) {
		t.Parallel()
		// A kill of the heartbeat that reaches it before it drops
		// start_child's traps is caught (dash); it must end anyway, and
		// never hold the caller's pipes (then Run would not return).
		// Many at once: the kill then often comes before the trap is
		// dropped. Each in a sandbox of its own (the stub's record).
		const runs = 40
		sandboxes := make([]*sandbox, runs)
		done := make(chan result, runs)
		for i := range runs {
			sandboxes[i] = newSandbox(t)
			go func() {
				done <- sandboxes[i].run(t, "/bin/sh", "master.sh", []string{"pi.jl"}, merge(fast, map[string]string{"STUB_SLEEP": "", "STUB_EXIT": "0"}))
			}()
		}
		timeout := time.After(20 * time.Second)
		for i := range runs {
			select {
			case res := <-done:
				if res.exit != 0 {
					t.Fatalf("master.sh exit %d, want 0; stderr:\n%s", res.exit, res.stderr)
				}
			case <-timeout:
				t.Fatalf("%d of %d master.sh still running, or their pipes still open, 20 s after they started", runs-i, runs)
			}
		}
		deadline := time.Now().Add(5 * time.Second) // beats of 1 s
		for _, s := range sandboxes {
			for left := scriptProcesses(t, s.scripts); len(left) > 0; left = scriptProcesses(t, s.scripts) {
				if time.Now().After(deadline) {
					t.Fatalf("processes of master.sh left 5 s after it exited: %v", left)
				}
				time.Sleep(100 * time.Millisecond)
			}
		}
	})
	t.Run("a worker ends when its master's heartbeat falls silent", func(t *testing.T) {
		t.Parallel()
		s := newSandbox(t)
		writeFile(t, aliveFile(s), "7\n")
		start := time.Now()
		res := s.run(t, "/bin/sh", "worker.sh", nil, fast)
		if res.exit != ExitMasterEnded {
			t.Errorf("worker.sh exit %d, want ExitMasterEnded (%d); stderr:\n%s", res.exit, ExitMasterEnded, res.stderr)
		}
		if took := time.Since(start); took < 3*time.Second {
			t.Errorf("worker.sh ended %v after it started: before the 3 s of silence", took)
		}
		// The first worker to notice records the end, so every other one
		// ends within a poll.
		if b, err := os.ReadFile(exitFile(s)); err != nil || string(b) != "silent\n" {
			t.Errorf("recorded end %q (%v), want \"silent\\n\"", b, err)
		}
	})
	for _, tt := range []struct {
		name string
		beat bool
	}{{"a worker keeps waiting for a master that has not started", false}, {"a worker keeps running while its master beats", true}} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newSandbox(t)
			stop := make(chan struct{})
			if tt.beat {
				go func() {
					for n := 1; ; n++ {
						writeFile(t, aliveFile(s), strconv.Itoa(n)+"\n")
						select {
						case <-stop:
							return
						case <-time.After(time.Second):
						}
					}
				}()
			}
			done := make(chan result, 1)
			go func() { done <- s.run(t, "/bin/sh", "worker.sh", nil, fast) }()
			select {
			case res := <-done:
				t.Fatalf("worker.sh ended (exit %d) within 7 s; stderr:\n%s", res.exit, res.stderr)
			case <-time.After(7 * time.Second):
			}
			close(stop)
			writeFile(t, exitFile(s), "0\n")
			if res := <-done; res.exit != ExitMasterEnded {
				t.Errorf("worker.sh exit %d after the master's end was recorded, want %d; stderr:\n%s", res.exit, ExitMasterEnded, res.stderr)
			}
		})
	}
	t.Run("a worker refuses a silence that is not whole seconds", func(t *testing.T) {
		t.Parallel()
		s := newSandbox(t)
		res := s.run(t, "/bin/sh", "worker.sh", nil, merge(run, map[string]string{EnvMasterSilence: "1m"}))
		if res.exit != 2 || !strings.Contains(res.stderr, EnvMasterSilence) {
			t.Errorf("worker.sh exit %d, stderr %q; want exit 2 naming JULIARUN_MASTER_SILENCE", res.exit, res.stderr)
		}
	})
	for _, tt := range []struct {
		restart string
		want    int
	}{{"Always", ExitRestart}, {"OnFailure", 0}, {"Never", 0}} {
		t.Run("a worker that ends by itself under "+tt.restart, func(t *testing.T) {
			t.Parallel()
			s := newSandbox(t)
			res := s.run(t, "/bin/sh", "worker.sh", nil, merge(run, map[string]string{EnvWorkerRestart: tt.restart}))
			if res.exit != tt.want {
				t.Errorf("worker.sh exit %d, want %d; stderr:\n%s", res.exit, tt.want, res.stderr)
			}
		})
	}
	t.Run("the exit codes the scripts spell out", func(t *testing.T) {
		w := Files()["worker.sh"]
		for _, line := range []string{"exit_master_ended=" + strconv.Itoa(ExitMasterEnded), "exit_restart=" + strconv.Itoa(ExitRestart)} {
			if !strings.Contains(w, "\n"+line+"\n") {
				t.Errorf("worker.sh does not set %s", line)
			}
		}
	})
}

func merge(a, b map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] = v
	}
	return out
}

// writeFile writes a file of the run volume as another pod would: in one
// rename, so a poller never reads half of it.
func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Error(err)
		return
	}
	if err := os.WriteFile(path+".tmp", []byte(content), 0o644); err != nil {
		t.Error(err)
		return
	}
	if err := os.Rename(path+".tmp", path); err != nil {
		t.Error(err)
	}
}

func readCounter(t *testing.T, path string) int {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatalf("%s holds %q, want a counter", path, b)
	}
	return n
}

// scriptProcesses returns the command lines of the processes that run a
// script of dir.
func scriptProcesses(t *testing.T, dir string) []string {
	t.Helper()
	procs, err := filepath.Glob("/proc/[0-9]*/cmdline")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, p := range procs {
		b, err := os.ReadFile(p)
		if err == nil && bytes.Contains(b, []byte(dir+"/")) {
			out = append(out, strings.ReplaceAll(string(b), "\x00", " "))
		}
	}
	return out
}
