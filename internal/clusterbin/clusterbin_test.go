package clusterbin

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

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
