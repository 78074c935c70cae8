package juliaruntest

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// component is one control-plane process the cluster started itself.
type component struct {
	name    string
	cmd     *exec.Cmd
	logPath string
	exited  chan struct{} // closed when the process has ended
}

// startComponent starts binary with args, its output in <dir>/<name>.log.
// The process is killed if this process dies first.
func startComponent(dir, binary, name string, args ...string) (*component, error) {
	logPath := filepath.Join(dir, name+".log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(binary, args...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return nil, fmt.Errorf("juliaruntest: starting %s: %w", name, err)
	}
	p := &component{name: name, cmd: cmd, logPath: logPath, exited: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		logFile.Close()
		close(p.exited)
	}()
	return p, nil
}

// stop ends the process: SIGTERM, then SIGKILL after 10 seconds. A non-zero
// exit on SIGTERM is normal for these components and not reported.
func (p *component) stop() {
	select {
	case <-p.exited:
		return
	default:
	}
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(10 * time.Second):
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		<-p.exited
	}
}

// running returns an error naming the log when the process has ended.
func (p *component) running() error {
	select {
	case <-p.exited:
		return fmt.Errorf("juliaruntest: %s exited early: %s\n(log: %s)", p.name, tailFile(p.logPath, 1500), p.logPath)
	default:
		return nil
	}
}

// waitHealthy polls https://127.0.0.1:port/healthz until it answers 200
// and the process itself listens on port (another may have taken it).
func (p *component) waitHealthy(ctx context.Context, port int) error {
	client := &http.Client{
		Timeout:   time.Second,
		Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}, // self-signed, loopback only
	}
	if err := p.waitOK(ctx, client, "https://127.0.0.1:"+strconv.Itoa(port)+"/healthz"); err != nil {
		return err
	}
	for !p.listensOn(port) {
		if err := p.running(); err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("juliaruntest: %s does not listen on port %d: %w (log: %s)", p.name, port, ctx.Err(), p.logPath)
		case <-time.After(100 * time.Millisecond):
		}
	}
	return nil
}

// listensOn reports whether the process holds a listening TCP socket on
// port: one of its file descriptors is a socket whose inode
// /proc/<pid>/net/tcp{,6} lists in state LISTEN (0A) on that port.
func (p *component) listensOn(port int) bool {
	pid := strconv.Itoa(p.cmd.Process.Pid)
	fds, err := os.ReadDir(filepath.Join("/proc", pid, "fd"))
	if err != nil {
		return false
	}
	inodes := map[string]bool{}
	for _, fd := range fds {
		if target, err := os.Readlink(filepath.Join("/proc", pid, "fd", fd.Name())); err == nil {
			if inode, ok := strings.CutPrefix(target, "socket:["); ok {
				inodes[strings.TrimSuffix(inode, "]")] = true
			}
		}
	}
	hexPort := fmt.Sprintf(":%04X", port)
	for _, table := range []string{"tcp", "tcp6"} {
		data, err := os.ReadFile(filepath.Join("/proc", pid, "net", table))
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(data), "\n")[1:] {
			f := strings.Fields(line)
			if len(f) > 9 && strings.HasSuffix(f[1], hexPort) && f[3] == "0A" && inodes[f[9]] {
				return true
			}
		}
	}
	return false
}

// waitHTTP polls url (plain HTTP, on this machine) until it answers 200.
func (p *component) waitHTTP(ctx context.Context, url string) error {
	return p.waitOK(ctx, &http.Client{Timeout: time.Second}, url)
}

// waitOK polls url with client every 100 ms until it answers 200, the
// process ends, or ctx does.
func (p *component) waitOK(ctx context.Context, client *http.Client, url string) error {
	defer client.CloseIdleConnections()
	for {
		if err := p.running(); err != nil {
			return err
		}
		if resp, err := client.Get(url); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("juliaruntest: %s not ready at %s: %w (log: %s)", p.name, url, ctx.Err(), p.logPath)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// freePort returns a loopback TCP port that was free a moment ago.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func tailFile(path string, n int) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	s := strings.TrimSpace(string(data))
	if len(s) > n {
		s = "..." + s[len(s)-n:]
	}
	return s
}
