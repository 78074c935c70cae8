package main

import (
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// A directive is one "# standin: VERB ARGS..." line of a script (or of a -e
// expression). Julia reads such a line as a comment, so a script written for
// the stand-in is still a valid Julia file. Directives run in order:
//
//	# standin: write PATH TEXT...   write TEXT and a newline to PATH (relative to the working directory); a failure exits 1, as Julia's SystemError would
//	# standin: alloc SIZE           allocate and touch SIZE bytes (64MiB, 1GiB, ...) and keep them: under a memory limit this gets the process OOM-killed
//	# standin: listen PORT          listen on 0.0.0.0:PORT (IPv4) and answer each connection with one line
//	# standin: sleep DURATION       sleep (Go syntax: 500ms, 2s; "forever" until a signal); SIGTERM and SIGINT end it at once
//	# standin: stdin                read stdin to EOF before the record is written, and record it
//	# standin: exit N               exit with code N now
//
// With no exit directive, the exit code is $STANDIN_EXIT, else 0.
type directive struct {
	verb string
	args []string
	line int
}

// directivePrefix starts a directive line.
const directivePrefix = "# standin:"

func parseDirectives(text string) []directive {
	var ds []directive
	for i, l := range strings.Split(text, "\n") {
		l = strings.TrimSpace(l)
		rest, ok := strings.CutPrefix(l, directivePrefix)
		if !ok {
			continue
		}
		f := strings.Fields(rest)
		if len(f) == 0 {
			continue
		}
		ds = append(ds, directive{verb: f[0], args: f[1:], line: i + 1})
	}
	return ds
}

// runDirectives acts the script out and returns the exit code.
func runDirectives(ds []directive, rec *record, sigs <-chan os.Signal, stdout, stderr io.Writer) int {
	var mem keep
	defer runtime.KeepAlive(&mem)
	for _, d := range ds {
		select {
		case s := <-sigs:
			return exitForSignal(s)
		default:
		}
		fail := func(format string, a ...any) int {
			fmt.Fprintf(stderr, "ERROR: line %d: %s: %s\n", d.line, d.verb, fmt.Sprintf(format, a...))
			return 1
		}
		switch d.verb {
		case "write":
			if len(d.args) < 1 {
				return fail("usage: write PATH TEXT...")
			}
			p := d.args[0]
			if err := os.MkdirAll(filepath.Dir(p), 0o777); err != nil {
				return fail("%v", err)
			}
			if err := os.WriteFile(p, []byte(strings.Join(d.args[1:], " ")+"\n"), 0o666); err != nil {
				return fail("%v", err)
			}
		case "alloc":
			if len(d.args) != 1 {
				return fail("usage: alloc SIZE")
			}
			n, err := parseSize(d.args[0])
			if err != nil || n < 0 {
				return fail("bad size %q", d.args[0])
			}
			mem.alloc(n)
			fmt.Fprintf(stdout, "juliarun-standin: allocated %d bytes\n", n)
		case "listen":
			if len(d.args) != 1 {
				return fail("usage: listen PORT")
			}
			ln, err := net.Listen("tcp4", net.JoinHostPort("0.0.0.0", d.args[0]))
			if err != nil {
				return fail("%v", err)
			}
			defer ln.Close()
			go serveLines(ln, rec.Hostname)
		case "sleep":
			if len(d.args) != 1 {
				return fail("usage: sleep DURATION|forever")
			}
			var timeout <-chan time.Time
			if d.args[0] != "forever" {
				dur, err := time.ParseDuration(d.args[0])
				if err != nil {
					return fail("%v", err)
				}
				timeout = time.After(dur)
			}
			select {
			case s := <-sigs:
				return exitForSignal(s)
			case <-timeout:
			}
		case "stdin":
			// Read before the record was written (see run).
		case "exit":
			if len(d.args) != 1 {
				return fail("usage: exit N")
			}
			n, err := strconv.Atoi(d.args[0])
			if err != nil {
				return fail("%v", err)
			}
			return n
		default:
			return fail("unknown directive")
		}
	}
	if s := os.Getenv("STANDIN_EXIT"); s != "" {
		if n, err := strconv.Atoi(s); err == nil {
			return n
		}
		fmt.Fprintf(stderr, "ERROR: STANDIN_EXIT=%q is not a number\n", s)
		return 1
	}
	return 0
}

// serveLines answers every connection with one line naming the host.
func serveLines(ln net.Listener, host string) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		fmt.Fprintf(c, "juliarun-standin %s\n", host)
		c.Close()
	}
}

// keep holds memory the "alloc" directive allocated, so that it stays
// resident until the process ends.
type keep struct{ blocks [][]byte }

func (k *keep) alloc(n int64) {
	const page = 4096
	b := make([]byte, n)
	for i := 0; i < len(b); i += page {
		b[i] = 1
	}
	k.blocks = append(k.blocks, b)
}

// parseSize reads sizes like 64MiB, 1GiB, 512M, 1000 (bytes).
func parseSize(s string) (int64, error) {
	units := []struct {
		suffix string
		mult   int64
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}, {"G", 1 << 30}, {"M", 1 << 20}, {"K", 1 << 10}, {"B", 1}}
	for _, u := range units {
		if strings.HasSuffix(s, u.suffix) {
			n, err := strconv.ParseInt(strings.TrimSuffix(s, u.suffix), 10, 64)
			return n * u.mult, err
		}
	}
	return strconv.ParseInt(s, 10, 64)
}
