package nodeimages

import (
	"embed"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// embedded holds the images' own files (entrypoints, configuration, setup
// scripts) and the stand-in julia's source, which the build compiles.
//
//go:embed files standin/*.go
var embedded embed.FS

// defaultPath is the PATH of Debian's official images.
const defaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// standInSource is what files of a recipe name to get the stand-in julia.
const standInSource = "standin"

// file is one file a recipe puts into its image after the setup script.
type file struct {
	Path string `json:"path"` // absolute, in the image
	Src  string `json:"src"`  // path in embedded, or standInSource
	Mode uint32 `json:"mode"` // permission bits; owner and group are root
}

// recipe is how one image is made: a setup script run as root in a chroot
// on top of the base, files copied in after it, and the image config.
type recipe struct {
	Name  string    `json:"name"`
	Ref   string    `json:"ref"`
	Setup string    `json:"setup"` // path in embedded; "" runs nothing
	Files []file    `json:"files"`
	Cfg   v1.Config `json:"config"`
	// Doc is the image's history entry: what it is.
	Doc string `json:"doc"`
}

// recipes returns every image's recipe. docs/IMAGES.md describes each and
// how it differs from the official image it imitates.
func recipes() []recipe {
	return []recipe{
		{
			// The official julia image (its Dockerfile and
			// docker-entrypoint.sh): julia under JULIA_PATH=/usr/local/julia,
			// on PATH, user root, entrypoint docker-entrypoint.sh, CMD julia.
			Name: "julia-standin",
			Ref:  JuliaStandIn,
			Files: []file{
				{Path: "/usr/local/julia/bin/julia", Src: standInSource, Mode: 0o755},
				{Path: "/usr/local/bin/docker-entrypoint.sh", Src: "files/julia/docker-entrypoint.sh", Mode: 0o755},
			},
			Cfg: v1.Config{
				Env: []string{
					"PATH=/usr/local/julia/bin:" + defaultPath,
					"JULIA_PATH=/usr/local/julia",
				},
				Entrypoint: []string{"docker-entrypoint.sh"},
				Cmd:        []string{"julia"},
			},
			Doc: "juliarun julia stand-in (NOT Julia) on Debian " + Suite,
		},
		{
			// The official nginx image (its Dockerfile-debian.template and
			// entrypoint/docker-entrypoint.sh).
			Name:  "nginx",
			Ref:   Nginx,
			Setup: "files/setup/nginx.sh",
			Files: []file{
				{Path: "/docker-entrypoint.sh", Src: "files/nginx/docker-entrypoint.sh", Mode: 0o755},
				{Path: "/etc/nginx/nginx.conf", Src: "files/nginx/nginx.conf", Mode: 0o644},
				{Path: "/etc/nginx/conf.d/default.conf", Src: "files/nginx/default.conf", Mode: 0o644},
			},
			Cfg: v1.Config{
				Env:          []string{"PATH=" + defaultPath},
				Entrypoint:   []string{"/docker-entrypoint.sh"},
				Cmd:          []string{"nginx", "-g", "daemon off;"},
				ExposedPorts: map[string]struct{}{"80/tcp": {}},
				StopSignal:   "SIGQUIT",
			},
			Doc: "Debian's nginx laid out like the official nginx image",
		},
		{
			// The official rabbitmq image (its Dockerfile-ubuntu.template,
			// docker-entrypoint.sh and conf.d/10-defaults.conf), plain tag:
			// the management plugin is not enabled.
			Name:  "rabbitmq",
			Ref:   RabbitMQ,
			Setup: "files/setup/rabbitmq.sh",
			Files: []file{
				{Path: "/usr/local/bin/docker-entrypoint.sh", Src: "files/rabbitmq/docker-entrypoint.sh", Mode: 0o755},
				{Path: "/etc/rabbitmq/conf.d/10-defaults.conf", Src: "files/rabbitmq/10-defaults.conf", Mode: 0o644},
			},
			Cfg: v1.Config{
				Env: []string{
					// Debian's /usr/sbin/rabbitmq* wrappers refuse any user but
					// root and rabbitmq; the scripts they wrap are here.
					"PATH=/usr/lib/rabbitmq/bin:" + defaultPath,
					"RABBITMQ_DATA_DIR=/var/lib/rabbitmq",
					"HOME=/var/lib/rabbitmq",
					"LANG=C.UTF-8", "LANGUAGE=C.UTF-8", "LC_ALL=C.UTF-8",
					// rabbitmq-server then execs the Erlang VM, which gets the
					// container's signals.
					"RUNNING_UNDER_SYSTEMD=true",
				},
				Entrypoint: []string{"docker-entrypoint.sh"},
				Cmd:        []string{"rabbitmq-server"},
				ExposedPorts: map[string]struct{}{
					"4369/tcp": {}, "5671/tcp": {}, "5672/tcp": {}, "15691/tcp": {}, "15692/tcp": {}, "25672/tcp": {},
				},
				Volumes: map[string]struct{}{"/var/lib/rabbitmq": {}},
			},
			Doc: "Debian's rabbitmq-server laid out like the official rabbitmq image",
		},
		{
			// Jupyter docker-stacks' julia-notebook (the Dockerfiles of
			// docker-stacks-foundation, base-notebook, minimal-notebook and
			// julia-notebook): user jovyan 1000:100, HOME /home/jovyan,
			// JULIA_DEPOT_PATH=/opt/julia, entrypoint tini + start.sh.
			Name:  "julia-notebook",
			Ref:   JuliaNotebook,
			Setup: "files/setup/jupyter.sh",
			Files: []file{
				{Path: "/opt/julia-standin/bin/julia", Src: standInSource, Mode: 0o755},
				{Path: "/usr/local/bin/start.sh", Src: "files/jupyter/start.sh", Mode: 0o755},
				{Path: "/usr/local/bin/start-notebook.sh", Src: "files/jupyter/start-notebook.sh", Mode: 0o755},
			},
			Cfg: v1.Config{
				Env: []string{
					"PATH=" + defaultPath,
					"SHELL=/bin/bash",
					"NB_USER=jovyan", "NB_UID=1000", "NB_GID=100",
					"LC_ALL=C.UTF-8", "LANG=C.UTF-8", "LANGUAGE=C.UTF-8",
					"HOME=/home/jovyan",
					"JUPYTER_PORT=8888",
					"JULIA_DEPOT_PATH=/opt/julia", "JULIA_PKGDIR=/opt/julia",
				},
				User:         "1000",
				WorkingDir:   "/home/jovyan",
				Entrypoint:   []string{"tini", "-g", "--", "start.sh"},
				Cmd:          []string{"start-notebook.sh"},
				ExposedPorts: map[string]struct{}{"8888/tcp": {}},
			},
			Doc: "Debian's Jupyter Notebook with the julia stand-in, laid out like docker-stacks' julia-notebook",
		},
	}
}
