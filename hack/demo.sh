#!/usr/bin/env bash
# Runs the quickstart: a JuliaParBatch job on a simulated cluster, or on the
# cluster of --kubeconfig / KUBECONFIG when given.
set -euo pipefail
cd "$(dirname "$0")/.."
exec go run ./examples/quickstart "$@"
