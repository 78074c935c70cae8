package nodeimages

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/juliarun/sdk/internal/scripts"
)

// The chroot subtests of the image tests run its programs in a chroot as the
// uid and gid the SDK's pods run as (1000:1000), the nearest thing to a
// container this package can do by itself; the real node runs them for
// real. They need root and the built images.

const podUID, podGID = 1000, 1000

// rootfs is an unpacked image with /proc and a /dev mounted.
type rootfs struct {
	dir string
	env []string // the image config's
}

// chrootOf mounts /proc and a /dev into the unpacked image f until the test
// ends. It skips the test when not root (nothing was unpacked).
func chrootOf(t *testing.T, f *imageFS) *rootfs {
	t.Helper()
	if f.dir == "" {
		t.Skip("SKIPPING NODE IMAGE CHROOT TEST: needs root (chroot)")
	}
	c := plainChroot(f.dir)
	if err := c.prepare("", ""); err != nil {
		c.Close()
		t.Fatal(err)
	}
	// The unpacked directory is the parent test's TempDir, removed after
	// this cleanup: nothing is mounted then.
	t.Cleanup(func() {
		if err := c.Close(); err != nil {
			t.Error(err)
		}
	})
	return &rootfs{dir: f.dir, env: f.cfg.Config.Env}
}

// mkdirOwned makes a directory in the root file system owned by the pod's uid.
func (r *rootfs) mkdirOwned(t *testing.T, p string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Join(r.dir, p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(filepath.Join(r.dir, p), podUID, podGID); err != nil {
		t.Fatal(err)
	}
}

// scripts puts the SDK's scripts where the pods mount them.
func (r *rootfs) scripts(t *testing.T) {
	t.Helper()
	for n, c := range scripts.Files() {
		p := filepath.Join(r.dir, scripts.Dir, n)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(c), 0o555); err != nil {
			t.Fatal(err)
		}
	}
}

// command prepares argv in the chroot as uid:gid with the image's
// environment and extra variables, in a network namespace of its own
// (so that servers it starts cannot reach or clash with the machine's).
func (r *rootfs) command(ctx context.Context, uid, gid int, extra []string, argv ...string) *exec.Cmd {
	// The image's sh looks argv[0] up on the image's PATH; exec leaves the
	// command as the process that gets the signals.
	cmd := exec.CommandContext(ctx, "/bin/sh", append([]string{"-c", `exec "$@"`, "sh"}, argv...)...)
	cmd.Env = append(append([]string{}, r.env...), extra...)
	cmd.Dir = "/"
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Chroot:     r.dir,
		Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), Groups: []uint32{}},
		Cloneflags: syscall.CLONE_NEWNET,
	}
	return cmd
}

func (r *rootfs) run(t *testing.T, uid, gid int, extra []string, argv ...string) (string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := r.command(ctx, uid, gid, extra, argv...)
	// runc gives a container's stdio to the container's user
	// (fixStdioPermissions), so that /dev/stdout can be opened again, which
	// nginx's log links need; a pipe of the user's own does the same here.
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := pw.Chown(uid, gid); err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = pw, pw
	var out bytes.Buffer
	copied := make(chan struct{})
	go func() { _, _ = io.Copy(&out, pr); close(copied) }()
	err = cmd.Run()
	pw.Close()
	<-copied
	pr.Close()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("%q: %v", argv, err)
	}
	return out.String(), code
}

// smokeJuliaStandIn runs the SDK's master.sh with the stand-in.
func smokeJuliaStandIn(t *testing.T, f *imageFS) {
	r := chrootOf(t, f)
	r.scripts(t)
	r.mkdirOwned(t, "/mnt/run")
	r.mkdirOwned(t, "/home/juliarun")
	if err := os.WriteFile(filepath.Join(r.dir, "mnt/run/job.jl"), []byte("# standin: write out/hello.txt hi\n# standin: exit 3\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	env := []string{"JRUN_DIR=/mnt/run", "HOME=/home/juliarun", "JRUN_SCRIPTS=" + scripts.Dir}
	out, code := r.run(t, podUID, podGID, env, "/bin/sh", scripts.Dir+"/master.sh", "job.jl")
	if code != 3 {
		t.Fatalf("exit code %d, want 3:\n%s", code, out)
	}
	fi, err := os.Stat(filepath.Join(r.dir, "mnt/run/out/hello.txt"))
	if err != nil || fi.Sys().(*syscall.Stat_t).Uid != podUID {
		t.Errorf("out/hello.txt not written by uid %d: %v", podUID, err)
	}
	host, _ := os.Hostname()
	var rec StandInRecord
	b, err := os.ReadFile(filepath.Join(r.dir, "mnt/run/.standin", host+".json"))
	if err != nil || json.Unmarshal(b, &rec) != nil {
		t.Fatalf("no record: %v\n%s", err, out)
	}
	if rec.UID != podUID || rec.Cwd != "/mnt/run" || rec.Argv[0] != "julia" {
		t.Errorf("uid %d cwd %q argv %q", rec.UID, rec.Cwd, rec.Argv)
	}
	if v, _ := r.run(t, podUID, podGID, nil, "/bin/sh", "-c", "julia --version"); !strings.Contains(v, "not Julia") {
		t.Errorf("julia --version: %q", v)
	}

	// A worker started by worker.sh as PID 1 of its own PID namespace, as in
	// a container: the kernel ignores signals PID 1 does not handle, so
	// worker.sh runs julia as its child (PID 2) and passes SIGTERM on, and
	// the worker stops promptly.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := r.command(ctx, podUID, podGID, append(env, "JRUN_CLUSTER_COOKIE=0123456789abcdef"), "/bin/sh", scripts.Dir+"/worker.sh")
	cmd.SysProcAttr.Cloneflags |= syscall.CLONE_NEWPID
	lines := startStandIn(t, cmd)
	waitLine(t, lines, "julia_worker:9009#0.0.0.0")
	b, err = os.ReadFile(filepath.Join(r.dir, "mnt/run/.standin", host+".json"))
	if err != nil || json.Unmarshal(b, &rec) != nil || rec.PID != 2 || rec.Mode != "worker" {
		t.Errorf("worker record: pid %d mode %q (%v), want PID 2 (worker.sh's child) in worker mode", rec.PID, rec.Mode, err)
	}
	stopPromptly(t, cmd)
}

// smokeNginx checks configurations with nginx -t as root and as uid 1000.
func smokeNginx(t *testing.T, f *imageFS) {
	r := chrootOf(t, f)
	// The official image's default configuration, as root.
	if out, code := r.run(t, 0, 0, nil, "nginx", "-t"); code != 0 {
		t.Errorf("nginx -t as root: exit %d:\n%s", code, out)
	}
	// As the pods' uid, the default configuration's temp paths are not
	// writable, as in the official image (the bug a non-root webserver
	// configuration must avoid).
	if out, code := r.run(t, podUID, podGID, nil, "nginx", "-t"); code == 0 {
		t.Errorf("nginx -t as uid %d with the default configuration passed; the official image's would fail:\n%s", podUID, out)
	}
	// The SDK's webserver example runs as the pods' uid.
	example, err := os.ReadFile("../../examples/webserver/nginx.conf")
	if err != nil {
		t.Fatal(err)
	}
	r.mkdirOwned(t, "/mnt/run")
	if err := os.WriteFile(filepath.Join(r.dir, "mnt/run/nginx.conf"), example, 0o644); err != nil {
		t.Fatal(err)
	}
	if out, code := r.run(t, podUID, podGID, nil, "nginx", "-t", "-c", "/mnt/run/nginx.conf", "-g", "daemon off;"); code != 0 {
		t.Errorf("nginx -t with examples/webserver/nginx.conf as uid %d: exit %d:\n%s", podUID, code, out)
	}
}

// smokeRabbitMQ runs Erlang and the entrypoint as uid 1000.
func smokeRabbitMQ(t *testing.T, f *imageFS) {
	r := chrootOf(t, f)
	// The Erlang VM runs as the pods' uid. (The rabbitmq CLI tools need
	// Erlang distribution over loopback, which this network namespace does
	// not have up; the real node runs the broker.)
	out, code := r.run(t, podUID, podGID, nil, "erl", "-noshell", "-eval", `io:format("otp ~s~n", [erlang:system_info(otp_release)]), halt().`)
	if code != 0 || !strings.Contains(out, "otp ") {
		t.Fatalf("erl as uid %d: exit %d:\n%s", podUID, code, out)
	}
	// The entrypoint refuses a RABBITMQ_CONFIG_FILE that is not there.
	out, code = r.run(t, podUID, podGID, []string{"RABBITMQ_CONFIG_FILE=/mnt/run/nope.conf"}, "docker-entrypoint.sh", "true")
	if code == 0 || !strings.Contains(out, "no such file") {
		t.Errorf("entrypoint with a missing RABBITMQ_CONFIG_FILE: exit %d:\n%s", code, out)
	}
}

// smokeNotebookSh starts the SDK's notebook.sh as the pods' uid with a
// password hash: the real Jupyter server must come up with authentication
// on, the JuliaRun startup file land in JULIA_DEPOT_PATH, and SIGTERM end it
// promptly.
func smokeNotebookSh(t *testing.T, f *imageFS) {
	r := chrootOf(t, f)
	r.scripts(t)
	r.mkdirOwned(t, "/mnt/run")
	r.mkdirOwned(t, "/home/juliarun")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	hash, code := r.run(t, podUID, podGID, nil, "python3", "-c", `from notebook.auth import passwd; print(passwd("s3cret"))`)
	if code != 0 || !strings.HasPrefix(hash, "argon2:") {
		t.Fatalf("hashing a password with the image's Notebook: exit %d: %s", code, hash)
	}
	env := []string{"JRUN_DIR=/mnt/run", "HOME=/home/juliarun", "JRUN_SCRIPTS=" + scripts.Dir, "JRUN_NOTEBOOK_PORT=8888",
		scripts.EnvPasswordHash + "=" + strings.TrimSpace(hash)}
	cmd := r.command(ctx, podUID, podGID, env, "/bin/sh", scripts.Dir+"/notebook.sh")
	var out syncBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	deadline := time.After(90 * time.Second)
	for !strings.Contains(out.String(), "is running at") {
		select {
		case err := <-done:
			t.Fatalf("notebook.sh ended (%v):\n%s", err, out.String())
		case <-deadline:
			_ = cmd.Process.Kill()
			t.Fatalf("no running server after 90s:\n%s", out.String())
		case <-time.After(200 * time.Millisecond):
		}
	}
	// With a password hash, the SDK's jupyter_server_config.py turns
	// authentication on (Notebook 6 warns when it is off).
	if strings.Contains(out.String(), "All authentication is disabled") {
		t.Errorf("the password hash did not reach the notebook server:\n%s", out.String())
	}
	startup, err := os.ReadFile(filepath.Join(r.dir, "opt/julia/config/startup.jl"))
	if err != nil || !strings.Contains(string(startup), "juliarun.jl") {
		t.Errorf("startup.jl in JULIA_DEPOT_PATH: %q, %v", startup, err)
	}
	start := time.Now()
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-done:
		if d := time.Since(start); d > 10*time.Second {
			t.Errorf("took %s to stop after SIGTERM", d)
		}
	case <-time.After(20 * time.Second):
		_ = cmd.Process.Kill()
		t.Errorf("still running 20s after SIGTERM:\n%s", out.String())
	}
}

// syncBuffer is a bytes.Buffer safe for a writer and a reader at once.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
