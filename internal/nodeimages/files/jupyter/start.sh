#!/bin/sh
# start.sh of juliarun's julia-notebook image (run by tini, as in Jupyter
# docker-stacks' images): runs the executable hooks in
# /usr/local/bin/start-notebook.d, then the command (bash if none). Started
# as root, it runs the command as $NB_UID:$NB_GID with HOME=/home/$NB_USER;
# it does none of docker-stacks' user refitting (NB_USER renames, CHOWN_*,
# GRANT_SUDO).
set -eu

[ $# -gt 0 ] || set -- bash

for f in $(find /usr/local/bin/start-notebook.d -mindepth 1 -maxdepth 1 -type f 2>/dev/null | sort); do
	if [ -x "$f" ]; then
		echo "$0: running hook $f"
		"$f"
	fi
done

if [ "$(id -u)" = 0 ]; then
	export HOME="/home/$NB_USER"
	exec setpriv --reuid="$NB_UID" --regid="$NB_GID" --init-groups "$@"
fi
exec "$@"
