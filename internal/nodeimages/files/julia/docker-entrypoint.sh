#!/bin/sh
# Entrypoint of juliarun's julia stand-in image. It behaves as the official
# julia image's docker-entrypoint.sh does: no arguments, a julia option
# (-e, --project, ...) or a *.jl file run julia; anything else is a command.
# The SDK's pods set their own command, so they never pass through here.
set -eu
if [ $# -eq 0 ]; then
	exec julia
fi
case $1 in
-* | *.jl) exec julia "$@" ;;
esac
exec "$@"
