#!/bin/sh
# Entrypoint of juliarun's rabbitmq image, after the official rabbitmq
# image's docker-entrypoint.sh:
#   - started as root (the image's user) with a rabbitmq* command: give the
#     data directory to the rabbitmq user and run again as that user (with
#     util-linux's setpriv; the official image uses gosu);
#   - RABBITMQ_CONFIG_FILE, if set, must name an existing file (with or
#     without its .conf extension, as RabbitMQ accepts it): RabbitMQ reads it
#     itself, and a missing one is reported here rather than by the broker;
#   - long node names when the host name is a fully qualified one.
# The pods the SDK renders run as uid 1000, not 999: the data directory,
# /etc/rabbitmq and /var/log/rabbitmq are mode 1777 for that reason, as in
# the official image.
set -eu

case ${1:-} in
rabbitmq*)
	if [ "$(id -u)" = 0 ]; then
		if [ "$1" = rabbitmq-server ]; then
			find /var/lib/rabbitmq ! -user rabbitmq -exec chown rabbitmq '{}' +
		fi
		exec setpriv --reuid=rabbitmq --regid=rabbitmq --init-groups "$0" "$@"
	fi
	;;
esac

if [ -n "${RABBITMQ_CONFIG_FILE:-}" ]; then
	if [ ! -f "$RABBITMQ_CONFIG_FILE" ] && [ ! -f "$RABBITMQ_CONFIG_FILE.conf" ]; then
		echo "$0: RABBITMQ_CONFIG_FILE=$RABBITMQ_CONFIG_FILE: no such file" >&2
		exit 1
	fi
	echo "$0: RabbitMQ reads its configuration from $RABBITMQ_CONFIG_FILE"
fi

if [ -z "${RABBITMQ_USE_LONGNAME:-}" ] && [ "$(hostname)" != "$(hostname -s)" ]; then
	export RABBITMQ_USE_LONGNAME=true
fi

exec "$@"
