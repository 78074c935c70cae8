// Command julia is the juliarun test images' stand-in for the julia
// executable. It is NOT Julia: it runs no Julia code. It accepts julia's
// command line, records what it was started with (argv, working directory,
// environment, uid/gid, and stdin where Julia would read it), and acts out
// the few behaviours the SDK's tests need, driven by directives in the
// script file (see directives.go).
//
// Modes, chosen from argv as julia would:
//   - julia [opts] SCRIPT [ARGS...]: run SCRIPT's directives; exit 0 unless
//     a directive or STANDIN_EXIT says otherwise.
//   - julia [opts] --worker[=COOKIE] [--bind-to HOST:PORT]: a Distributed
//     worker. Without =COOKIE it reads the cookie from the first line of
//     stdin, like Julia; it listens on HOST:PORT (default 0.0.0.0 and
//     $JRUN_WORKER_PORT, else 9009), prints julia_worker:PORT#HOST, and
//     stays up until SIGTERM or SIGINT.
//   - julia -e EXPR / -E EXPR: EXPR's directives (and a literal exit(N)).
//   - julia --version: prints a version line naming the stand-in.
//   - julia with no script: a REPL without a terminal; reads stdin to EOF.
//
// Every start writes a record (record.go) as JSON to stdout and to
// $JRUN_DIR/.standin/<hostname>.json. It exits 128+N on signal N (SIGTERM,
// SIGINT), promptly, since as a container's PID 1 it would otherwise ignore
// them.
//
// This file is compiled by the nodeimages package from its embedded source
// in a throw-away module, so it may use the standard library only.
package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"syscall"
	"time"
)

// Version is what `julia --version` prints after "julia version ".
const Version = "0.0.0-juliarun-standin (not Julia)"

// defaultWorkerPort is Distributed's port in juliarun (scripts.WorkerPort).
const defaultWorkerPort = "9009"

// maxStdin bounds what a record keeps of stdin.
const maxStdin = 1 << 20

func main() {
	os.Exit(run(os.Args, os.Stdin, os.Stdout, os.Stderr))
}

// run is main without the process exit, so that it reads as one story.
func run(argv []string, stdin io.Reader, stdout, stderr io.Writer) int {
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)

	inv, err := parseArgs(argv[1:])
	if err != nil {
		fmt.Fprintf(stderr, "ERROR: %v\n", err)
		return 1
	}
	if inv.version {
		fmt.Fprintf(stdout, "julia version %s\n", Version)
		return 0
	}
	rec := newRecord(argv, inv)

	// Julia fails before running anything when a -L file is missing.
	for _, f := range inv.loads {
		if _, err := os.Stat(f); err != nil {
			rec.Error = fmt.Sprintf("SystemError: opening file %q: %v", f, err)
			emit(rec, stdout, stderr)
			fmt.Fprintf(stderr, "ERROR: %s\n", rec.Error)
			return 1
		}
	}

	var script []directive
	switch {
	case inv.worker:
		if inv.cookie == "" {
			// Julia's worker reads the cookie from stdin when --worker has
			// no value; worker.sh sends it there so it is not in argv.
			line, _ := bufio.NewReader(stdin).ReadString('\n')
			c := strings.TrimSpace(line)
			rec.Stdin = &c
		}
		return runWorker(inv, rec, sigs, stdout, stderr)
	case inv.script != "":
		text, err := os.ReadFile(inv.script)
		if err != nil {
			rec.Error = fmt.Sprintf("SystemError: opening file %q: %v", inv.script, err)
			emit(rec, stdout, stderr)
			fmt.Fprintf(stderr, "ERROR: %s\n", rec.Error)
			return 1
		}
		script = parseDirectives(string(text))
	case inv.eval != "":
		script = parseDirectives(inv.eval)
		// A literal exit(N) in the expression is honoured too.
		if m := regexp.MustCompile(`\bexit\((\d+)\)`).FindStringSubmatch(inv.eval); m != nil {
			script = append(script, directive{verb: "exit", args: []string{m[1]}})
		}
	default:
		// The REPL without a terminal reads its input to EOF.
		script = []directive{{verb: "stdin"}}
	}
	for _, d := range script {
		if d.verb == "stdin" {
			b, _ := io.ReadAll(io.LimitReader(stdin, maxStdin))
			s := string(b)
			rec.Stdin = &s
			break
		}
	}
	emit(rec, stdout, stderr)
	return runDirectives(script, rec, sigs, stdout, stderr)
}

// invocation is julia's command line, parsed.
type invocation struct {
	loads   []string // -L files, in order
	eval    string   // -e or -E expression
	script  string   // the program file; "" for none
	args    []string // ARGS: what follows the script
	worker  bool
	cookie  string // --worker=COOKIE
	bindTo  string // --bind-to HOST[:PORT]
	version bool
}

// takesValue reports whether julia's option takes the next argument as its
// value when it is not given with "=".
func takesValue(name string) bool {
	switch name {
	case "-L", "--load", "-e", "--eval", "-E", "--print", "-p", "--procs", "-t", "--threads",
		"-J", "--sysimage", "-C", "--cpu-target", "--bind-to", "--machine-file",
		"-m", "--module", "--gcthreads", "--heap-size-hint":
		return true
	}
	return false
}

func parseArgs(args []string) (invocation, error) {
	var inv invocation
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			if i+1 < len(args) {
				inv.script, inv.args = args[i+1], args[i+2:]
			}
			return inv, nil
		}
		if !strings.HasPrefix(a, "-") || a == "-" {
			inv.script, inv.args = a, args[i+1:]
			return inv, nil
		}
		name, value, hasValue := strings.Cut(a, "=")
		if !hasValue && takesValue(name) {
			if i+1 >= len(args) {
				return inv, fmt.Errorf("option %s is missing an argument", name)
			}
			i++
			value, hasValue = args[i], true
		}
		switch name {
		case "-L", "--load":
			inv.loads = append(inv.loads, value)
		case "-e", "--eval", "-E", "--print":
			inv.eval = value
			// Julia runs the expression, then ARGS are the remaining words.
			inv.args = args[i+1:]
			return inv, nil
		case "--worker":
			inv.worker, inv.cookie = true, value
		case "--bind-to":
			inv.bindTo = value
		case "-v", "--version":
			inv.version = true
		}
	}
	return inv, nil
}

// record is what the stand-in writes about each start.
type record struct {
	StandIn  string            `json:"standin"` // Version: says this is not Julia
	Hostname string            `json:"hostname"`
	PID      int               `json:"pid"`
	Argv     []string          `json:"argv"`
	Cwd      string            `json:"cwd"`
	Env      map[string]string `json:"env"`
	UID      int               `json:"uid"`
	GID      int               `json:"gid"`
	Groups   []int             `json:"groups"`
	Mode     string            `json:"mode"` // script, eval, worker, repl
	Loads    []string          `json:"loads,omitempty"`
	Script   string            `json:"script,omitempty"`
	Args     []string          `json:"args,omitempty"`
	// Stdin is what was read from stdin: the cookie line for a worker,
	// everything for a script with a "stdin" directive; nil if not read.
	Stdin  *string `json:"stdin"`
	Listen string  `json:"listen,omitempty"` // a worker's listening address
	Error  string  `json:"error,omitempty"`
	Start  string  `json:"start"`
}

func newRecord(argv []string, inv invocation) *record {
	host, _ := os.Hostname()
	cwd, _ := os.Getwd()
	groups, _ := os.Getgroups()
	if groups == nil {
		groups = []int{} // JSON [] rather than null
	}
	sort.Ints(groups)
	env := map[string]string{}
	for _, kv := range os.Environ() {
		k, v, _ := strings.Cut(kv, "=")
		env[k] = v
	}
	mode := "repl"
	switch {
	case inv.worker:
		mode = "worker"
	case inv.script != "":
		mode = "script"
	case inv.eval != "":
		mode = "eval"
	}
	return &record{
		StandIn: Version, Hostname: host, PID: os.Getpid(), Argv: argv, Cwd: cwd, Env: env,
		UID: os.Getuid(), GID: os.Getgid(), Groups: groups, Mode: mode,
		Loads: inv.loads, Script: inv.script, Args: inv.args,
		Start: time.Now().UTC().Format(time.RFC3339Nano),
	}
}

// RecordDir is where records go, relative to $JRUN_DIR.
const RecordDir = ".standin"

// emit prints the record to stdout and writes it to the run volume. A record
// that cannot be written is reported on stderr but does not fail the run: a
// test that needs the volume writable checks with a "write" directive.
func emit(rec *record, stdout, stderr io.Writer) {
	b, err := json.Marshal(rec)
	if err != nil {
		fmt.Fprintf(stderr, "juliarun-standin: encoding the record: %v\n", err)
		return
	}
	fmt.Fprintf(stdout, "juliarun-standin: %s\n", b)
	dir := os.Getenv("JRUN_DIR")
	if dir == "" {
		return
	}
	if err := writeFileAtomic(filepath.Join(dir, RecordDir, rec.Hostname+".json"), append(b, '\n')); err != nil {
		fmt.Fprintf(stderr, "juliarun-standin: cannot write the record to the run volume: %v\n", err)
	}
}

// writeFileAtomic writes a file whole or not at all, creating its directory,
// so that a reader never sees half a record.
func writeFileAtomic(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o777); err != nil {
		return err
	}
	tmp := fmt.Sprintf("%s.%d.tmp", path, os.Getpid())
	if err := os.WriteFile(tmp, data, 0o666); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// runWorker listens where a Distributed worker would and stays up until a
// signal. Each connection is answered with one line saying whether its first
// bytes were the cookie, then closed.
func runWorker(inv invocation, rec *record, sigs <-chan os.Signal, stdout, stderr io.Writer) int {
	cookie := inv.cookie
	if rec.Stdin != nil {
		cookie = *rec.Stdin
	}
	host, port := "0.0.0.0", os.Getenv("JRUN_WORKER_PORT")
	if port == "" {
		port = defaultWorkerPort
	}
	if inv.bindTo != "" {
		if h, p, err := net.SplitHostPort(inv.bindTo); err == nil {
			host, port = h, p
		} else {
			host = inv.bindTo
		}
	}
	network := "tcp"
	if ip := net.ParseIP(host); ip != nil && ip.To4() != nil {
		// "tcp" with 0.0.0.0 would open a dual-stack IPv6 socket, listed in
		// /proc/net/tcp6; Julia (libuv) binds an IPv4 socket, which is what
		// the SDK's readiness probe looks for in /proc/net/tcp.
		network = "tcp4"
	}
	ln, err := net.Listen(network, net.JoinHostPort(host, port))
	if err != nil {
		rec.Error = err.Error()
		emit(rec, stdout, stderr)
		fmt.Fprintf(stderr, "ERROR: %v\n", err)
		return 1
	}
	defer ln.Close()
	rec.Listen = ln.Addr().String()
	emit(rec, stdout, stderr)
	_, actualPort, _ := net.SplitHostPort(ln.Addr().String())
	// What a Julia worker prints for its master to read.
	fmt.Fprintf(stdout, "julia_worker:%s#%s\n", actualPort, host)
	go serveWorker(ln, cookie, stderr)
	s := <-sigs
	return exitForSignal(s)
}

// cookieLength is Distributed's HDR_COOKIE_LEN: a master sends the cookie
// padded to this length first.
const cookieLength = 16

func serveWorker(ln net.Listener, cookie string, stderr io.Writer) {
	for {
		c, err := ln.Accept()
		if err != nil {
			if !errors.Is(err, net.ErrClosed) {
				fmt.Fprintf(stderr, "juliarun-standin: accept: %v\n", err)
			}
			return
		}
		go func(c net.Conn) {
			defer c.Close()
			_ = c.SetDeadline(time.Now().Add(5 * time.Second))
			buf := make([]byte, cookieLength)
			n, _ := io.ReadFull(c, buf)
			got := strings.TrimRight(string(buf[:n]), " \x00")
			verdict := "cookie-mismatch"
			if got == cookie {
				verdict = "cookie-ok"
			}
			fmt.Fprintf(c, "juliarun-standin worker %s\n", verdict)
		}(c)
	}
}

// exitForSignal is the shell's convention, which is also what a container
// runtime reports for a process killed by the signal.
func exitForSignal(s os.Signal) int {
	if n, ok := s.(syscall.Signal); ok {
		return 128 + int(n)
	}
	return 1
}
