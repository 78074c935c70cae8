#!/usr/bin/env bash
# Runs every juliarun benchmark, one family after the other (each starts its
# own local control plane), and prints the tables of BENCHMARKS.md on
# stdout; progress and the raw `go test -bench` output go to stderr and to
# $BENCH_OUT (default: a temporary file, named at the end).
#
# The control-plane binaries are built first if missing (about 14 minutes on
# 2 cores, once); a missing binary is then a failure, never a skip.
set -euo pipefail
cd "$(dirname "$0")/.."

out=${BENCH_OUT:-$(mktemp -t juliarun-bench.XXXXXX)}
: >"$out"
start=$(date +%s)

echo "==> control-plane binaries" >&2
go run ./hack/clusterbin >/dev/null
export JULIARUN_REQUIRE_CLUSTER=1

run() {
	echo "==> go test -run '^\$' -timeout 30m $*" >&2
	go test -run '^$' -timeout 30m "$@" 2>&1 | tee -a "$out" >&2
}

run -bench '^BenchmarkRender$' -benchmem -benchtime=300ms ./internal/render/
run -bench '^BenchmarkRequests$' -benchtime=3x ./bench/
run -bench '^BenchmarkStart$' -benchtime=30x ./bench/
run -bench '^BenchmarkScaleToReady$' -benchtime=3x ./bench/
run -bench '^BenchmarkWorkerReads$' -benchtime=50x ./bench/
run -bench '^BenchmarkDelete$' -benchtime=3x ./bench/
run -bench '^BenchmarkList$' -benchtime=3x ./bench/
run -bench '^BenchmarkManyJobs$' -benchtime=1x -benchmem ./bench/

go run ./bench/cmd/benchtable "$out"
echo "==> raw output in $out; all benchmarks took $(($(date +%s) - start)) s" >&2
