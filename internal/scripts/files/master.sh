#!/bin/sh
# master.sh SCRIPT [ARG...]: start a juliarun job's main process.
#
# Runs in $JRUN_DIR (the run volume). SCRIPT is one of:
#   - the name of a script shipped beside this one (e.g. worker.sh): run it;
#     this is how a JuliaParBatch worker starts (worker_shell master.sh,
#     worker_start_script worker.sh);
#   - a path ending in .sh: run it with /bin/sh;
#   - anything else: a Julia script, run with the JuliaRun helper loaded.
# Relative paths are relative to $JRUN_DIR.
#
# The process runs as this shell's child, not in its place: as the
# container's PID 1 the kernel would drop every signal it has no handler
# for, and Julia has none for SIGTERM, so deleting the pod would wait out the
# whole grace period. This shell forwards SIGTERM and SIGINT and exits with
# the process's exit code. When the job has Distributed workers
# ($JRUN_RUN_ID set), it rewrites a heartbeat file on the run volume while
# the process runs, and then records that the master ended, so that workers
# still waiting for it end too (worker.sh).
set -eu

die() {
	echo "master.sh: $*" >&2
	exit 2
}
[ -n "${1:-}" ] || die "missing SCRIPT: usage: master.sh SCRIPT [ARG...]"
[ -n "${JRUN_DIR:-}" ] || die "JRUN_DIR is not set (the run volume's mount path)"
: "${JRUN_SCRIPTS:=/opt/juliarun/scripts}"
cd "$JRUN_DIR"

case $1 in
*/*) ;;
*.sh)
	if [ -f "$JRUN_SCRIPTS/$1" ]; then
		script=$1
		shift
		exec /bin/sh "$JRUN_SCRIPTS/$script" "$@"
	fi
	;;
esac

. "$JRUN_SCRIPTS/juliaenv.sh"

case $1 in
*.sh) set -- /bin/sh "$@" ;;
*) set -- julia -L "$JRUN_SCRIPTS/juliarun.jl" "$@" ;;
esac
# beat rewrites the master's heartbeat file while the child runs; run it
# in a subshell of its own (see below).
beat() {
	n=0
	while kill -0 "$child" 2>/dev/null; do
		n=$((n + 1))
		echo "$n" >"$(master_alive_file).tmp" && mv -f "$(master_alive_file).tmp" "$(master_alive_file)" || :
		sleep "$JRUN_MASTER_BEAT"
	done
}

code=0
start_child "$@"
if [ -n "${JRUN_RUN_ID:-}" ]; then
	# After start_child: its traps must come first.
	mkdir -p "$(dirname "$(master_alive_file)")" ||
		echo "master.sh: could not make $(dirname "$(master_alive_file)") for the master's heartbeat" >&2
	# The subshell keeps start_child's traps until it drops them (dash), so
	# a kill that comes first is caught: beat then ends with the child. Its
	# descriptors go to /dev/null by exec (a redirection of the function
	# call would keep saved copies of the caller's pipes open), so neither
	# it nor a sleep it leaves behind holds a pipe of the caller's.
	(
		trap - TERM INT
		exec </dev/null >/dev/null 2>&1
		beat
	) &
	beating=$!
fi
wait_child || code=$?
if [ -n "${JRUN_RUN_ID:-}" ]; then
	kill "$beating" 2>/dev/null || :
	mkdir -p "$(dirname "$(master_exit_file)")" && echo "$code" >"$(master_exit_file)" ||
		echo "master.sh: could not record the master's end in $(master_exit_file)" >&2
fi
exit "$code"
