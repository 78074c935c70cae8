#!/bin/sh
# Entrypoint of juliarun's nginx image, after the official nginx image's
# docker-entrypoint.sh: when the command is nginx (or nginx-debug), run the
# hooks in /docker-entrypoint.d in sorted order first (executable *.sh files
# run, executable *.envsh files are sourced, anything else is skipped), then
# exec the command. This image ships no hooks (see docs/IMAGES.md).
# NGINX_ENTRYPOINT_QUIET_LOGS silences this script's own messages.
set -eu

log() {
	[ -n "${NGINX_ENTRYPOINT_QUIET_LOGS:-}" ] || echo "$0: $*"
}

case ${1:-} in
nginx | nginx-debug)
	hooks=$(find /docker-entrypoint.d/ -mindepth 1 -maxdepth 1 -follow -type f 2>/dev/null | sort -V)
	if [ -z "$hooks" ]; then
		log "No files found in /docker-entrypoint.d/, skipping configuration"
	fi
	for f in $hooks; do
		if [ ! -x "$f" ]; then
			log "Ignoring $f, not executable"
			continue
		fi
		case $f in
		*.envsh)
			log "Sourcing $f"
			. "$f"
			;;
		*.sh)
			log "Launching $f"
			"$f"
			;;
		*) log "Ignoring $f" ;;
		esac
	done
	;;
esac
exec "$@"
