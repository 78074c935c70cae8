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
#
# Either way the process runs as this shell's child (see master.sh: PID 1
# gets no signal it has no handler for).
#
# A JuliaParBatch worker ($JRUN_RUN_ID set) ends when its master has ended,
# which master.sh records on the run volume: it then exits with
# $exit_master_ended (64), and the worker Job's podFailurePolicy ends the
# whole worker Job on that code, so no worker keeps holding CPU, GPU or
# memory for a master that is gone.
set -eu

die() {
	echo "worker.sh: $*" >&2
	exit 2
}
[ -n "${JRUN_DIR:-}" ] || die "JRUN_DIR is not set (the run volume's mount path)"
: "${JRUN_SCRIPTS:=/opt/juliarun/scripts}"
cd "$JRUN_DIR"
. "$JRUN_SCRIPTS/juliaenv.sh"

if [ $# -gt 0 ]; then
	code=0
	run_child julia -L "$JRUN_SCRIPTS/juliarun.jl" "$@" || code=$?
	exit "$code"
fi

[ -n "${JRUN_CLUSTER_COOKIE:-}" ] || die "JRUN_CLUSTER_COOKIE is not set (a worker needs the cluster cookie)"
: "${JRUN_WORKER_PORT:=9009}"
# Distributed makes a worker exit if no master connects within
# JULIA_WORKER_TIMEOUT seconds (default 60). Here the master may start later
# than its workers (scheduling) or much later (a notebook kernel calls
# init_parallel when the user runs it), so wait a day unless told otherwise.
: "${JULIA_WORKER_TIMEOUT:=86400}"
export JULIA_WORKER_TIMEOUT
# Exit codes the worker Job's podFailurePolicy acts on (render: workers.go).
exit_master_ended=64
exit_restart=65

watch_master() {
	# Ends the worker once the master's end is recorded; polls every 2 s.
	while kill -0 "$1" 2>/dev/null; do
		if [ -e "$(master_exit_file)" ]; then
			kill -TERM "$1" 2>/dev/null || :
			return
		fi
		sleep 2
	done
}

# The here-document reaches julia through a pipe (dash, busybox ash, bash
# 5.1+): the cookie is not written to a file or put in argv. (Julia does not
# act on -L with --worker; it is passed for uniformity and is harmless.)
start_child julia -L "$JRUN_SCRIPTS/juliarun.jl" --worker --bind-to "0.0.0.0:$JRUN_WORKER_PORT" <<EOF_COOKIE
$JRUN_CLUSTER_COOKIE
EOF_COOKIE
if [ -n "${JRUN_RUN_ID:-}" ]; then
	watch_master "$child" &
fi
code=0
wait_child || code=$?
if [ -n "${JRUN_RUN_ID:-}" ]; then
	# A master that ends cleanly removes its workers (they exit 0) just
	# before master.sh records its end: give that a few seconds.
	waited=0
	while [ "$code" -eq 0 ] && [ ! -e "$(master_exit_file)" ] && [ "$waited" -lt 10 ]; do
		sleep 1
		waited=$((waited + 1))
	done
	[ ! -e "$(master_exit_file)" ] || exit "$exit_master_ended"
	# RestartAlways: a worker that ended by itself is replaced.
	[ "$code" -ne 0 ] || [ "${JRUN_WORKER_RESTART:-}" != Always ] || exit "$exit_restart"
fi
exit "$code"
