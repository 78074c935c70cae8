package scripts

import (
	"embed"
	"io/fs"
	"path"
	"slices"
)

// Dir is where the scripts ConfigMap is mounted (read-only) in every Julia
// container.
const Dir = "/opt/juliarun/scripts"

// WorkerPort is the port a Julia Distributed worker listens on; the master
// connects to it.
const WorkerPort = 9009

// Environment variable names the renderer sets and the scripts read.
const (
	EnvName         = "JRUN_NAME"                   // the job's name
	EnvType         = "JRUN_TYPE"                   // the job's type, e.g. JuliaParBatch
	EnvDir          = "JRUN_DIR"                    // the run volume's mount path, the working directory
	EnvScripts      = "JRUN_SCRIPTS"                // Dir
	EnvNamespace    = "JRUN_NAMESPACE"              // the job's namespace
	EnvMaster       = "JRUN_MASTER"                 // DNS name of the job's Service, when it has ports
	EnvWorkers      = "JRUN_WORKERS"                // DNS name of the workers' headless Service (ready pods only)
	EnvWorkerPort   = "JRUN_WORKER_PORT"            // WorkerPort
	EnvNWorkers     = "JRUN_NWORKERS"               // workers requested at start
	EnvCookie       = "JRUN_CLUSTER_COOKIE"         // the Distributed cluster cookie (from a Secret)
	EnvUnitIndex    = "JRUN_UNIT_INDEX"             // 0-based index of a job array unit
	EnvNotebookPort = "JRUN_NOTEBOOK_PORT"          // container port of the notebook
	EnvPasswordHash = "JRUN_NOTEBOOK_PASSWORD_HASH" // Jupyter password hash (from a Secret), only with a password
	// EnvRunID is a random token of one Start of a JuliaParBatch (from its
	// Secret): master.sh records the master's end in a file named after it
	// on the run volume, which the workers watch.
	EnvRunID = "JRUN_RUN_ID"
	// EnvMasterSilence is the variable a job may set on its workers (with
	// jobs.WithWorkerEnvVars) to say after how many seconds of its
	// master's silent heartbeat a JuliaParBatch worker ends (60 unless set;
	// docs/OBJECTS.md, "When the master ends"). Not a JRUN_ variable: those
	// are the SDK's own.
	EnvMasterSilence = "JULIARUN_MASTER_SILENCE"
	// EnvWorkerRestart is a JuliaParBatch worker's restart policy
	// (jobs.RestartPolicy), which worker.sh turns into exit codes.
	EnvWorkerRestart = "JRUN_WORKER_RESTART"
)

// Exit codes of worker.sh for a JuliaParBatch worker, which the worker
// Job's podFailurePolicy acts on.
const (
	// ExitMasterEnded: the master has ended; the whole worker Job ends, and
	// with it every worker pod.
	ExitMasterEnded = 64
	// ExitRestart: a RestartAlways worker ended by itself (exit 0); it is
	// counted as a failure so the Job replaces it.
	ExitRestart = 65
)

// CookieLength is the length of a Julia Distributed cluster cookie
// (HDR_COOKIE_LEN in Distributed).
const CookieLength = 16

//go:embed files
var files embed.FS

// shells are the shell scripts shipped in Dir.
var shells = []string{"master.sh", "worker.sh", "notebook.sh"}

// Files returns the ConfigMap's contents: file name to content. The map is
// new on each call, so callers may change it.
func Files() map[string]string {
	out := map[string]string{}
	entries, err := fs.ReadDir(files, "files")
	if err != nil {
		panic(err) // the embedded directory is fixed at build time
	}
	for _, e := range entries {
		b, err := fs.ReadFile(files, path.Join("files", e.Name()))
		if err != nil {
			panic(err)
		}
		out[e.Name()] = string(b)
	}
	return out
}

// Shipped reports whether shell is one of the scripts the SDK ships.
func Shipped(shell string) bool { return slices.Contains(shells, shell) }

// Command returns a container's command for a job's shell and start script.
// A shipped shell (master.sh, worker.sh, notebook.sh) runs from Dir with
// /bin/sh, since a ConfigMap file has no execute bit; any other shell is an
// absolute path in the image and runs as it is. script, if not empty, is the
// shell's argument.
func Command(shell, script string) []string {
	var cmd []string
	if Shipped(shell) {
		cmd = []string{"/bin/sh", path.Join(Dir, shell)}
	} else {
		cmd = []string{shell}
	}
	if script != "" {
		cmd = append(cmd, script)
	}
	return cmd
}
