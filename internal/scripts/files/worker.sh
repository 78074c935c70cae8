#!/bin/sh
# worker.sh [SCRIPT [ARG...]]: start a juliarun worker.
#
# Without SCRIPT: a Julia Distributed worker that listens on
# $JRUN_WORKER_PORT and waits for the master to connect (the master finds it
# through the workers' headless Service; see juliarun.jl). The cluster cookie
# goes to julia on stdin, which `--worker` without a value reads, so it is
# never in argv, where any process in the pod could read it.
#
# With SCRIPT: one unit of a job array; runs the Julia SCRIPT in $JRUN_DIR.
set -eu

die() {
	echo "worker.sh: $*" >&2
	exit 2
}
[ -n "${JRUN_DIR:-}" ] || die "JRUN_DIR is not set (the run volume's mount path)"
: "${JRUN_SCRIPTS:=/opt/juliarun/scripts}"
cd "$JRUN_DIR"

if [ $# -gt 0 ]; then
	exec julia -L "$JRUN_SCRIPTS/juliarun.jl" "$@"
fi

[ -n "${JRUN_CLUSTER_COOKIE:-}" ] || die "JRUN_CLUSTER_COOKIE is not set (a worker needs the cluster cookie)"
: "${JRUN_WORKER_PORT:=9009}"
# Distributed makes a worker exit if no master connects within
# JULIA_WORKER_TIMEOUT seconds (default 60). Here the master may start later
# than its workers (scheduling) or much later (a notebook kernel calls
# init_parallel when the user runs it), so wait a day unless told otherwise.
: "${JULIA_WORKER_TIMEOUT:=86400}"
export JULIA_WORKER_TIMEOUT

# The here-document reaches julia through a pipe (dash, busybox ash, bash
# 5.1+): the cookie is not written to a file or put in argv. (Julia does not
# act on -L with --worker; it is passed for uniformity and is harmless.)
exec julia -L "$JRUN_SCRIPTS/juliarun.jl" --worker --bind-to "0.0.0.0:$JRUN_WORKER_PORT" <<EOF_COOKIE
$JRUN_CLUSTER_COOKIE
EOF_COOKIE
