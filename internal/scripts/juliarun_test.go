package scripts

import (
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// juliaCode returns src without its comments (a # outside a string literal
// to the end of the line) and trailing blanks, so that the checks below look
// at code, not at what a comment says about it. (juliarun.jl has no #= =#
// block comments and no '#' or '"' character literals.)
func juliaCode(src string) string {
	lines := strings.Split(src, "\n")
	for n, line := range lines {
		inString := false
	scan:
		for i := 0; i < len(line); i++ {
			switch c := line[i]; {
			case c == '\\' && inString:
				i++ // an escaped character
			case c == '"':
				inString = !inString
			case c == '#' && !inString:
				line = line[:i]
				break scan
			}
		}
		lines[n] = strings.TrimRight(line, " \t")
	}
	return strings.Join(lines, "\n")
}

// juliaFunction returns the body of the top-level function whose first line
// matches header (a regexp anchored at the start of the line), up to its
// closing "end" in column 0, or "" if there is none. The module's functions
// are not indented, so column 0 is where their "end" is.
func juliaFunction(code, header string) string {
	loc := regexp.MustCompile(`(?m)^` + header).FindStringIndex(code)
	if loc == nil {
		return ""
	}
	rest := code[loc[0]:]
	if end := strings.Index(rest, "\nend\n"); end >= 0 {
		return rest[:end+len("\nend\n")]
	}
	return ""
}

// TestJuliaRunStructure checks that juliarun.jl's code says what the fixes
// of issue 12 (items 8-10) rely on, in the words Distributed calls it with.
// It shows only that the code says it, not that it works: Julia is not run
// here, and a regexp is no Julia parser. docs/JULIA.md gives the reasoning
// against Distributed's source (cluster.jl, managers.jl,
// process_messages.jl).
func TestJuliaRunStructure(t *testing.T) {
	code := juliaCode(Files()["juliarun.jl"])
	launch := juliaFunction(code, `function Distributed\.launch\(m::PodManager, params::Dict, launched::Array, c::Condition\)`)
	connect := juliaFunction(code, `function Distributed\.connect\(m::PodManager, pid::Int, config::WorkerConfig\)`)
	connectWorker := juliaFunction(code, `function connect_worker\(`)
	refresh := juliaFunction(code, `function refresh\(`)
	waitFor := juliaFunction(code, `function wait_for_workers\(`)
	workers := juliaFunction(code, `function workers\(\)`)

	connectTimeout := 0.0
	if m := regexp.MustCompile(`(?m)^const CONNECT_TIMEOUT = ([0-9.]+)$`).FindStringSubmatch(code); m != nil {
		connectTimeout, _ = strconv.ParseFloat(m[1], 64)
	}
	before := func(s, first, second string) bool {
		i, j := strings.Index(s, first), strings.Index(s, second)
		return i >= 0 && j > i
	}
	defined := func(name string) bool {
		return regexp.MustCompile(`(?m)^(function ` + name + `\(|` + name + `\(.*\) = )`).MatchString(code)
	}

	got := map[string]bool{
		// Item 8: Distributed's connect step (create_worker) must not be able
		// to fail or block: PodManager has its own connect, which only hands
		// back the socket launch opened and records connect_at as the
		// default connect does.
		"8: launch is defined for PodManager":                      launch != "",
		"8: connect is defined for PodManager":                     connect != "",
		"8: connect returns the socket launch stored in userdata":  strings.Contains(connect, "config.userdata") && strings.Contains(connect, "return (sock, sock)"),
		"8: connect opens no connection":                           connect != "" && !strings.Contains(connect, "Sockets.connect") && !strings.Contains(connect, "connect_worker"),
		"8: connect records connect_at for worker-to-worker calls": strings.Contains(connect, "config.connect_at = (config.host::String, config.port::Int)"),
		"8: launch connects in parallel (@sync/@async)":            before(launch, "@sync for a in m.addrs", "@async begin") && before(launch, "@async begin", "connect_worker("),
		"8: launch pushes a worker only once it accepted":          before(launch, "if sock !== nothing", "push!(launched, wc)") && before(launch, "connect_worker(", "if sock !== nothing"),
		"8: launch stores the open socket in the config":           strings.Contains(launch, "wc.userdata = sock"),
		"8: connect_worker closes the socket from a Timer":         strings.Contains(connectWorker, "Timer(timeout) do") && strings.Contains(connectWorker, "close(sock)"),
		"8: launch uses CONNECT_TIMEOUT":                           strings.Contains(launch, "connect_worker(a, port, CONNECT_TIMEOUT)"),
		"8: CONNECT_TIMEOUT is set, at most 10 s":                  connectTimeout > 0 && connectTimeout <= 10,
		// Item 9: create_worker sends enable_threaded_blas in JoinPGRPMsg.
		"9: launch sets enable_threaded_blas": strings.Contains(launch, "wc.enable_threaded_blas = true"),
		// Item 10: count joined workers only, drop those that did not join.
		"10: workers() reads the default worker pool":                strings.Contains(workers, "Distributed.default_worker_pool()"),
		"10: nworkers() counts workers()":                            strings.Contains(code, "\nnworkers() = length(workers())\n"),
		"10: wait_for_workers waits on nworkers()":                   strings.Contains(waitFor, "while nworkers() < n"),
		"10: refresh notes workers that did not join after addprocs": before(refresh, "addprocs(m)", "note_unjoined(m)"),
		"10: refresh removes them when their time is up":             strings.Contains(refresh, "drop_unjoined()"),
	}
	// The API that start scripts call stays.
	for _, name := range []string{"init_parallel", "wait_for_workers", "nworkers", "workers", "name", "jobtype", "dir", "unit_index"} {
		got["API: "+name+" is defined"] = defined(name)
	}
	want := map[string]bool{}
	for k := range got {
		want[k] = true
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("juliarun.jl structure (-want +got):\n%s", diff)
	}
}

func TestJuliaCode(t *testing.T) {
	tests := []struct{ src, want string }{
		{"x = 1 # note\n", "x = 1\n"},
		{"# whole line\n", "\n"},
		{`s = "a # not a comment" # comment` + "\n", `s = "a # not a comment"` + "\n"},
		{`s = "esc \" # still string" # c` + "\n", `s = "esc \" # still string"` + "\n"},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, juliaCode(tt.src)); diff != "" {
			t.Errorf("juliaCode(%q) (-want +got):\n%s", tt.src, diff)
		}
	}
}
