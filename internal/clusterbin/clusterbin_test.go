package clusterbin

import (
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestDirOverride(t *testing.T) {
	t.Setenv(DirEnv, "/somewhere/else")
	got, err := Dir()
	if err != nil || got != "/somewhere/else" {
		t.Errorf("Dir() = %q, %v; want the %s override", got, err, DirEnv)
	}
}

func TestDirIsKeyedByVersion(t *testing.T) {
	t.Setenv(DirEnv, "")
	got, err := Dir()
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []string{KubernetesVersion, EtcdVersion, KwokVersion} {
		if !strings.Contains(filepath.Base(got), v) {
			t.Errorf("Dir() = %q does not name version %s", got, v)
		}
	}
}

func TestMissing(t *testing.T) {
	dir := t.TempDir()
	all := []string{Etcd, KubeAPIServer, KubeControllerManager, KubeScheduler, Kubectl, Kwok}
	if diff := cmp.Diff(all, Missing(dir)); diff != "" {
		t.Errorf("empty dir (-want +got):\n%s", diff)
	}
	// A file that is not executable does not count.
	if err := os.WriteFile(filepath.Join(dir, Etcd), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, Kwok), nil, 0o755); err != nil {
		t.Fatal(err)
	}
	want := []string{Etcd, KubeAPIServer, KubeControllerManager, KubeScheduler, Kubectl}
	if diff := cmp.Diff(want, Missing(dir)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestLdflagsSetKubernetesVersion(t *testing.T) {
	for _, tgt := range targets() {
		got := ldflags(tgt)
		wantVersion := tgt.module == "k8s.io/kubernetes"
		if has := strings.Contains(got, "version.gitVersion="+KubernetesVersion); has != wantVersion {
			t.Errorf("%s: ldflags %q, want gitVersion set = %v", tgt.name, got, wantVersion)
		}
	}
}

func TestGoModWithoutStaging(t *testing.T) {
	got, err := goModFor(t.Context(), "go.etcd.io/etcd/server/v3", EtcdVersion)
	if err != nil {
		t.Fatal(err)
	}
	want := "module juliarun.local/build\n\ngo 1.26\n\nrequire go.etcd.io/etcd/server/v3 " + EtcdVersion + "\n"
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestNodeDirIsKeyedByVersion(t *testing.T) {
	got := NodeDir("/cache")
	if filepath.Dir(got) != "/cache" {
		t.Errorf("NodeDir(/cache) = %q, want a directory inside /cache", got)
	}
	for _, v := range []string{ContainerdVersion, CNIPluginsVersion, CoreDNSVersion, PauseVersion} {
		if !strings.Contains(filepath.Base(got), v) {
			t.Errorf("NodeDir() = %q does not name version %s", got, v)
		}
	}
}

func TestMissingNode(t *testing.T) {
	dir := t.TempDir()
	all := []string{Kubelet, KubeProxy, Containerd, ContainerdShim, Ctr, CNIBridge, CNIHostLocal, CNILoopback, CNIPortmap, CoreDNS, Pause}
	if diff := cmp.Diff(all, MissingNode(dir)); diff != "" {
		t.Errorf("empty dir (-want +got):\n%s", diff)
	}
	if err := os.MkdirAll(NodeDir(dir), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, name := range all[1:] {
		if err := os.WriteFile(filepath.Join(NodeDir(dir), name), nil, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if diff := cmp.Diff([]string{Kubelet}, MissingNode(dir)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestGoModOfOwnProgram(t *testing.T) {
	got, err := goModFor(t.Context(), "", PauseVersion)
	if err != nil {
		t.Fatal(err)
	}
	if want := "module juliarun.local/build\n\ngo 1.26\n"; got != want {
		t.Errorf("goModFor(\"\") = %q, want %q", got, want)
	}
}

// TestPauseBuildsAndExitsOnSIGTERM builds the pause program and checks the
// one thing a sandbox needs of it besides sleeping: SIGTERM ends it at once
// with exit code 0.
func TestPauseBuildsAndExitsOnSIGTERM(t *testing.T) {
	dir := t.TempDir()
	if err := build(t.Context(), io.Discard, dir, nodeTargets(), []string{Pause}); err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(t.Context(), filepath.Join(dir, Pause))
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond) // let it install its signal handler
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("pause after SIGTERM: %v, want exit 0", err)
		}
	case <-time.After(5 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatal("pause still running 5 s after SIGTERM")
	}
}
