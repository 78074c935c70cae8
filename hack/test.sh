#!/usr/bin/env bash
# Runs every test of the SDK, the cluster and real-node tests included:
# builds the control-plane and real-node binaries first (once; they are
# cached outside the checkout), installs what the real node needs from
# Debian, and makes a missing binary a failure, never a skip. The real-node
# tests need root (docs/TESTING.md).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" != 0 ]; then
	echo "hack/test.sh runs the real-node tests, which need root (bridges, mounts, cgroups): run it as root" >&2
	exit 1
fi

echo "==> control-plane and real-node binaries (cold: about 25 minutes on 2 cores; then seconds)"
go run ./hack/clusterbin -realnode >/dev/null
export JULIARUN_REQUIRE_CLUSTER=1

echo "==> real-node tools from Debian (runc, nft, ip, busybox-static for the test image)"
need=()
command -v runc >/dev/null || need+=(runc)
command -v nft >/dev/null || need+=(nftables)
command -v ip >/dev/null || need+=(iproute2)
# Debian's plain busybox is dynamic: the test image needs the static one.
command -v busybox >/dev/null && ldd "$(command -v busybox)" 2>&1 | grep -q 'not a dynamic' || need+=(busybox-static)
if [ ${#need[@]} -gt 0 ]; then
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

echo "==> node images (the real node's local images, built from Debian's archive; docs/IMAGES.md)"
if ! command -v debootstrap >/dev/null; then
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap >/dev/null
fi
go run ./hack/nodeimages >/dev/null

echo "==> test tools (Debian's Jupyter for the notebook password checks; lezer-julia for the Julia parse check)"
if ! /usr/bin/python3 -c 'import jupyter_server.auth.security, argon2, traitlets, notebook' 2>/dev/null; then
	if command -v apt-get >/dev/null; then
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
# Real nodes are one per machine: a package's real-node tests wait while
# another package's run, so a package may take longer than go test's
# default 10 minutes.
go test -race -count=1 -timeout 45m ./... "$@"
