package scripts

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// The scripts run for real here, with /bin/sh (and bash if present, which
// handles here-documents differently), and with stub julia and jupyter
// executables first on PATH that record how they were started.

const (
	testCookie = "0123456789abcdef"
	testHash   = "argon2:$argon2id$v=19$m=10240,t=10,p=8$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA"
)

// stub records its name, argv (NUL-separated), stdin, working directory, pid
// and environment into $STUB_OUT, then exits 0.
const stub = `#!/bin/sh
out=$STUB_OUT
printf '%s' "${0##*/}" >"$out/prog"
printf '%s\000' "$@" >"$out/argv"
cat >"$out/stdin"
pwd >"$out/cwd"
echo $$ >"$out/pid"
echo $PPID >"$out/ppid"
env >"$out/env"
# What the stubbed program then does: run until signalled, or exit.
[ -z "${STUB_SLEEP:-}" ] || exec sleep "$STUB_SLEEP"
exit "${STUB_EXIT:-0}"
`

// recordedEnv are the variables a record keeps (when set).
var recordedEnv = []string{EnvCookie, EnvPasswordHash, EnvUnitIndex, "JULIA_WORKER_TIMEOUT"}

// record is how a stub was started.
type record struct {
	Prog  string
	Argv  []string
	Stdin string
	Dir   string
	Env   map[string]string
	// Execed: the stub has the pid of the shell the test started, so every
	// script on the way used exec.
	Execed bool
	// Child: the stub is a child of the shell the test started, which
	// forwards signals to it and waits for it.
	Child bool
}

// sandbox is one test run's file system: the scripts directory, the run
// volume, HOME, TMPDIR and the stubs.
type sandbox struct {
	scripts, dir, home, tmp, bin, out string
}

func newSandbox(t *testing.T) *sandbox {
	t.Helper()
	root := t.TempDir()
	s := &sandbox{
		scripts: filepath.Join(root, "scripts"),
		dir:     filepath.Join(root, "mnt", "runvol"),
		home:    filepath.Join(root, "home"),
		tmp:     filepath.Join(root, "tmp"),
		bin:     filepath.Join(root, "bin"),
		out:     filepath.Join(root, "out"),
	}
	for _, d := range []string{s.scripts, s.dir, s.home, s.tmp, s.bin, s.out} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for name, content := range Files() {
		// Read-only, as in the ConfigMap mount.
		if err := os.WriteFile(filepath.Join(s.scripts, name), []byte(content), 0o444); err != nil {
			t.Fatal(err)
		}
	}
	for _, name := range []string{"julia", "jupyter"} {
		if err := os.WriteFile(filepath.Join(s.bin, name), []byte(stub), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

// env is the environment the renderer gives a pod of the given kind, plus
// extra (a value of "" unsets the variable).
func (s *sandbox) env(extra map[string]string) []string {
	m := map[string]string{
		"PATH":     s.bin + ":/usr/local/bin:/usr/bin:/bin",
		"HOME":     s.home,
		"TMPDIR":   s.tmp,
		"STUB_OUT": s.out,
		EnvName:    "job1",
		EnvType:    "JuliaParBatch",
		EnvDir:     s.dir,
		EnvScripts: s.scripts,
	}
	for k, v := range extra {
		m[k] = v
	}
	var env []string
	for k, v := range m {
		if v != "" {
			env = append(env, k+"="+v)
		}
	}
	slices.Sort(env)
	return env
}

type result struct {
	exit   int
	stderr string
	rec    *record // nil when no stub ran
}

// run starts shell script args... the way a container command would.
func (s *sandbox) run(t *testing.T, shell, script string, args []string, extra map[string]string) result {
	t.Helper()
	cmd := exec.Command(shell, append([]string{filepath.Join(s.scripts, script)}, args...)...)
	cmd.Env = s.env(extra)
	cmd.Dir = s.home // somewhere else than JRUN_DIR, to see the scripts cd
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	res := result{stderr: stderr.String()}
	var exitErr *exec.ExitError
	switch {
	case errors.As(err, &exitErr):
		res.exit = exitErr.ExitCode()
	case err != nil:
		t.Fatalf("running %s: %v", script, err)
	}
	if _, err := os.Stat(filepath.Join(s.out, "prog")); err == nil {
		res.rec = s.readRecord(t, cmd.Process.Pid)
	}
	return res
}

func (s *sandbox) readRecord(t *testing.T, pid int) *record {
	t.Helper()
	read := func(name string) string {
		b, err := os.ReadFile(filepath.Join(s.out, name))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	r := &record{
		Prog:  read("prog"),
		Argv:  strings.Split(strings.TrimSuffix(read("argv"), "\x00"), "\x00"),
		Stdin: read("stdin"),
		Dir:   strings.TrimSpace(read("cwd")),
		Env:   map[string]string{},
	}
	for _, kv := range strings.Split(read("env"), "\n") {
		k, v, _ := strings.Cut(kv, "=")
		if slices.Contains(recordedEnv, k) {
			r.Env[k] = v
		}
	}
	stubPID, err := strconv.Atoi(strings.TrimSpace(read("pid")))
	if err != nil {
		t.Fatal(err)
	}
	r.Execed = stubPID == pid
	stubParent, err := strconv.Atoi(strings.TrimSpace(read("ppid")))
	if err != nil {
		t.Fatal(err)
	}
	r.Child = stubParent == pid
	return r
}

// interpreters are the shells the scripts are run with.
func interpreters() []string {
	out := []string{"/bin/sh"}
	if p, err := exec.LookPath("bash"); err == nil {
		out = append(out, p)
	}
	return out
}

func TestScripts(t *testing.T) {
	type want struct {
		exit      int
		stderrHas string  // for failures
		rec       *record // nil: no stub may run
		startupJL string  // where startup.jl must be written, if it must
	}
	// Paths in the table are templates: @S is the scripts dir, @D the run
	// directory, @H the home directory.
	tests := []struct {
		name   string
		script string
		args   []string
		env    map[string]string
		files  map[string]string // files to create in JRUN_DIR
		want   want
	}{{
		name: "master runs a Julia script", script: "master.sh", args: []string{"pi.jl"},
		want: want{rec: &record{Prog: "julia", Argv: []string{"-L", "@S/juliarun.jl", "pi.jl"}, Dir: "@D", Env: map[string]string{}, Child: true}},
	}, {
		name: "master passes a script path through", script: "master.sh", args: []string{"sub/dir/main.jl"},
		want: want{rec: &record{Prog: "julia", Argv: []string{"-L", "@S/juliarun.jl", "sub/dir/main.jl"}, Dir: "@D", Env: map[string]string{}, Child: true}},
	}, {
		name: "master runs worker.sh: a ParBatch worker", script: "master.sh", args: []string{"worker.sh"},
		env: map[string]string{EnvCookie: testCookie, EnvWorkerPort: "9009"},
		want: want{rec: &record{
			Prog: "julia", Argv: []string{"-L", "@S/juliarun.jl", "--worker", "--bind-to", "0.0.0.0:9009"},
			Stdin: testCookie + "\n", Dir: "@D", Env: map[string]string{EnvCookie: testCookie, "JULIA_WORKER_TIMEOUT": "86400"}, Child: true,
		}},
	}, {
		name: "master runs a user shell script with /bin/sh", script: "master.sh", args: []string{"custom.sh"},
		files: map[string]string{"custom.sh": "exec julia from-custom.sh \"$PWD\"\n"},
		want:  want{rec: &record{Prog: "julia", Argv: []string{"from-custom.sh", "@D"}, Dir: "@D", Env: map[string]string{}, Child: true}},
	}, {
		name: "master runs ./worker.sh from the run volume, not the shipped one", script: "master.sh", args: []string{"./worker.sh"},
		files: map[string]string{"worker.sh": "exec julia users-worker\n"},
		want:  want{rec: &record{Prog: "julia", Argv: []string{"users-worker"}, Dir: "@D", Env: map[string]string{}, Child: true}},
	}, {
		name: "master without a script", script: "master.sh",
		want: want{exit: 2, stderrHas: "missing SCRIPT"},
	}, {
		name: "master with an empty script", script: "master.sh", args: []string{""},
		want: want{exit: 2, stderrHas: "missing SCRIPT"},
	}, {
		name: "master without JRUN_DIR", script: "master.sh", args: []string{"pi.jl"}, env: map[string]string{EnvDir: ""},
		want: want{exit: 2, stderrHas: "JRUN_DIR"},
	}, {
		name: "worker waits for the master, cookie on stdin", script: "worker.sh",
		env: map[string]string{EnvCookie: testCookie, EnvWorkerPort: "9009"},
		want: want{rec: &record{
			Prog: "julia", Argv: []string{"-L", "@S/juliarun.jl", "--worker", "--bind-to", "0.0.0.0:9009"},
			Stdin: testCookie + "\n", Dir: "@D", Env: map[string]string{EnvCookie: testCookie, "JULIA_WORKER_TIMEOUT": "86400"}, Child: true,
		}},
	}, {
		name: "worker keeps a JULIA_WORKER_TIMEOUT it is given, and its port", script: "worker.sh",
		env: map[string]string{EnvCookie: `a$b\c"d'e f`, EnvWorkerPort: "9100", "JULIA_WORKER_TIMEOUT": "120"},
		want: want{rec: &record{
			Prog: "julia", Argv: []string{"-L", "@S/juliarun.jl", "--worker", "--bind-to", "0.0.0.0:9100"},
			Stdin: `a$b\c"d'e f` + "\n", Dir: "@D", Env: map[string]string{EnvCookie: `a$b\c"d'e f`, "JULIA_WORKER_TIMEOUT": "120"}, Child: true,
		}},
	}, {
		name: "worker without a cookie", script: "worker.sh", env: map[string]string{EnvWorkerPort: "9009"},
		want: want{exit: 2, stderrHas: EnvCookie},
	}, {
		name: "job array unit runs its script", script: "worker.sh", args: []string{"unit.jl"},
		env:  map[string]string{EnvUnitIndex: "3"},
		want: want{rec: &record{Prog: "julia", Argv: []string{"-L", "@S/juliarun.jl", "unit.jl"}, Dir: "@D", Env: map[string]string{EnvUnitIndex: "3"}, Child: true}},
	}, {
		name: "notebook without a password", script: "notebook.sh",
		env: map[string]string{EnvType: "Notebook", EnvNotebookPort: "8888"},
		want: want{
			rec: &record{Prog: "jupyter", Argv: []string{
				"notebook", "--config=@S/jupyter_server_config.py", "--ip=0.0.0.0", "--port=8888", "--no-browser", "--notebook-dir=@D",
			}, Dir: "@D", Env: map[string]string{}, Execed: true},
			startupJL: "@H/.julia/config/startup.jl",
		},
	}, {
		name: "notebook with a password hash", script: "notebook.sh",
		env: map[string]string{EnvType: "Notebook", EnvNotebookPort: "8890", EnvPasswordHash: testHash, EnvCookie: testCookie},
		want: want{
			rec: &record{Prog: "jupyter", Argv: []string{
				"notebook", "--config=@S/jupyter_server_config.py", "--ip=0.0.0.0", "--port=8890", "--no-browser", "--notebook-dir=@D",
			}, Dir: "@D", Env: map[string]string{EnvPasswordHash: testHash, EnvCookie: testCookie}, Execed: true},
			startupJL: "@H/.julia/config/startup.jl",
		},
	}, {
		name: "notebook with a bundle's depot path uses the default depot", script: "notebook.sh",
		env: map[string]string{EnvNotebookPort: "8888", "JULIA_DEPOT_PATH": ":/opt/juliarun/bundles/b1"},
		want: want{
			rec: &record{Prog: "jupyter", Argv: []string{
				"notebook", "--config=@S/jupyter_server_config.py", "--ip=0.0.0.0", "--port=8888", "--no-browser", "--notebook-dir=@D",
			}, Dir: "@D", Env: map[string]string{}, Execed: true},
			startupJL: "@H/.julia/config/startup.jl",
		},
	}, {
		name: "notebook writes startup.jl into the first depot", script: "notebook.sh",
		env: map[string]string{EnvNotebookPort: "8888", "JULIA_DEPOT_PATH": "@H/depot1:/opt/juliarun/bundles/b1"},
		want: want{
			rec: &record{Prog: "jupyter", Argv: []string{
				"notebook", "--config=@S/jupyter_server_config.py", "--ip=0.0.0.0", "--port=8888", "--no-browser", "--notebook-dir=@D",
			}, Dir: "@D", Env: map[string]string{}, Execed: true},
			startupJL: "@H/depot1/config/startup.jl",
		},
	}, {
		name: "notebook without a port", script: "notebook.sh",
		want: want{exit: 2, stderrHas: EnvNotebookPort},
	}}

	for _, shell := range interpreters() {
		for _, tt := range tests {
			t.Run(filepath.Base(shell)+"/"+tt.name, func(t *testing.T) {
				s := newSandbox(t)
				expand := strings.NewReplacer("@S", s.scripts, "@D", s.dir, "@H", s.home).Replace
				for name, content := range tt.files {
					if err := os.WriteFile(filepath.Join(s.dir, name), []byte(content), 0o644); err != nil {
						t.Fatal(err)
					}
				}
				env := map[string]string{}
				for k, v := range tt.env {
					env[k] = expand(v)
				}
				got := s.run(t, shell, tt.script, tt.args, env)

				if got.exit != tt.want.exit {
					t.Fatalf("exit code %d, want %d; stderr:\n%s", got.exit, tt.want.exit, got.stderr)
				}
				if tt.want.stderrHas != "" && !strings.Contains(got.stderr, tt.want.stderrHas) {
					t.Errorf("stderr %q does not mention %q", got.stderr, tt.want.stderrHas)
				}
				var want *record
				if tt.want.rec != nil {
					w := *tt.want.rec
					w.Argv = slices.Clone(w.Argv)
					for i := range w.Argv {
						w.Argv[i] = expand(w.Argv[i])
					}
					w.Dir = expand(w.Dir)
					want = &w
				}
				if diff := cmp.Diff(want, got.rec); diff != "" {
					t.Errorf("%s %s: stub record mismatch (-want +got):\n%s\nstderr:\n%s", tt.script, tt.args, diff, got.stderr)
				}
				checkSecretsHidden(t, s, got)
				if tt.want.startupJL != "" {
					checkStartupJL(t, s, expand(tt.want.startupJL))
				}
			})
		}
	}
}

// checkSecretsHidden checks that neither the cookie nor the password hash is
// in the stub's argv, in any file the scripts may have written (the temporary
// directory, HOME), or on stderr.
func checkSecretsHidden(t *testing.T, s *sandbox, got result) {
	t.Helper()
	for _, secret := range []string{testCookie, testHash, `a$b\c"d'e f`} {
		if got.rec != nil {
			for _, a := range got.rec.Argv {
				if strings.Contains(a, secret) {
					t.Errorf("secret %q in argv %q", secret, got.rec.Argv)
				}
			}
		}
		if strings.Contains(got.stderr, secret) {
			t.Errorf("secret %q on stderr", secret)
		}
		for _, root := range []string{s.tmp, s.home} {
			filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
				if err != nil || d.IsDir() {
					return err
				}
				if b, _ := os.ReadFile(path); bytes.Contains(b, []byte(secret)) {
					t.Errorf("secret %q written to %s", secret, path)
				}
				return nil
			})
		}
	}
}

// checkStartupJL checks that startup.jl loads juliarun.jl from the scripts
// directory, and nothing else.
func checkStartupJL(t *testing.T, s *sandbox, path string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("startup.jl not written: %v", err)
	}
	var code []string
	for _, line := range strings.Split(string(b), "\n") {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
			code = append(code, line)
		}
	}
	want := []string{`include(raw"` + filepath.Join(s.scripts, "juliarun.jl") + `")`}
	if diff := cmp.Diff(want, code); diff != "" {
		t.Errorf("%s code mismatch (-want +got):\n%s", path, diff)
	}
}

func TestCommand(t *testing.T) {
	tests := []struct {
		shell, script string
		want          []string
	}{
		{"master.sh", "pi.jl", []string{"/bin/sh", "/opt/juliarun/scripts/master.sh", "pi.jl"}},
		{"master.sh", "worker.sh", []string{"/bin/sh", "/opt/juliarun/scripts/master.sh", "worker.sh"}},
		{"worker.sh", "", []string{"/bin/sh", "/opt/juliarun/scripts/worker.sh"}},
		{"worker.sh", "unit.jl", []string{"/bin/sh", "/opt/juliarun/scripts/worker.sh", "unit.jl"}},
		{"notebook.sh", "", []string{"/bin/sh", "/opt/juliarun/scripts/notebook.sh"}},
		{"/usr/local/bin/start.sh", "main.jl", []string{"/usr/local/bin/start.sh", "main.jl"}},
		{"/usr/local/bin/start.sh", "", []string{"/usr/local/bin/start.sh"}},
	}
	for _, tt := range tests {
		got := Command(tt.shell, tt.script)
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("Command(%q, %q) mismatch (-want +got):\n%s", tt.shell, tt.script, diff)
		}
	}
}

func TestFiles(t *testing.T) {
	got := Files()
	var names []string
	for name, content := range got {
		names = append(names, name)
		if content == "" {
			t.Errorf("%s is empty", name)
		}
	}
	slices.Sort(names)
	want := []string{"juliaenv.sh", "juliarun.jl", "jupyter_server_config.py", "master.sh", "notebook.sh", "worker.sh"}
	if diff := cmp.Diff(want, names); diff != "" {
		t.Errorf("Files() names mismatch (-want +got):\n%s", diff)
	}
	// A fresh map each call.
	got["master.sh"] = "changed"
	got = Files()
	if got["master.sh"] == "changed" {
		t.Error("Files() returned a shared map")
	}
	// The constants the scripts spell out themselves.
	for _, sh := range []string{"master.sh", "worker.sh", "notebook.sh"} {
		if !strings.Contains(got[sh], "${JRUN_SCRIPTS:="+Dir+"}") {
			t.Errorf("%s does not default JRUN_SCRIPTS to %s", sh, Dir)
		}
		if !strings.HasPrefix(got[sh], "#!/bin/sh\n") || !strings.Contains(got[sh], "\nset -eu\n") {
			t.Errorf("%s: want a #!/bin/sh script with set -eu", sh)
		}
	}
	if !strings.Contains(got["worker.sh"], "${JRUN_WORKER_PORT:="+strconv.Itoa(WorkerPort)+"}") {
		t.Errorf("worker.sh does not default the port to %d", WorkerPort)
	}
	if !strings.Contains(got["juliarun.jl"], `get(ENV, "JRUN_WORKER_PORT", "`+strconv.Itoa(WorkerPort)+`")`) {
		t.Errorf("juliarun.jl does not default the port to %d", WorkerPort)
	}
	for _, env := range []string{EnvName, EnvType, EnvDir, EnvWorkers, EnvWorkerPort, EnvCookie, EnvUnitIndex} {
		if !strings.Contains(got["juliarun.jl"], `"`+env+`"`) {
			t.Errorf("juliarun.jl does not read %s", env)
		}
	}
	if !strings.Contains(got["jupyter_server_config.py"], `"`+EnvPasswordHash+`"`) {
		t.Errorf("jupyter_server_config.py does not read %s", EnvPasswordHash)
	}
}

// stubConfig runs jupyter_server_config.py with a stand-in for Jupyter's
// config object and prints what it set, as JSON: {"Section": {"trait": value}}.
// argv[2] is a JSON map of package name to the version importlib.metadata
// should report (absent: not installed).
const stubConfig = `
import importlib.metadata as md, json, runpy, sys

versions = json.loads(sys.argv[2])
def version(dist):
    if dist not in versions:
        raise md.PackageNotFoundError(dist)
    return versions[dist]
md.version = version

class Section:
    def __init__(self):
        object.__setattr__(self, "values", {})
    def __setattr__(self, name, value):
        self.values[name] = value

class Config(dict):
    def __getattr__(self, name):
        return self.setdefault(name, Section())

c = Config()
runpy.run_path(sys.argv[1], init_globals={"get_config": lambda: c})
print(json.dumps({k: v.values for k, v in c.items() if v.values}))
`

func TestJupyterConfig(t *testing.T) {
	python := need(t, "python3")
	config := filepath.Join(t.TempDir(), "jupyter_server_config.py")
	if err := os.WriteFile(config, []byte(Files()["jupyter_server_config.py"]), 0o444); err != nil {
		t.Fatal(err)
	}
	// settings is what the file must set for a password hash h.
	server2 := func(h string) map[string]map[string]string {
		return map[string]map[string]string{
			"PasswordIdentityProvider": {"hashed_password": h},
			"IdentityProvider":         {"token": ""},
		}
	}
	server1 := func(h string) map[string]map[string]string {
		m := server2(h)
		m["ServerApp"] = map[string]string{"password": h, "token": ""}
		return m
	}
	classic := func(h string) map[string]map[string]string {
		m := server1(h)
		m["NotebookApp"] = map[string]string{"password": h, "token": ""}
		return m
	}
	tests := []struct {
		name     string
		versions string
		want     func(string) map[string]map[string]string
	}{
		{"Notebook 7 on jupyter_server 2", `{"jupyter_server": "2.14.2", "notebook": "7.2.1"}`, server2},
		{"JupyterLab 3 on jupyter_server 1", `{"jupyter_server": "1.23.3"}`, server1},
		{"classic Notebook 6", `{"jupyter_server": "1.23.3", "notebook": "6.4.12"}`, classic},
		{"classic Notebook 6 alone", `{"notebook": "6.5.4"}`, classic},
	}
	for _, tt := range tests {
		for _, hash := range []string{testHash, "sha1:c2FsdA:0123456789abcdef0123456789abcdef01234567", ""} {
			cmd := exec.Command(python, "-c", stubConfig, config, tt.versions)
			cmd.Env = append(os.Environ(), EnvPasswordHash+"="+hash)
			if hash == "" {
				cmd.Env = slices.DeleteFunc(cmd.Env, func(kv string) bool { return strings.HasPrefix(kv, EnvPasswordHash+"=") })
			}
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("%s: %v\n%s", tt.name, err, out)
			}
			var got map[string]map[string]string
			if err := json.Unmarshal(out, &got); err != nil {
				t.Fatalf("%s: %v in %s", tt.name, err, out)
			}
			if diff := cmp.Diff(tt.want(hash), got); diff != "" {
				t.Errorf("%s, hash %q: settings mismatch (-want +got):\n%s", tt.name, hash, diff)
			}
		}
	}
}

// realConfig loads jupyter_server_config.py the way Jupyter does and asks the
// real application classes for the password and token they end up with,
// checking the password with Jupyter's own passwd_check.
const realConfig = `
import json, os, sys
from traitlets.config.loader import PyFileConfigLoader
from jupyter_server.auth.security import passwd_check
import jupyter_server

path, password = sys.argv[1], sys.argv[2]
cfg = PyFileConfigLoader(os.path.basename(path), path=os.path.dirname(path)).load_config()
apps = {}
if int(jupyter_server.__version__.split(".")[0]) >= 2:
    from jupyter_server.auth.identity import PasswordIdentityProvider
    idp = PasswordIdentityProvider(config=cfg)
    apps["jupyter_server " + jupyter_server.__version__] = (idp.hashed_password, idp.token)
else:
    from jupyter_server.serverapp import ServerApp
    app = ServerApp(config=cfg)
    apps["jupyter_server " + jupyter_server.__version__] = (app.password, app.token)
try:
    import notebook
    if int(notebook.__version__.split(".")[0]) < 7:
        from notebook.notebookapp import NotebookApp
        app = NotebookApp(config=cfg)
        apps["notebook " + notebook.__version__] = (app.password, app.token)
except ImportError:
    pass
out = {}
for name, (hashed, token) in apps.items():
    out[name] = {
        "password accepted": passwd_check(hashed, password) if password else hashed == "",
        "wrong password refused": not passwd_check(hashed, "wrong") if password else True,
        "token": token,
    }
print(json.dumps(out))
`

// TestJupyterConfigRealServer runs where a Python has jupyter_server (Debian:
// python3-jupyter-server, python3-notebook, python3-argon2) and is skipped
// elsewhere.
func TestJupyterConfigRealServer(t *testing.T) {
	var python string
	for _, p := range []string{"python3", "/usr/bin/python3"} {
		if exec.Command(p, "-c", "import jupyter_server, traitlets").Run() == nil {
			python = p
			break
		}
	}
	if python == "" {
		if os.Getenv("JULIARUN_REQUIRE_CLUSTER") != "" {
			t.Fatal("no python3 with jupyter_server; ./hack/test.sh installs Debian's python3-jupyter-server")
		}
		t.Skip("SKIPPING: no python3 with jupyter_server: the configuration is checked with a stub only; ./hack/test.sh installs it")
	}
	config := filepath.Join(t.TempDir(), "jupyter_server_config.py")
	if err := os.WriteFile(config, []byte(Files()["jupyter_server_config.py"]), 0o444); err != nil {
		t.Fatal(err)
	}
	const password = "s3cret pass"
	hashes := map[string]string{"none": ""}
	for _, algo := range []string{"argon2", "sha1"} {
		out, err := exec.Command(python, "-c", "import sys; from jupyter_server.auth.security import passwd; print(passwd(sys.argv[1], sys.argv[2]))", password, algo).Output()
		if err != nil {
			t.Logf("cannot make a %s hash: %v", algo, err)
			continue
		}
		hashes[algo] = strings.TrimSpace(string(out))
	}
	for algo, hash := range hashes {
		cmd := exec.Command(python, "-c", realConfig, config, map[bool]string{true: password, false: ""}[hash != ""])
		cmd.Env = slices.DeleteFunc(os.Environ(), func(kv string) bool { return strings.HasPrefix(kv, EnvPasswordHash+"=") })
		if hash != "" {
			cmd.Env = append(cmd.Env, EnvPasswordHash+"="+hash)
		}
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("%s: %v\n%s", algo, err, stderr.String())
		}
		var got map[string]map[string]any
		if err := json.Unmarshal(out, &got); err != nil {
			t.Fatalf("%s: %v in %s", algo, err, out)
		}
		if len(got) == 0 {
			t.Fatalf("%s: no application checked", algo)
		}
		for app, res := range got {
			want := map[string]any{"password accepted": true, "wrong password refused": true, "token": ""}
			if diff := cmp.Diff(want, res); diff != "" {
				t.Errorf("%s with %s hash: (-want +got):\n%s", app, algo, diff)
			}
			t.Logf("%s with %s hash: %v", app, algo, res)
		}
		if strings.Contains(stderr.String(), "deprecated") {
			t.Errorf("%s: deprecation warnings:\n%s", algo, stderr.String())
		}
	}
}
