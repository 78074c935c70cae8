package main

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"sort"
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
//	# standin: resolve NAME FILE [EVERY]
//	                                write NAME's IPv4 addresses (sorted, one a line; none if NAME does not resolve) to FILE;
//	                                with EVERY (a duration), keep doing so in the background until the process ends,
//	                                as JuliaRun.init_parallel re-resolves the workers' Service name
//	# standin: exit N               exit with code N now
//
// $VAR and ${VAR} in arguments are replaced by the environment's values, so
// "# standin: resolve $JRUN_WORKERS out/workers.txt 1s" or "# standin: write
// out/unit-$JRUN_UNIT_INDEX.txt ok" work. With no exit directive, the exit
// code is $STANDIN_EXIT, else 0.
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
		args := f[1:]
		for j := range args {
			args[j] = os.ExpandEnv(args[j])
		}
		ds = append(ds, directive{verb: f[0], args: args, line: i + 1})
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
		case "resolve":
			if len(d.args) != 2 && len(d.args) != 3 {
				return fail("usage: resolve NAME FILE [EVERY]")
			}
			if err := resolveTo(d.args[0], d.args[1]); err != nil {
				return fail("%v", err)
			}
			if len(d.args) == 3 {
				every, err := time.ParseDuration(d.args[2])
				if err != nil || every <= 0 {
					return fail("bad interval %q", d.args[2])
				}
				go func(name, file string) {
					for range time.Tick(every) {
						if err := resolveTo(name, file); err != nil {
							fmt.Fprintf(stderr, "juliarun-standin: resolve %s: %v\n", name, err)
						}
					}
				}(d.args[0], d.args[1])
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

// resolveTo writes name's IPv4 addresses to file, whole or not at all. A
// name that does not resolve (a headless Service with no ready pod) gives an
// empty file.
func resolveTo(name, file string) error {
	addrs, err := net.LookupHost(name)
	var dnsErr *net.DNSError
	if err != nil && !(errors.As(err, &dnsErr) && dnsErr.IsNotFound) {
		return err
	}
	var v4 []string
	for _, a := range addrs {
		if ip := net.ParseIP(a); ip != nil && ip.To4() != nil {
			v4 = append(v4, a)
		}
	}
	sort.Strings(v4)
	var b strings.Builder
	for _, a := range v4 {
		b.WriteString(a + "\n")
	}
	return writeFileAtomic(file, []byte(b.String()))
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
