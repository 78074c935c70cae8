#!/bin/sh
# master.sh SCRIPT [ARG...]: start a juliarun job's main process.
#
# Runs in $JRUN_DIR (the run volume). SCRIPT is one of:
#   - the name of a script shipped beside this one (e.g. worker.sh): run it;
#     this is how a JuliaParBatch worker starts (worker_shell master.sh,
#     worker_start_script worker.sh);
#   - a path ending in .sh: run it with /bin/sh;
#   - anything else: a Julia script, run with the JuliaRun helper loaded.
# Relative paths are relative to $JRUN_DIR. exec hands the container's
# process over to what runs, so it gets the signals.
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

case $1 in
*.sh) exec /bin/sh "$@" ;;
*) exec julia -L "$JRUN_SCRIPTS/juliarun.jl" "$@" ;;
esac
