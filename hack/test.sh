#!/usr/bin/env bash
# Runs every test of the SDK, the cluster tests included: builds the
# control-plane binaries first (once; they are cached outside the checkout),
# and makes a missing binary a failure, never a skip.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "==> control-plane binaries"
go run ./hack/clusterbin >/dev/null
export JULIARUN_REQUIRE_CLUSTER=1

echo "==> node images (the real node's local images, built from Debian's archive as root; docs/IMAGES.md)"
if [ "$(id -u)" = 0 ]; then
	command -v debootstrap >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap >/dev/null; }
	go run ./hack/nodeimages >/dev/null
else
	echo "not root: node images not built (their tests will fail)" >&2
fi

echo "==> test tools (Debian's Jupyter for the notebook password checks; lezer-julia for the Julia parse check)"
if ! /usr/bin/python3 -c 'import jupyter_server.auth.security, argon2, traitlets, notebook' 2>/dev/null; then
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
		apt-get update -qq
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
			python3-jupyter-server python3-notebook python3-argon2 >/dev/null
	else
		echo "need Debian's python3-jupyter-server python3-notebook python3-argon2 (run as root to install them)" >&2
		exit 1
	fi
fi
if [ ! -d hack/parsecheck/node_modules ]; then
	(cd hack/parsecheck && npm ci --silent --no-audit --no-fund)
fi

echo "==> Julia parse check (every .jl file in the repository)"
node hack/parsecheck/check.mjs $(git ls-files '*.jl' 2>/dev/null || find . -name '*.jl' -not -path './hack/parsecheck/node_modules/*')

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
