#!/bin/sh
# start-notebook.sh of juliarun's julia-notebook image: starts
# `jupyter $DOCKER_STACKS_JUPYTER_CMD` with $NOTEBOOK_ARGS and the
# arguments, as docker-stacks' start-notebook.py does. The default command
# is `notebook` (classic Notebook 6), not docker-stacks' `lab`: Debian 12 has
# no JupyterLab.
set -eu
# NOTEBOOK_ARGS is split into words on purpose, as docker-stacks does.
# shellcheck disable=SC2086
exec jupyter "${DOCKER_STACKS_JUPYTER_CMD:-notebook}" ${NOTEBOOK_ARGS:-} "$@"
