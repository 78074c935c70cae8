package clusterbin

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"time"
)

// Pinned versions. Changing one changes the cache key, so old caches are
// never mixed with new binaries.
const (
	KubernetesVersion = "v1.37.2"
	// StagingVersion is the tag of every k8s.io staging module that matches
	// KubernetesVersion.
	StagingVersion = "v0.37.2"
	EtcdVersion    = "v3.7.0"
	KwokVersion    = "v0.8.0"
)

// Binary names, as they appear in the cache directory.
const (
	Etcd                  = "etcd"
	KubeAPIServer         = "kube-apiserver"
	KubeControllerManager = "kube-controller-manager"
	KubeScheduler         = "kube-scheduler"
	Kwok                  = "kwok"
	Kubectl               = "kubectl"
)

// DirEnv names the environment variable that overrides the cache directory.
const DirEnv = "JULIARUN_CLUSTER_BIN_DIR"

// target is one binary and the Go package it is built from.
type target struct {
	name    string
	module  string // module to require; "" for a program of our own (src)
	version string
	pkg     string // main package to build
	tags    string // build tags, space-separated
	src     []byte // the main package's only file, when module is ""
}

func targets() []target {
	return []target{
		{name: Etcd, module: "go.etcd.io/etcd/server/v3", version: EtcdVersion, pkg: "go.etcd.io/etcd/server/v3"},
		{name: KubeAPIServer, module: "k8s.io/kubernetes", version: KubernetesVersion, pkg: "k8s.io/kubernetes/cmd/kube-apiserver"},
		{name: KubeControllerManager, module: "k8s.io/kubernetes", version: KubernetesVersion, pkg: "k8s.io/kubernetes/cmd/kube-controller-manager"},
		{name: KubeScheduler, module: "k8s.io/kubernetes", version: KubernetesVersion, pkg: "k8s.io/kubernetes/cmd/kube-scheduler"},
		{name: Kubectl, module: "k8s.io/kubernetes", version: KubernetesVersion, pkg: "k8s.io/kubernetes/cmd/kubectl"},
		{name: Kwok, module: "sigs.k8s.io/kwok", version: KwokVersion, pkg: "sigs.k8s.io/kwok/cmd/kwok"},
	}
}

// Dir returns the cache directory for the pinned versions: $JULIARUN_CLUSTER_BIN_DIR
// if set, else <user cache dir>/juliarun/cluster-<versions>.
func Dir() (string, error) {
	if d := os.Getenv(DirEnv); d != "" {
		return d, nil
	}
	base, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("locating the user cache directory (set %s): %w", DirEnv, err)
	}
	key := fmt.Sprintf("cluster-k8s-%s-etcd-%s-kwok-%s", KubernetesVersion, EtcdVersion, KwokVersion)
	return filepath.Join(base, "juliarun", key), nil
}

// Missing returns the names of the control-plane binaries not yet in dir.
func Missing(dir string) []string {
	return missingIn(dir, targets())
}

func missingIn(dir string, ts []target) []string {
	var missing []string
	for _, t := range ts {
		if fi, err := os.Stat(filepath.Join(dir, t.name)); err != nil || fi.Mode()&0o111 == 0 {
			missing = append(missing, t.name)
		}
	}
	return missing
}

// Ensure builds every missing binary into Dir() and returns that directory.
// It does nothing but a few stat calls when all are present. Progress goes to
// progress (which may be io.Discard).
func Ensure(ctx context.Context, progress io.Writer) (string, error) {
	dir, err := Dir()
	if err != nil {
		return "", err
	}
	missing := Missing(dir)
	if len(missing) == 0 {
		return dir, nil
	}
	fmt.Fprintf(progress, "juliarun: building control-plane binaries %v into %s (cold build takes about 14 minutes on 2 cores)\n", missing, dir)
	return dir, build(ctx, progress, dir, targets(), missing)
}

// build builds the named targets of ts into dir, each atomically (a
// temporary name, then a rename).
func build(ctx context.Context, progress io.Writer, dir string, ts []target, names []string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("creating binary cache: %w", err)
	}
	want := map[string]bool{}
	for _, m := range names {
		want[m] = true
	}
	// Group by module so each throw-away module resolves its graph once.
	byModule := map[string][]target{}
	var order []string
	for _, t := range ts {
		if !want[t.name] {
			continue
		}
		if _, ok := byModule[t.module]; !ok {
			order = append(order, t.module)
		}
		byModule[t.module] = append(byModule[t.module], t)
	}
	for _, mod := range order {
		if err := buildModule(ctx, progress, dir, byModule[mod]); err != nil {
			return err
		}
	}
	return nil
}

func buildModule(ctx context.Context, progress io.Writer, dir string, ts []target) error {
	work, err := os.MkdirTemp("", "juliarun-build-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	gomod, err := goModFor(ctx, ts[0].module, ts[0].version)
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(work, "go.mod"), []byte(gomod), 0o644); err != nil {
		return err
	}
	for _, t := range ts {
		start := time.Now()
		fmt.Fprintf(progress, "juliarun: building %s %s ...\n", t.name, t.version)
		pkg := t.pkg
		if t.src != nil {
			if err := os.WriteFile(filepath.Join(work, t.name+".go"), t.src, 0o644); err != nil {
				return err
			}
			pkg = "./" + t.name + ".go"
		}
		tmp := filepath.Join(dir, "."+t.name+".tmp")
		args := []string{"build", "-mod=mod", "-o", tmp, "-ldflags", ldflags(t)}
		if t.tags != "" {
			args = append(args, "-tags", t.tags)
		}
		args = append(args, pkg)
		if err := run(ctx, work, args...); err != nil {
			return fmt.Errorf("building %s: %w", t.name, err)
		}
		if err := os.Rename(tmp, filepath.Join(dir, t.name)); err != nil {
			return err
		}
		fmt.Fprintf(progress, "juliarun: built %s in %s\n", t.name, time.Since(start).Round(time.Second))
	}
	return nil
}

func ldflags(t target) string {
	flags := "-s -w"
	if t.module == "k8s.io/kubernetes" {
		major, minor := "1", strings.Split(strings.TrimPrefix(t.version, "v"), ".")[1]
		for _, kv := range [][2]string{
			{"gitVersion", t.version}, {"gitMajor", major}, {"gitMinor", minor},
			{"gitTreeState", "clean"},
		} {
			flags += fmt.Sprintf(" -X k8s.io/component-base/version.%s=%s", kv[0], kv[1])
		}
	}
	return flags
}

// goModFor writes a go.mod that requires module@version. Modules whose own
// go.mod replaces dependencies by local paths (k8s.io/kubernetes does, for
// its staging modules) get those replaces translated to published tags.
func goModFor(ctx context.Context, module, version string) (string, error) {
	var b strings.Builder
	fmt.Fprintf(&b, "module juliarun.local/build\n\ngo 1.26\n")
	if module == "" {
		return b.String(), nil
	}
	fmt.Fprintf(&b, "\nrequire %s %s\n", module, version)
	if module == "k8s.io/kubernetes" {
		staging, err := stagingModules(ctx, module, version)
		if err != nil {
			return "", err
		}
		for _, m := range staging {
			fmt.Fprintf(&b, "replace %s => %s %s\n", m, m, StagingVersion)
		}
	}
	return b.String(), nil
}

var stagingRe = regexp.MustCompile(`^\s*(k8s\.io/[a-z0-9-]+)\s+=>\s+\./staging/`)

// stagingModules reads the module's published go.mod (through the module
// proxy) and returns the modules it replaces by ./staging paths.
func stagingModules(ctx context.Context, module, version string) ([]string, error) {
	out, err := output(ctx, "", "mod", "download", "-json", module+"@"+version)
	if err != nil {
		return nil, fmt.Errorf("downloading %s@%s: %w", module, version, err)
	}
	m := regexp.MustCompile(`"GoMod":\s*"([^"]+)"`).FindSubmatch(out)
	if m == nil {
		return nil, fmt.Errorf("go mod download %s@%s: no GoMod in output", module, version)
	}
	data, err := os.ReadFile(string(m[1]))
	if err != nil {
		return nil, err
	}
	var mods []string
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		if sm := stagingRe.FindStringSubmatch(sc.Text()); sm != nil {
			mods = append(mods, sm[1])
		}
	}
	if len(mods) == 0 {
		return nil, errors.New("no staging replaces found in " + string(m[1]))
	}
	return mods, nil
}

func goCmd(ctx context.Context, dir string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOFLAGS=-buildvcs=false", "GOWORK=off")
	return cmd
}

func run(ctx context.Context, dir string, args ...string) error {
	cmd := goCmd(ctx, dir, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	cmd.Stdout = &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go %s: %w\n%s", strings.Join(args, " "), err, tail(stderr.String(), 4000))
	}
	return nil
}

func output(ctx context.Context, dir string, args ...string) ([]byte, error) {
	cmd := goCmd(ctx, dir, args...)
	if dir == "" {
		cmd.Dir = os.TempDir()
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("go %s: %w\n%s", strings.Join(args, " "), err, tail(stderr.String(), 4000))
	}
	return out, nil
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "..." + s[len(s)-n:]
}
