package juliaruntest

import (
	"net"
	"os/exec"
	"strconv"
	"testing"
	"time"
)

// TestListensOn: a component is known to serve a port only when it holds
// the listening socket itself, not when another process does (two
// clusters' components picking the same free port).
func TestListensOn(t *testing.T) {
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("SKIPPED LOUDLY: needs python3 to run a process that listens")
	}
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	takenPort := taken.Addr().(*net.TCPAddr).Port
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	p, err := startComponent(t.TempDir(), python, "listener", "-c",
		"import socket, time\ns = socket.socket()\ns.bind(('127.0.0.1', "+strconv.Itoa(port)+"))\ns.listen()\ntime.sleep(60)")
	if err != nil {
		t.Fatal(err)
	}
	defer p.stop()
	deadline := time.Now().Add(10 * time.Second)
	for !p.listensOn(port) {
		if time.Now().After(deadline) {
			t.Fatalf("the listener's own port %d not seen as listened on", port)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if p.listensOn(takenPort) {
		t.Errorf("port %d, held by the test process, seen as the component's", takenPort)
	}
}
