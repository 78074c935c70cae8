# juliaenv.sh: sourced by master.sh, worker.sh and notebook.sh before they
# start Julia; what they share.

# The job's package bundle is added to the image's Julia depot and load
# path, never put in their place: a container's environment can only
# replace an image's variable, which would hide what the image keeps there
# (the Jupyter julia-notebook image has IJulia in JULIA_DEPOT_PATH=/opt/julia).
# An empty entry in either path stands for Julia's defaults. Applied once,
# also when one shipped script starts another.
if [ -n "${JRUN_BUNDLE_DEPOT:-}" ] && [ -z "${JRUN_BUNDLE_APPLIED:-}" ]; then
	if [ "${JRUN_BUNDLE_WRITABLE:-}" = true ]; then
		# The builder: the bundle's depot first, so what Pkg writes goes there.
		JULIA_DEPOT_PATH="$JRUN_BUNDLE_DEPOT:${JULIA_DEPOT_PATH:-}"
	else
		JULIA_DEPOT_PATH="${JULIA_DEPOT_PATH:-}:$JRUN_BUNDLE_DEPOT"
	fi
	JULIA_LOAD_PATH="${JULIA_LOAD_PATH:-}:$JRUN_BUNDLE_ENVIRONMENT"
	JRUN_BUNDLE_APPLIED=true
	export JULIA_DEPOT_PATH JULIA_LOAD_PATH JRUN_BUNDLE_APPLIED
fi

# master_exit_file names the file on the run volume where the master of a
# job with Distributed workers records its exit code; one per Start
# ($JRUN_RUN_ID), so a later job of the same name never reads an old one.
master_exit_file() {
	echo "$JRUN_DIR/.juliarun/$JRUN_NAME-$JRUN_RUN_ID.master-exit"
}

# master_alive_file names the file beside it that such a master rewrites
# every $JRUN_MASTER_BEAT seconds while it runs (a counter, so no clocks
# are compared across nodes). A master whose whole container is killed (a
# cgroup v2 OOM kill, a lost node) records no end: its workers learn of it
# from the silence.
master_alive_file() {
	echo "$JRUN_DIR/.juliarun/$JRUN_NAME-$JRUN_RUN_ID.master-alive"
}
: "${JRUN_MASTER_BEAT:=5}"

# start_child CMD [ARG...] starts CMD as a child of this shell, its pid in
# $child, and forwards SIGTERM and SIGINT to it. The caller's stdin is the
# child's, a here-document included (an asynchronous command's stdin is
# /dev/null unless redirected, hence fd 3).
start_child() {
	# The traps come first: a signal that reached PID 1 between the fork
	# and a later trap would be dropped. One that arrives before the child
	# exists is passed on as soon as it does.
	child= pending=
	trap 'pending=TERM; [ -z "$child" ] || kill -TERM "$child" 2>/dev/null || :' TERM
	trap 'pending=INT; [ -z "$child" ] || kill -INT "$child" 2>/dev/null || :' INT
	exec 3<&0
	"$@" <&3 3<&- &
	child=$!
	exec 3<&-
	[ -z "$pending" ] || kill -"$pending" "$child" 2>/dev/null || :
}

# wait_child waits for the child start_child started and returns its exit
# status (128+N if signal N ended it).
wait_child() {
	while :; do
		status=0
		wait "$child" || status=$?
		# wait also returns when a trapped signal arrives: wait again
		# until the child is gone.
		kill -0 "$child" 2>/dev/null || break
	done
	trap - TERM INT
	return "$status"
}

# run_child CMD [ARG...] runs CMD as a child and returns its exit status.
run_child() {
	start_child "$@"
	wait_child
}
