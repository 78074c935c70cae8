package nodeimages

import (
	"archive/tar"
	"os"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// openImage returns the flattened file system of the image ref, checked
// for what every image shares, and unpacked (for the chroot subtests) when
// the test runs as root.
func openImage(t *testing.T, ref string) *imageFS {
	t.Helper()
	_, imgs := builtImages(t)
	im, ok := Find(imgs, ref)
	if !ok {
		t.Fatalf("no image %s among %v", ref, imgs)
	}
	dir := ""
	if os.Geteuid() == 0 {
		dir = t.TempDir()
	}
	f := loadImage(t, im, dir)
	checkCommon(t, f)
	return f
}

// TestImagesShareTheBase checks that every image's first layer is the same
// Debian base, so a node stores it once.
func TestImagesShareTheBase(t *testing.T) {
	_, imgs := builtImages(t)
	var first v1.Hash
	for _, im := range imgs {
		tag, err := name.NewTag(im.Ref)
		if err != nil {
			t.Fatal(err)
		}
		img, err := tarball.ImageFromPath(im.File, &tag)
		if err != nil {
			t.Fatal(err)
		}
		ls, err := img.Layers()
		if err != nil || len(ls) != 2 {
			t.Fatalf("%s: %d layers, %v; want the base and its own", im.Ref, len(ls), err)
		}
		d, err := ls[0].Digest()
		if err != nil {
			t.Fatal(err)
		}
		if first == (v1.Hash{}) {
			first = d
		} else if d != first {
			t.Errorf("%s: base layer %s, others %s", im.Ref, d, first)
		}
	}
}

func wantMode(t *testing.T, f *imageFS, p string, uid, gid int, mode int64) {
	t.Helper()
	h := f.header(t, p)
	if h.Uid != uid || h.Gid != gid || h.Mode&0o7777 != mode {
		t.Errorf("%s: owner %d:%d mode %#o, want %d:%d %#o", p, h.Uid, h.Gid, h.Mode&0o7777, uid, gid, mode)
	}
}

func wantExecutable(t *testing.T, f *imageFS, p string) {
	t.Helper()
	h := f.header(t, p)
	if h.Typeflag != tar.TypeReg || h.Mode&0o111 != 0o111 {
		t.Errorf("%s: type %c mode %#o, want an executable file", p, h.Typeflag, h.Mode)
	}
}

func wantUser(t *testing.T, f *imageFS, name string, uid, gid int, home string) {
	t.Helper()
	u, ok := f.users(t)[name]
	if !ok {
		t.Errorf("no user %s in /etc/passwd", name)
		return
	}
	if u.uid != uid || u.gid != gid || u.home != home {
		t.Errorf("user %s: %d:%d home %s, want %d:%d home %s", name, u.uid, u.gid, u.home, uid, gid, home)
	}
}

// checkCommon checks what every image shares: os/arch, an entrypoint and
// command, the Debian base with dash as /bin/sh, and none of the build's
// own or per-machine files.
func checkCommon(t *testing.T, f *imageFS) {
	t.Helper()
	if f.cfg.OS != "linux" || f.cfg.Architecture != runtime.GOARCH {
		t.Errorf("os/arch %s/%s, want linux/%s", f.cfg.OS, f.cfg.Architecture, runtime.GOARCH)
	}
	if len(f.cfg.Config.Entrypoint) == 0 || len(f.cfg.Config.Cmd) == 0 {
		t.Errorf("entrypoint %q cmd %q: want both", f.cfg.Config.Entrypoint, f.cfg.Config.Cmd)
	}
	if sh, _ := f.resolve("/bin/sh"); !strings.HasSuffix(sh, "/dash") {
		t.Errorf("/bin/sh resolves to %s, want dash", sh)
	}
	if !strings.Contains(f.content(t, "/etc/os-release"), `VERSION_CODENAME=bookworm`) {
		t.Error("/etc/os-release: not Debian bookworm")
	}
	for _, p := range []string{"/etc/resolv.conf", "/etc/hostname", "/dev/null", "/usr/sbin/policy-rc.d", "/var/lib/apt/lists/.juliarun-updated"} {
		if f.exists(p) {
			t.Errorf("%s is in the image; the build's own file must not be", p)
		}
	}
	for p, h := range f.headers {
		if strings.HasPrefix(p, "var/cache/apt/archives/") && strings.HasSuffix(p, ".deb") {
			t.Errorf("%s: apt's download left in the image", p)
		}
		if strings.HasPrefix(p, "var/lib/apt/lists/") && h.Typeflag == tar.TypeReg && h.Size > 0 {
			t.Errorf("%s: apt lists left in the image", p)
		}
		if h.Uname != "" || h.Gname != "" {
			t.Errorf("%s: owner names %q:%q from the build machine", p, h.Uname, h.Gname)
			break
		}
	}
}

func TestJuliaStandInImage(t *testing.T) {
	f := openImage(t, JuliaStandIn)
	c := f.cfg.Config
	if !slices.Equal(c.Entrypoint, []string{"docker-entrypoint.sh"}) || !slices.Equal(c.Cmd, []string{"julia"}) || c.User != "" {
		t.Errorf("entrypoint %q cmd %q user %q, want the official image's docker-entrypoint.sh, julia, root", c.Entrypoint, c.Cmd, c.User)
	}
	env := f.env()
	if env["JULIA_PATH"] != "/usr/local/julia" || !strings.HasPrefix(env["PATH"], "/usr/local/julia/bin:") {
		t.Errorf("JULIA_PATH %q PATH %q, want /usr/local/julia and its bin first on PATH", env["JULIA_PATH"], env["PATH"])
	}
	wantExecutable(t, f, "/usr/local/julia/bin/julia")
	wantMode(t, f, "/usr/local/julia/bin/julia", 0, 0, 0o755)
	wantExecutable(t, f, "/usr/local/bin/docker-entrypoint.sh")
	if h := f.header(t, "/usr/local/julia/bin/julia"); h.Size < 100<<10 {
		t.Errorf("julia stand-in is %d bytes: not the compiled program", h.Size)
	}
	t.Run("chroot", func(t *testing.T) { smokeJuliaStandIn(t, f) })
}

func TestNginxImage(t *testing.T) {
	f := openImage(t, Nginx)
	c := f.cfg.Config
	if !slices.Equal(c.Entrypoint, []string{"/docker-entrypoint.sh"}) || !slices.Equal(c.Cmd, []string{"nginx", "-g", "daemon off;"}) {
		t.Errorf("entrypoint %q cmd %q, want the official image's", c.Entrypoint, c.Cmd)
	}
	if c.StopSignal != "SIGQUIT" || c.User != "" {
		t.Errorf("stop signal %q user %q, want SIGQUIT and root", c.StopSignal, c.User)
	}
	if _, ok := c.ExposedPorts["80/tcp"]; !ok {
		t.Errorf("exposed ports %v, want 80/tcp", c.ExposedPorts)
	}
	wantExecutable(t, f, "/usr/sbin/nginx")
	wantExecutable(t, f, "/docker-entrypoint.sh")
	wantUser(t, f, "nginx", 101, 101, "/nonexistent")
	if g := f.groups(t)["nginx"]; g != 101 {
		t.Errorf("group nginx %d, want 101", g)
	}
	// Root-owned temp directories, as in the official image: a non-root
	// nginx cannot create its temp files there.
	wantMode(t, f, "/var/cache/nginx", 0, 0, 0o755)
	wantMode(t, f, "/var/lib/nginx", 0, 0, 0o755)
	if got := f.link(t, "/var/log/nginx/access.log"); got != "/dev/stdout" {
		t.Errorf("access.log -> %s, want /dev/stdout", got)
	}
	if got := f.link(t, "/var/log/nginx/error.log"); got != "/dev/stderr" {
		t.Errorf("error.log -> %s, want /dev/stderr", got)
	}
	conf := f.content(t, "/etc/nginx/nginx.conf")
	for _, want := range []string{"user  nginx;", "pid        /var/run/nginx.pid;", "include /etc/nginx/conf.d/*.conf;"} {
		if !strings.Contains(conf, want) {
			t.Errorf("nginx.conf lacks %q", want)
		}
	}
	if !strings.Contains(f.content(t, "/etc/nginx/conf.d/default.conf"), "listen       80;") {
		t.Error("conf.d/default.conf does not listen on 80")
	}
	if f.exists("/etc/nginx/sites-enabled/default") {
		t.Error("Debian's default site is still enabled")
	}
	if !f.exists("/usr/share/nginx/html/index.html") || !f.exists("/docker-entrypoint.d") {
		t.Error("/usr/share/nginx/html/index.html or /docker-entrypoint.d missing")
	}
	t.Run("chroot", func(t *testing.T) { smokeNginx(t, f) })
}

func TestRabbitMQImage(t *testing.T) {
	f := openImage(t, RabbitMQ)
	c := f.cfg.Config
	if !slices.Equal(c.Entrypoint, []string{"docker-entrypoint.sh"}) || !slices.Equal(c.Cmd, []string{"rabbitmq-server"}) || c.User != "" {
		t.Errorf("entrypoint %q cmd %q user %q, want the official image's", c.Entrypoint, c.Cmd, c.User)
	}
	env := f.env()
	if env["HOME"] != "/var/lib/rabbitmq" || env["RABBITMQ_DATA_DIR"] != "/var/lib/rabbitmq" || !strings.HasPrefix(env["PATH"], "/usr/lib/rabbitmq/bin:") {
		t.Errorf("HOME %q RABBITMQ_DATA_DIR %q PATH %q", env["HOME"], env["RABBITMQ_DATA_DIR"], env["PATH"])
	}
	for _, p := range []string{"5672/tcp", "25672/tcp", "4369/tcp"} {
		if _, ok := c.ExposedPorts[p]; !ok {
			t.Errorf("exposed ports %v lack %s", c.ExposedPorts, p)
		}
	}
	wantUser(t, f, "rabbitmq", 999, 999, "/var/lib/rabbitmq")
	if g := f.groups(t)["rabbitmq"]; g != 999 {
		t.Errorf("group rabbitmq %d, want 999", g)
	}
	for _, d := range []string{"/var/lib/rabbitmq", "/etc/rabbitmq", "/etc/rabbitmq/conf.d", "/var/log/rabbitmq", "/tmp/rabbitmq-ssl"} {
		wantMode(t, f, d, 999, 999, 0o1777)
	}
	if f.exists("/var/lib/rabbitmq/.erlang.cookie") {
		t.Error("an Erlang cookie is baked into the image")
	}
	if got := f.link(t, "/root/.erlang.cookie"); got != "/var/lib/rabbitmq/.erlang.cookie" {
		t.Errorf("/root/.erlang.cookie -> %s", got)
	}
	for _, p := range []string{"/usr/lib/rabbitmq/bin/rabbitmq-server", "/usr/lib/rabbitmq/bin/rabbitmqctl", "/usr/lib/rabbitmq/bin/rabbitmq-plugins", "/usr/local/bin/docker-entrypoint.sh"} {
		wantExecutable(t, f, p)
	}
	if got := strings.TrimSpace(f.content(t, "/etc/rabbitmq/enabled_plugins")); got != "[rabbitmq_prometheus]." {
		t.Errorf("enabled_plugins %q, want only rabbitmq_prometheus (management shipped, not enabled)", got)
	}
	plugins, ok := f.resolve("/plugins")
	if !ok {
		t.Fatal("/plugins missing")
	}
	var mgmt, erl bool
	for p := range f.headers {
		mgmt = mgmt || strings.HasPrefix(p, plugins+"/rabbitmq_management-")
		erl = erl || (strings.HasPrefix(p, "usr/lib/erlang/erts-") && strings.HasSuffix(p, "/bin/beam.smp"))
	}
	if !mgmt || !erl {
		t.Errorf("management plugin shipped %v, Erlang VM present %v: want both", mgmt, erl)
	}
	defaults := f.content(t, "/etc/rabbitmq/conf.d/10-defaults.conf")
	if !strings.Contains(defaults, "loopback_users.guest = false") || !strings.Contains(defaults, "log.console = true") {
		t.Errorf("10-defaults.conf lacks the official defaults:\n%s", defaults)
	}
	t.Run("chroot", func(t *testing.T) { smokeRabbitMQ(t, f) })
}

func TestJuliaNotebookImage(t *testing.T) {
	f := openImage(t, JuliaNotebook)
	c := f.cfg.Config
	if c.User != "1000" || c.WorkingDir != "/home/jovyan" {
		t.Errorf("user %q workdir %q, want 1000 and /home/jovyan", c.User, c.WorkingDir)
	}
	if !slices.Equal(c.Entrypoint, []string{"tini", "-g", "--", "start.sh"}) {
		t.Errorf("entrypoint %q, want docker-stacks' tini -g -- start.sh", c.Entrypoint)
	}
	env := f.env()
	for k, v := range map[string]string{"HOME": "/home/jovyan", "JULIA_DEPOT_PATH": "/opt/julia", "NB_USER": "jovyan", "NB_UID": "1000", "NB_GID": "100"} {
		if env[k] != v {
			t.Errorf("%s=%q, want %q", k, env[k], v)
		}
	}
	wantUser(t, f, "jovyan", 1000, 100, "/home/jovyan")
	if g := f.groups(t)["users"]; g != 100 {
		t.Errorf("group users %d, want 100", g)
	}
	wantMode(t, f, "/home/jovyan", 1000, 100, 0o2775)
	wantMode(t, f, "/home/jovyan/work", 1000, 100, 0o2775)
	wantMode(t, f, "/opt/julia", 1000, 100, 0o2775)
	if h := f.header(t, "/etc/passwd"); h.Mode&0o020 == 0 {
		t.Errorf("/etc/passwd mode %#o: want group-writable, as in docker-stacks", h.Mode)
	}
	if got := f.link(t, "/usr/local/bin/julia"); got != "/opt/julia-standin/bin/julia" {
		t.Errorf("/usr/local/bin/julia -> %s", got)
	}
	for _, p := range []string{"/usr/local/bin/julia", "/usr/bin/jupyter", "/usr/bin/jupyter-notebook", "/usr/bin/tini", "/usr/local/bin/start.sh", "/usr/local/bin/start-notebook.sh", "/usr/bin/python3"} {
		wantExecutable(t, f, p)
	}
	for _, p := range []string{"/usr/lib/python3/dist-packages/notebook/notebookapp.py", "/usr/lib/python3/dist-packages/jupyter_server/serverapp.py", "/usr/lib/python3/dist-packages/argon2"} {
		if !f.exists(p) {
			t.Errorf("%s missing", p)
		}
	}
	t.Run("chroot", func(t *testing.T) { smokeNotebookSh(t, f) })
}
