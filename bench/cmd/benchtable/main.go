// Command benchtable reads the output of `go test -bench` for the juliarun
// benchmarks (BenchmarkRender in internal/render and the benchmarks of
// package bench) and prints the tables of BENCHMARKS.md, with the ratios
// between the methods each benchmark measured side by side.
//
// Usage:
//
//	go test -run '^$' -bench . ./bench/ | go run ./bench/cmd/benchtable
//	go run ./bench/cmd/benchtable bench-output.txt...
//
// A benchmark that ran more than once (-count) is shown by the median of
// each metric. Families missing from the input are left out.
package main

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"os"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
)

func main() {
	res := newResults()
	if len(os.Args) == 1 {
		if err := res.parse(os.Stdin); err != nil {
			fatal(err)
		}
	}
	for _, path := range os.Args[1:] {
		f, err := os.Open(path)
		if err != nil {
			fatal(err)
		}
		err = res.parse(f)
		f.Close()
		if err != nil {
			fatal(err)
		}
	}
	if len(res.order) == 0 {
		fatal(fmt.Errorf("no benchmark results in the input"))
	}
	w := bufio.NewWriter(os.Stdout)
	defer w.Flush()
	for _, table := range []func(io.Writer, *results){
		renderTable, requestsTable, startTable, scaleTable, readsTable, deleteTable, listTable, manyJobsTable,
	} {
		table(w, res)
	}
}

// fatal prints err and exits with status 1.
func fatal(err error) {
	fmt.Fprintln(os.Stderr, "benchtable:", err)
	os.Exit(1)
}

// results holds every metric of every benchmark, in the order first seen.
type results struct {
	order   []string
	metrics map[string]map[string][]float64 // name -> unit -> values
}

// newResults returns empty results.
func newResults() *results {
	return &results{metrics: map[string]map[string][]float64{}}
}

// procsSuffix is the -GOMAXPROCS suffix of benchmark names.
var procsSuffix = regexp.MustCompile(`-\d+$`)

// parse reads benchmark result lines: "BenchmarkX/sub-2  10  123 ns/op  4.0 reqs/op".
func (r *results) parse(in io.Reader) error {
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 4 || !strings.HasPrefix(fields[0], "Benchmark") || len(fields)%2 != 0 {
			continue
		}
		if _, err := strconv.Atoi(fields[1]); err != nil {
			continue
		}
		name := procsSuffix.ReplaceAllString(fields[0], "")
		m, ok := r.metrics[name]
		if !ok {
			m = map[string][]float64{}
			r.metrics[name] = m
			r.order = append(r.order, name)
		}
		for i := 2; i+1 < len(fields); i += 2 {
			v, err := strconv.ParseFloat(fields[i], 64)
			if err != nil {
				continue
			}
			m[fields[i+1]] = append(m[fields[i+1]], v)
		}
	}
	return sc.Err()
}

// get returns the median of a benchmark's metric, and whether it was
// reported.
func (r *results) get(name, unit string) (float64, bool) {
	vs := r.metrics[name][unit]
	if len(vs) == 0 {
		return 0, false
	}
	s := append([]float64(nil), vs...)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2], true
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2, true
}

// withPrefix returns the benchmarks whose name starts with prefix, in order.
func (r *results) withPrefix(prefix string) []string {
	var out []string
	for _, n := range r.order {
		if strings.HasPrefix(n, prefix) {
			out = append(out, n)
		}
	}
	return out
}

// table prints a Markdown table.
func table(w io.Writer, title, note string, header []string, rows [][]string) {
	if len(rows) == 0 {
		return
	}
	fmt.Fprintf(w, "### %s\n\n", title)
	if note != "" {
		fmt.Fprintf(w, "%s\n\n", note)
	}
	fmt.Fprintf(w, "| %s |\n", strings.Join(header, " | "))
	seps := make([]string, len(header))
	for i := range seps {
		seps[i] = "---"
		if i > 0 {
			seps[i] = "---:"
		}
	}
	fmt.Fprintf(w, "|%s|\n", strings.Join(seps, "|"))
	for _, row := range rows {
		fmt.Fprintf(w, "| %s |\n", strings.Join(row, " | "))
	}
	fmt.Fprintln(w)
}

// num formats v with about three significant digits.
func num(v float64) string {
	switch {
	case v == 0:
		return "0"
	case math.Abs(v) >= 100:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case math.Abs(v) >= 10:
		return strconv.FormatFloat(v, 'f', 1, 64)
	default:
		return strconv.FormatFloat(v, 'f', 2, 64)
	}
}

// count formats a request count: an integer when it is one.
func count(v float64) string {
	if v == math.Trunc(v) {
		return strconv.FormatFloat(v, 'f', 0, 64)
	}
	return strconv.FormatFloat(v, 'f', 1, 64)
}

// bytesize formats a byte count in B, KB or MB (powers of 1000).
func bytesize(v float64) string {
	switch {
	case v >= 1e6:
		return num(v/1e6) + " MB"
	case v >= 1e3:
		return num(v/1e3) + " KB"
	}
	return num(v) + " B"
}

// ratio formats a / b as "1.23×", or a dash when b is 0.
func ratio(a, b float64) string {
	if b == 0 {
		return "–"
	}
	return num(a/b) + "×"
}

// verbs lists a benchmark's requests by verb: "1 get + 1 patch".
func (r *results) verbs(name, prefix string) string {
	var parts []string
	for _, verb := range []string{"create", "get", "list", "watch", "patch", "update", "delete", "deletecollection", "discovery"} {
		if v, ok := r.get(name, prefix+verb+"/op"); ok && v > 0 {
			parts = append(parts, count(v)+" "+verb)
		}
	}
	if len(parts) == 0 {
		return "–"
	}
	return strings.Join(parts, " + ")
}

// after returns what follows the first sep in name.
func after(name, sep string) string {
	_, rest, _ := strings.Cut(name, sep)
	return rest
}

// renderTable prints family 1: BenchmarkRender.
func renderTable(w io.Writer, r *results) {
	var rows [][]string
	for _, n := range r.withPrefix("BenchmarkRender/") {
		ns, _ := r.get(n, "ns/op")
		b, _ := r.get(n, "B/op")
		allocs, _ := r.get(n, "allocs/op")
		rows = append(rows, []string{after(n, "/"), num(ns / 1e3), bytesize(b), count(allocs)})
	}
	table(w, "1. Render (internal/render BenchmarkRender)", "",
		[]string{"golden case", "µs/op", "B/op", "allocs/op"}, rows)
}

// requestsTable prints family 2: BenchmarkRequests.
func requestsTable(w io.Writer, r *results) {
	var rows [][]string
	for _, n := range r.withPrefix("BenchmarkRequests/") {
		total, _ := r.get(n, "reqs/op")
		minimum, hasMin := r.get(n, "min-reqs/op")
		kubectl, hasKubectl := r.get(n, "kubectl-reqs/op")
		b, _ := r.get(n, "resp-B/op")
		row := []string{after(n, "/"), count(total), r.verbs(n, ""), "–", "–", "–", bytesize(b)}
		if hasMin {
			row[3], row[4] = count(minimum), ratio(total, minimum)
		}
		if hasKubectl {
			row[5] = count(kubectl)
		}
		rows = append(rows, row)
	}
	table(w, "2. API requests per operation (BenchmarkRequests, API server only)",
		"Minimum: one create per object (Start), one write (Scale), one read of the workload (NWorkers), one delete per object (Delete; a single delete of the root where the garbage collector runs). kubectl: `kubectl apply -f` of Manifest's YAML, and `kubectl delete all,configmap,secret,networkpolicy -l juliarun.io/job=<name>`, counted from `-v=6`, warm discovery cache.",
		[]string{"operation", "SDK requests", "by verb", "minimum", "SDK / minimum", "kubectl", "SDK response bytes"}, rows)
}

// startTable prints family 3: BenchmarkStart, with the geometric mean of
// the ratios.
func startTable(w io.Writer, r *results) {
	var rows [][]string
	logSDK, logKubectl, k := 0.0, 0.0, 0
	for _, n := range r.withPrefix("BenchmarkStart/") {
		sdk, _ := r.get(n, "sdk-ms")
		cg, _ := r.get(n, "clientgo-ms")
		kc, _ := r.get(n, "kubectl-ms")
		reqs, _ := r.get(n, "sdk-reqs/op")
		cgReqs, _ := r.get(n, "clientgo-reqs/op")
		rows = append(rows, []string{after(n, "type="), num(sdk), num(cg), num(kc), ratio(sdk, cg), ratio(kc, sdk),
			count(reqs) + " / " + count(cgReqs)})
		if sdk > 0 && cg > 0 && kc > 0 {
			logSDK += math.Log(sdk / cg)
			logKubectl += math.Log(kc / sdk)
			k++
		}
	}
	if k > 0 {
		rows = append(rows, []string{"**geometric mean**", "", "", "",
			"**" + num(math.Exp(logSDK/float64(k))) + "×**", "**" + num(math.Exp(logKubectl/float64(k))) + "×**", ""})
	}
	table(w, "3. Start latency (BenchmarkStart, API server only; median ms, interleaved)",
		"Goal: SDK within 1.2× of hand-written client-go, faster than kubectl.",
		[]string{"job type", "SDK Start", "client-go creates", "kubectl apply", "SDK / client-go", "kubectl / SDK", "requests SDK / client-go"}, rows)
}

// scaleTable prints family 4: BenchmarkScaleToReady, times and requests.
func scaleTable(w io.Writer, r *results) {
	var rows, reqRows [][]string
	for _, n := range r.withPrefix("BenchmarkScaleToReady/") {
		get := func(unit string) float64 { v, _ := r.get(n, unit); return v }
		sdk, cluster, sts, pods := get("sdk-ms"), get("cluster-ms"), get("sts-ms"), get("pods-ms")
		kubectl, hasKubectl := r.get(n, "pods-kubectl-ms")
		row := []string{after(n, "n="), num(cluster), num(sdk), ratio(sdk, cluster), num(get("nworkers-ms")),
			num(sts), ratio(sdk, sts), num(pods), ratio(pods, sdk), "–", "–"}
		if hasKubectl {
			row[9], row[10] = num(kubectl), ratio(kubectl, sdk)
		}
		rows = append(rows, row)
		reqRows = append(reqRows, []string{after(n, "n="),
			count(get("sdk-reqs/op")) + " (" + r.verbs(n, "sdk-") + "), " + bytesize(get("sdk-resp-B/op")),
			count(get("nworkers-reqs/op")) + ", " + bytesize(get("nworkers-resp-B/op")),
			count(get("sts-reqs/op")) + " (" + r.verbs(n, "sts-") + "), " + bytesize(get("sts-resp-B/op")),
			count(get("pods-reqs/op")) + " (" + r.verbs(n, "pods-") + "), " + bytesize(get("pods-resp-B/op")),
		})
	}
	table(w, "4. Scale to ready (BenchmarkScaleToReady, 6 simulated nodes; median ms from Scale(n) to n ready, interleaved)",
		"cluster: when an independent watch saw n ready replicas during the SDK's run. SDK: Scale + Client.Wait(AtLeastWorkers(n)). NWorkers loop: Scale + NWorkers every 20 ms. sts: client-go patch of replicas + watch of readyReplicas. pods: one Pod per worker created one by one with client-go, then each polled (100 ms rounds). pods-kubectl: K8sClusterManagers.jl's way, a kubectl process per create and per 1 s poll, once per n, n ≤ 100.",
		[]string{"n", "cluster", "SDK (Wait)", "SDK / cluster", "NWorkers loop", "sts (client-go)", "SDK / sts", "pods (client-go)", "pods / SDK", "pods-kubectl", "pods-kubectl / SDK"}, rows)
	table(w, "4b. Requests and response bytes for one scale-to-ready",
		"", []string{"n", "SDK (Wait)", "NWorkers loop", "sts (client-go)", "pods (client-go)"}, reqRows)
}

// readsTable prints family 5: BenchmarkWorkerReads and BenchmarkDelete, one
// column per number of workers.
func readsTable(w io.Writer, r *results) {
	type cell struct{ reqs, bytes, ms float64 }
	cells := map[string]map[string]cell{} // op -> workers -> cell
	var ops, sizes []string
	add := func(op, workers, name string) {
		if cells[op] == nil {
			cells[op] = map[string]cell{}
			ops = append(ops, op)
		}
		if !slices.Contains(sizes, workers) {
			sizes = append(sizes, workers)
		}
		reqs, _ := r.get(name, "reqs/op")
		b, _ := r.get(name, "resp-B/op")
		ns, _ := r.get(name, "ns/op")
		cells[op][workers] = cell{reqs, b, ns / 1e6}
	}
	for _, n := range r.withPrefix("BenchmarkWorkerReads/") {
		workers, op, _ := strings.Cut(after(n, "workers="), "/")
		add(op, workers, n)
	}
	if len(ops) == 0 {
		return
	}
	header := []string{"operation"}
	for _, s := range sizes {
		header = append(header, s+" workers: requests, bytes, ms")
	}
	var rows [][]string
	for _, op := range ops {
		row := []string{op}
		for _, s := range sizes {
			c, ok := cells[op][s]
			if !ok {
				row = append(row, "–")
				continue
			}
			row = append(row, fmt.Sprintf("%s, %s, %s", count(c.reqs), bytesize(c.bytes), num(c.ms)))
		}
		rows = append(rows, row)
	}
	table(w, "5. Cost of reads and Scale by number of running workers (BenchmarkWorkerReads; 10 simulated nodes)",
		"PodList: what a pod-per-worker manager reads to count its workers (one list of the job's worker pods). Scale: by one worker.",
		header, rows)
}

// deleteTable prints family 5b: BenchmarkDelete, the SDK beside the
// cluster's own cascading delete.
func deleteTable(w io.Writer, r *results) {
	var rows [][]string
	for _, n := range r.withPrefix("BenchmarkDelete/") {
		get := func(unit string) float64 { v, _ := r.get(n, unit); return v }
		sdk, cl := get("sdk-ms"), get("cluster-ms")
		rows = append(rows, []string{after(n, "workers="),
			count(get("sdk-reqs/op")) + " (" + r.verbs(n, "sdk-") + ")", bytesize(get("sdk-resp-B/op")), num(sdk),
			num(cl), ratio(sdk, cl)})
	}
	table(w, "5b. Delete by number of running workers (BenchmarkDelete; 10 simulated nodes; median ms until every pod is gone, interleaved)",
		"cluster: the cluster's own cascading delete of the same objects, one delete of the root with background propagation, done when a list of the job's pods repeated every 10 ms finds none.",
		[]string{"workers", "SDK requests", "SDK response bytes", "SDK ms", "cluster ms", "SDK / cluster"}, rows)
}

// listTable prints family 7: BenchmarkList, List beside a Status per job,
// and Status of each job type.
func listTable(w io.Writer, r *results) {
	var rows, statusRows [][]string
	for _, n := range r.withPrefix("BenchmarkList/") {
		get := func(unit string) float64 { v, _ := r.get(n, unit); return v }
		if typ, ok := strings.CutPrefix(after(n, "/"), "Status/type="); ok {
			statusRows = append(statusRows, []string{typ, count(get("reqs/op")) + " (" + r.verbs(n, "") + ")",
				bytesize(get("resp-B/op")), num(get("ns/op") / 1e6)})
			continue
		}
		sdk, each := get("sdk-ms"), get("status-each-ms")
		rows = append(rows, []string{after(n, "jobs="),
			count(get("sdk-reqs/op")) + " (" + r.verbs(n, "sdk-") + ")", bytesize(get("sdk-resp-B/op")), num(sdk),
			count(get("status-each-reqs/op")), bytesize(get("status-each-resp-B/op")), num(each), ratio(each, sdk)})
	}
	table(w, "7. List by number of running jobs (BenchmarkList; 10 simulated nodes; median ms, interleaved)",
		"status-each: Client.Status of every job in turn, what List did before it read every kind at once.",
		[]string{"jobs", "List requests", "List bytes", "List ms", "status-each requests", "status-each bytes", "status-each ms", "status-each / List"}, rows)
	table(w, "7b. Status of a running job of each type (BenchmarkList at 100 jobs)", "",
		[]string{"type", "requests", "bytes", "ms"}, statusRows)
}

// manyJobsTable prints family 6: BenchmarkManyJobs.
func manyJobsTable(w io.Writer, r *results) {
	var rows [][]string
	for _, n := range r.withPrefix("BenchmarkManyJobs/") {
		get := func(unit string) float64 { v, _ := r.get(n, unit); return v }
		ns := get("ns/op")
		rows = append(rows, []string{after(n, "limit="), num(get("jobs/s")), num(ns / 1e9), num(get("peak-heap-MiB")),
			bytesize(get("B/op")), count(get("allocs/op")), count(get("reqs/op"))})
	}
	table(w, "6. Many jobs: Batch jobs started concurrently through one Client (BenchmarkManyJobs, API server only)",
		"limit: default = the rest.Config's QPS 5, burst 10 (client-go's defaults); 100x200 = juliarun.WithRateLimit(100, 200); none = no client-side limit. Memory: heap growth at its peak during the operation, and bytes and allocations of the whole operation.",
		[]string{"rate limit", "jobs/s", "wall s", "peak heap MiB", "allocated", "allocs", "requests"}, rows)
}
