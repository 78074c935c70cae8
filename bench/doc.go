// Package bench measures juliarun against what its users would do instead:
// kubectl apply of the rendered YAML, hand-written client-go calls, and a
// pod-per-worker cluster manager that creates one Pod per Julia worker and
// polls each.
//
// The measurements are Go benchmarks in this package's test files; each
// benchmark family starts its own local control plane (juliaruntest) and
// skips, loudly, when the control-plane binaries are not built. Besides time,
// they report custom metrics: API requests per operation by verb, response
// bytes read, and, where methods are compared, the median time of each
// method measured side by side, interleaved in one run. BENCHMARKS.md at the
// module root explains the method and the numbers; hack/bench.sh runs every
// benchmark and prints the table with the benchtable command in cmd/benchtable.
//
// The package itself holds only the request Counter, which any rest.Config
// can use through WrapTransport.
package bench
