#!/bin/sh
# notebook.sh: start the Jupyter notebook of a juliarun Notebook job.
#
# Every Julia kernel loads the JuliaRun helper through startup.jl in the
# first Julia depot ($HOME/.julia unless JULIA_DEPOT_PATH names another
# first). The server runs `jupyter notebook`, not `jupyter server`: the job
# promises a notebook UI with its file manager and terminal, which
# `jupyter server` alone does not serve. The password (a hash) and the
# disabled token are set by jupyter_server_config.py from the environment, so
# neither is in argv. Jupyter handles SIGTERM itself, so it may be the
# container's PID 1 (exec).
set -eu

die() {
	echo "notebook.sh: $*" >&2
	exit 2
}
[ -n "${JRUN_DIR:-}" ] || die "JRUN_DIR is not set (the run volume's mount path)"
[ -n "${JRUN_NOTEBOOK_PORT:-}" ] || die "JRUN_NOTEBOOK_PORT is not set"
[ -n "${HOME:-}" ] || die "HOME is not set"
: "${JRUN_SCRIPTS:=/opt/juliarun/scripts}"
. "$JRUN_SCRIPTS/juliaenv.sh"

depot=${JULIA_DEPOT_PATH:-}
depot=${depot%%:*}
# An empty first entry stands for Julia's default depots, ~/.julia first.
[ -n "$depot" ] || depot=$HOME/.julia
mkdir -p "$depot/config"
printf '# Written by juliarun notebook.sh: load the JuliaRun helper in every Julia process.\ninclude(raw"%s")\n' \
	"$JRUN_SCRIPTS/juliarun.jl" >"$depot/config/startup.jl"

cd "$JRUN_DIR"
exec jupyter notebook \
	--config="$JRUN_SCRIPTS/jupyter_server_config.py" \
	--ip=0.0.0.0 \
	--port="$JRUN_NOTEBOOK_PORT" \
	--no-browser \
	--notebook-dir="$JRUN_DIR"
