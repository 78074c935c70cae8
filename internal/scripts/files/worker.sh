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
# which master.sh records on the run volume (or, when the master's whole
# container was killed, its heartbeat falls silent): it then exits with
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

# A master whose heartbeat (master.sh) has not changed for this many
# seconds, by this worker's own clock, is gone. At least three beats.
: "${JULIARUN_MASTER_SILENCE:=60}"
case $JULIARUN_MASTER_SILENCE$JRUN_MASTER_BEAT in
'' | *[!0-9]*) die "JULIARUN_MASTER_SILENCE ($JULIARUN_MASTER_SILENCE) and JRUN_MASTER_BEAT ($JRUN_MASTER_BEAT) must be whole seconds" ;;
esac
[ "$JULIARUN_MASTER_SILENCE" -ge $((3 * JRUN_MASTER_BEAT)) ] || JULIARUN_MASTER_SILENCE=$((3 * JRUN_MASTER_BEAT))

watch_master() {
	# Ends the worker once the master has ended: its end recorded, or its
	# heartbeat silent for $JULIARUN_MASTER_SILENCE seconds after this
	# worker saw it beat (a master not started yet has no heartbeat). A
	# silent master's end is recorded here, for every worker. Polls every 2 s.
	last= since=$(date +%s)
	while kill -0 "$1" 2>/dev/null; do
		if [ -e "$(master_exit_file)" ]; then
			kill -TERM "$1" 2>/dev/null || :
			return
		fi
		heard=$(cat "$(master_alive_file)" 2>/dev/null) || heard=
		now=$(date +%s)
		if [ "$heard" != "$last" ]; then
			last=$heard since=$now
		elif [ -n "$heard" ] && [ $((now - since)) -ge "$JULIARUN_MASTER_SILENCE" ]; then
			echo "worker.sh: the master's heartbeat has been silent for $((now - since)) s: the master is gone" >&2
			echo silent >"$(master_exit_file)" ||
				echo "worker.sh: could not record the master's end in $(master_exit_file)" >&2
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
