#!/usr/bin/env bash
# Runs every test of the SDK, the cluster tests included: builds the
# control-plane binaries first (once; they are cached outside the checkout),
# and makes a missing binary a failure, never a skip.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "==> control-plane binaries"
go run ./hack/clusterbin >/dev/null
export JULIARUN_REQUIRE_CLUSTER=1

echo "==> gofmt"
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
if [ -n "$unformatted" ]; then
	echo "gofmt would change: $unformatted" >&2
	exit 1
fi

echo "==> go vet"
go vet ./...

echo "==> go test -race"
go test -race -count=1 ./... "$@"
