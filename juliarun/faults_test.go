package juliarun_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-logr/logr/funcr"
	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/juliarun/sdk/jobs"
	"github.com/juliarun/sdk/juliarun"
	"github.com/juliarun/sdk/juliarun/juliaruntest"
)

// The randomized fault test: what it runs, and how to reproduce a run.
const (
	// faultRate is the share of requests that meet a fault.
	faultRate = 0.05
	// faultSequences is the number of random operation sequences.
	faultSequences = 200
	// faultWorkers run sequences side by side, each in its own namespace.
	faultWorkers = 12
	// seedEnv fixes the seed (printed by every run) to replay a run.
	seedEnv = "JULIARUN_FAULT_SEED"
	// onlyEnv runs one sequence of that seed, by its number.
	onlyEnv = "JULIARUN_FAULT_SEQUENCE"
)

// faultSeed returns the seed of the randomized tests: $JULIARUN_FAULT_SEED,
// or the time.
func faultSeed(t *testing.T) uint64 {
	t.Helper()
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv(seedEnv); s != "" {
		var err error
		if seed, err = strconv.ParseUint(s, 10, 64); err != nil {
			t.Fatalf("%s: %v", seedEnv, err)
		}
	}
	t.Logf("seed %d: %s=%d go test -run %s ./juliarun replays this run", seed, seedEnv, seed, t.Name())
	return seed
}

// randomJob returns a valid job of a random type named name.
func randomJob(rng *rand.Rand, name string) jobs.Job {
	n := rng.IntN(4)
	restart := []jobs.RestartPolicy{jobs.RestartAlways, jobs.RestartOnFailure, jobs.RestartNever}[rng.IntN(3)]
	switch rng.IntN(8) {
	case 0:
		return jobs.NewBatch(name, "run.jl", "work")
	case 1:
		return jobs.NewParBatch(name, "pi.jl", "work", jobs.WithNWorkers(n), jobs.WithRestart(restart))
	case 2:
		return jobs.NewParBatchWorkers(name, "unit.jl", "work", jobs.WithNWorkers(n), jobs.WithRestart(restart))
	case 3:
		return jobs.NewNotebook(name, "work", jobs.WithNWorkers(n))
	case 4:
		return jobs.NewPkgBuilder(name, "build.jl", "work", "stats")
	case 5:
		return jobs.NewWebserver(name, "nginx.conf", "work", jobs.WithNWorkers(n+1))
	case 6:
		return jobs.NewMessageQ(name, "rabbitmq.conf", "work")
	default:
		return jobs.NewGeneric(name, "busybox", "work", jobs.WithNWorkers(n), jobs.WithCommand("sleep", "infinity"))
	}
}

// liveJob is what a sequence expects of a job it started.
type liveJob struct {
	job       jobs.Job
	requested int
}

func requestedAtStart(job jobs.Job) int {
	if !jobs.HasWorkers(job.Type()) {
		return 0
	}
	return job.Spec().NWorkers
}

// faultWorker runs sequences in one namespace, through a Client whose
// requests go through an injector.
type faultWorker struct {
	ns      string
	inj     *injector
	faulty  juliarun.Client
	admin   client.Client   // checks, without faults
	plain   juliarun.Client // the Client without faults
	retries *retryCounter   // the faulty Client's retries, from its log
}

// retryCounter counts the retries a Client logs (at V(2)).
type retryCounter struct {
	mu                  sync.Mutex
	requests, creations int
}

func (r *retryCounter) write(_, args string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch {
	case strings.Contains(args, `"msg"="request retried"`):
		r.requests++
	case strings.Contains(args, `"msg"="creation retried"`):
		r.creations++
	}
}

func newFaultWorker(t *testing.T, e *env) *faultWorker {
	t.Helper()
	inj := newInjector()
	retries := &retryCounter{}
	faulty, err := juliarun.New(inj.config(e.cluster.Config()), juliarun.WithNamespace(e.ns),
		juliarun.WithLogger(funcr.New(retries.write, funcr.Options{Verbosity: 2})))
	if err != nil {
		t.Fatal(err)
	}
	admin, err := adminClient(e)
	if err != nil {
		t.Fatal(err)
	}
	return &faultWorker{ns: e.ns, inj: inj, faulty: faulty, admin: admin, plain: e.client, retries: retries}
}

// adminClient returns a controller-runtime client with the cluster's admin
// rights, and a silent logger of its own (controller-runtime's global one
// complains, with a stack trace, when nobody sets it).
func adminClient(e *env) (client.Client, error) {
	return client.New(e.cluster.Config(), client.Options{Log: funcr.New(func(string, string) {}, funcr.Options{})})
}

// sequence is one random run of operations on a few job names.
type sequence struct {
	w     *faultWorker
	index int
	rng   *rand.Rand
	names []string
	live  map[string]*liveJob
	trace []string
	fails []string
	ops   int
	// rounds of concurrent Scales, and those in which the last call to
	// return was not the last one acknowledged
	rounds, reordered int
}

func (s *sequence) logf(format string, args ...any) {
	s.trace = append(s.trace, fmt.Sprintf(format, args...))
}

func (s *sequence) failf(format string, args ...any) {
	s.fails = append(s.fails, fmt.Sprintf("after %q: ", s.trace[len(s.trace)-1])+fmt.Sprintf(format, args...))
}

// expect checks that an operation ended as the model says.
func (s *sequence) expect(want string, err error) {
	s.ops++
	if got := errClass(err); got != want {
		s.failf("got %s, want %s", got, want)
	}
}

// run plays the sequence: random operations under random faults, checks
// the model after each, then deletes every job left and checks that
// nothing remains.
func (s *sequence) run(ctx context.Context, seed uint64) {
	s.w.inj.randomFaults(faultRate, seed, uint64(s.index))
	defer s.w.inj.noFaults()
	for i := range 3 {
		s.names = append(s.names, fmt.Sprintf("q%d-%c", s.index, 'a'+i))
	}
	s.live = map[string]*liveJob{}
	c := s.w.faulty
	for range 3 + s.rng.IntN(6) {
		name := s.names[s.rng.IntN(len(s.names))]
		live := s.live[name]
		scalable := live != nil && jobs.HasWorkers(live.job.Type())
		switch op := s.rng.IntN(20); {
		case op < 6:
			job := randomJob(s.rng, name)
			s.logf("Start(%s %s, %d workers)", job.Type(), name, job.Spec().NWorkers)
			err := c.Start(ctx, job)
			if live != nil {
				s.expect("ErrAlreadyExists", err)
				continue
			}
			s.expect("nil", err)
			s.live[name] = &liveJob{job: job, requested: requestedAtStart(job)}
		case op < 8:
			n := s.rng.IntN(7)
			s.logf("Scale(%s, %d)", name, n)
			err := c.Scale(ctx, name, n)
			switch {
			case live == nil:
				s.expect("ErrNotFound", err)
			case !scalable:
				s.expect("ErrNotScalable", err)
			default:
				s.expect("nil", err)
				live.requested = n
			}
		case op < 12 && scalable:
			s.concurrentScale(ctx, name, live)
		case op < 13:
			n := []int{-1, 1_000_000}[s.rng.IntN(2)]
			s.logf("Scale(%s, %d)", name, n)
			s.expect("ErrInvalid", c.Scale(ctx, name, n))
		case op < 15:
			s.logf("Delete(%s)", name)
			err := c.Delete(ctx, name)
			if live == nil {
				s.expect("ErrNotFound", err)
				continue
			}
			s.expect("nil", err)
			delete(s.live, name)
		case op < 17:
			s.logf("Status(%s)", name)
			st, err := c.Status(ctx, name)
			if live == nil {
				s.expect("ErrNotFound", err)
				continue
			}
			s.expect("nil", err)
			if err == nil {
				s.checkStatus(name, live, st)
			}
		case op < 18:
			s.logf("NWorkers(%s)", name)
			n, err := c.NWorkers(ctx, name)
			if live == nil {
				s.expect("ErrNotFound", err)
				continue
			}
			s.expect("nil", err)
			if n != 0 {
				s.failf("NWorkers = %d on a cluster without nodes", n)
			}
		default:
			s.logf("Wait(%s)", name)
			wctx, cancel := context.WithTimeout(ctx, 20*time.Second)
			_, err := c.Wait(wctx, name, func(*juliarun.Status) bool { return true })
			cancel()
			if live == nil {
				s.expect("ErrNotFound", err)
				continue
			}
			s.expect("nil", err)
		}
	}
	s.logf("check")
	s.check(ctx)
	for _, name := range s.names {
		if s.live[name] == nil {
			continue
		}
		s.logf("Delete(%s) at the end", name)
		s.expect("nil", c.Delete(ctx, name))
		delete(s.live, name)
	}
	s.logf("check after deleting everything")
	s.check(ctx)
}

// concurrentScale scales name from several goroutines at once. The last
// Scale to complete wins: its value is the one requested after all return.
// A Scale completes when the server acknowledges its write; the injector
// sends these writes one at a time, so acknowledgement order is the order
// the server applied them. (The order in which the goroutines return can
// differ, by the time a goroutine takes to be scheduled; it is counted.)
func (s *sequence) concurrentScale(ctx context.Context, name string, live *liveJob) {
	values := make([]int, 2+s.rng.IntN(4))
	for i := range values {
		values[i] = s.rng.IntN(7)
	}
	s.logf("concurrent Scale(%s, %v)", name, values)
	s.w.inj.takeAcked()
	errs := make([]error, len(values))
	var mu sync.Mutex
	var returned []int // call ids, in the order the calls returned
	var wg sync.WaitGroup
	for i, n := range values {
		wg.Go(func() {
			errs[i] = s.w.faulty.Scale(context.WithValue(ctx, scaleIDKey{}, i), name, n)
			mu.Lock()
			returned = append(returned, i)
			mu.Unlock()
		})
	}
	wg.Wait()
	s.rounds++
	for _, err := range errs {
		s.expect("nil", err)
	}
	acked := s.w.inj.takeAcked()
	if len(acked) == 0 {
		s.failf("no write acknowledged")
		return
	}
	live.requested = values[acked[len(acked)-1]]
	if last := returned[len(returned)-1]; last != acked[len(acked)-1] {
		s.reordered++ // see concurrentScale's comment
	}
	st, err := s.w.plain.Status(ctx, name)
	if err != nil {
		s.failf("Status: %v", err)
		return
	}
	s.checkStatus(name, live, st)
}

func (s *sequence) checkStatus(name string, live *liveJob, st *juliarun.Status) {
	type view struct {
		Name      string
		Type      jobs.Type
		Requested int
	}
	if diff := cmp.Diff(view{name, live.job.Type(), live.requested}, view{st.Name, st.Type, st.Requested}); diff != "" {
		s.failf("Status (-want +got):\n%s", diff)
	}
}

// check compares the cluster with the model, without faults: every job the
// model holds is complete and correct; of every other name nothing is left.
func (s *sequence) check(ctx context.Context) {
	objs, err := storedObjects(ctx, s.w.admin, s.w.ns, s.names)
	if err != nil {
		s.failf("%v", err)
		return
	}
	for _, name := range s.names {
		live := s.live[name]
		if live == nil {
			if len(objs[name]) > 0 {
				s.failf("left of %s: %v", name, objs[name])
			}
			continue
		}
		for _, p := range checkComplete(live.job, s.w.ns, objs[name]) {
			s.failf("%s: %s", name, p)
		}
		st, err := s.w.plain.Status(ctx, name)
		if err != nil {
			s.failf("Status(%s): %v", name, err)
			continue
		}
		s.checkStatus(name, live, st)
	}
}

// TestRandomSequencesUnderFaults runs random sequences of Start, Scale
// (alone, concurrent, invalid), Delete, Status, NWorkers and Wait while 5%
// of the requests meet a 500, 503 or 429 answer, a connection reset, or a
// lost answer to a request the server did handle. Every operation must end
// as it would without faults; after each sequence every job is complete
// and correct or entirely gone; no goroutine is left behind.
func TestRandomSequencesUnderFaults(t *testing.T) {
	cluster := apiOnlyCluster(t)
	seed := faultSeed(t)
	ctx := context.Background()
	indexes := make([]int, faultSequences)
	for i := range indexes {
		indexes[i] = i
	}
	if s := os.Getenv(onlyEnv); s != "" {
		i, err := strconv.Atoi(s)
		if err != nil {
			t.Fatalf("%s: %v", onlyEnv, err)
		}
		indexes = []int{i}
	}
	workers := make([]*faultWorker, min(faultWorkers, len(indexes)))
	for i := range workers {
		workers[i] = newFaultWorker(t, newEnv(t, cluster))
	}
	// Warm up: connections and caches that live as long as the process.
	for _, w := range workers {
		if _, err := w.faulty.List(ctx); err != nil {
			t.Fatal(err)
		}
	}
	runtime.GC()
	before := runtime.NumGoroutine()
	began := time.Now()

	var mu sync.Mutex
	var failed []string
	ops, rounds, reordered := 0, 0, 0
	kinds := map[string]int{} // operations by kind
	next := make(chan int)
	var wg sync.WaitGroup
	for _, w := range workers {
		wg.Go(func() {
			for i := range next {
				s := &sequence{w: w, index: i, rng: rand.New(rand.NewPCG(seed, uint64(i)+1<<32))}
				s.run(ctx, seed)
				mu.Lock()
				ops += s.ops
				rounds += s.rounds
				reordered += s.reordered
				for _, op := range s.trace {
					if !strings.HasPrefix(op, "check") {
						kinds[strings.SplitN(op, "(", 2)[0]]++
					}
				}
				if len(s.fails) > 0 {
					failed = append(failed, fmt.Sprintf("sequence %d (%s=%d %s=%d):\n  %s\n  operations: %s",
						i, seedEnv, seed, onlyEnv, i, strings.Join(s.fails, "\n  "), strings.Join(s.trace, "; ")))
				}
				mu.Unlock()
			}
		})
	}
	for _, i := range indexes {
		next <- i
	}
	close(next)
	wg.Wait()

	requests, counts, retried, recreated := 0, map[faultKind]int{}, 0, 0
	for _, w := range workers {
		r, c := w.inj.totals()
		requests += r
		for k, v := range c {
			counts[k] += v
		}
		retried += w.retries.requests
		recreated += w.retries.creations
	}
	after := goroutines(before)
	t.Logf("%d sequences, %d results checked, %d requests, faults injected: %s, in %v; goroutines before %d, after %d",
		len(indexes), ops, requests, faultSummary(counts), time.Since(began).Round(time.Millisecond), before, after)
	t.Logf("operations: %v; retried by the Client: %d requests, %d creations", kinds, retried, recreated)
	t.Logf("concurrent Scale rounds: %d, in %d of them the last call to return was not the last one acknowledged",
		rounds, reordered)
	slices.Sort(failed)
	for _, f := range failed {
		t.Error(f)
	}
	if after > before {
		t.Errorf("goroutines: %d before, %d after: leaked\n%s", before, after, goroutineDump())
	}
	if left := leftoversIn(t, cluster, workers); len(left) > 0 {
		t.Errorf("left in the cluster after every sequence: %v", left)
	}
}

// leftoversIn returns what leftovers finds of any job, of every resource,
// in the workers' namespaces.
func leftoversIn(t *testing.T, cluster *juliaruntest.Cluster, workers []*faultWorker) []string {
	t.Helper()
	var left []string
	all := leftoversMatching(t, cluster.Config(), "juliarun.io/job")
	for _, w := range workers {
		left = append(left, inNamespace(all, w.ns)...)
	}
	return left
}

// inNamespace keeps the leftovers in ns: other tests may leave jobs of the
// same names in theirs.
func inNamespace(left []string, ns string) []string {
	var out []string
	for _, l := range left {
		if strings.Contains(l, " "+ns+"/") {
			out = append(out, l)
		}
	}
	return out
}

// sweepJobs are one job of each type, for the cancellation sweeps.
func sweepJobs(prefix string) []jobs.Job {
	return []jobs.Job{
		jobs.NewBatch(prefix+"batch", "run.jl", "work"),
		jobs.NewParBatch(prefix+"par", "pi.jl", "work", jobs.WithNWorkers(2)),
		jobs.NewParBatch(prefix+"par-never", "pi.jl", "work", jobs.WithNWorkers(2), jobs.WithRestart(jobs.RestartNever)),
		jobs.NewParBatchWorkers(prefix+"array", "unit.jl", "work", jobs.WithNWorkers(2), jobs.WithRestart(jobs.RestartOnFailure)),
		jobs.NewNotebook(prefix+"nb", "work", jobs.WithNWorkers(1)),
		jobs.NewPkgBuilder(prefix+"build", "build.jl", "work", "stats"),
		jobs.NewWebserver(prefix+"web", "nginx.conf", "work", jobs.WithNWorkers(2)),
		jobs.NewMessageQ(prefix+"queue", "rabbitmq.conf", "work"),
		jobs.NewGeneric(prefix+"generic", "busybox", "work", jobs.WithNWorkers(2)),
	}
}

// countRequests returns the number of requests op makes on the injector.
func countRequests(op func(ctx context.Context) error) (int, error) {
	c := &cue{action: countOnly}
	err := op(withCue(context.Background(), c))
	return int(c.seen.Load()), err
}

// cancelCase is one operation cancelled at one of its requests.
type cancelCase struct {
	desc string
	run  func(w *faultWorker) []string // problems found
}

// runCases runs cases on workers side by side and reports every problem.
func runCases(t *testing.T, workers []*faultWorker, cases []cancelCase) {
	t.Helper()
	var mu sync.Mutex
	next := make(chan cancelCase)
	var wg sync.WaitGroup
	for _, w := range workers {
		wg.Go(func() {
			for c := range next {
				problems := c.run(w)
				if len(problems) > 0 {
					mu.Lock()
					t.Errorf("%s:\n  %s", c.desc, strings.Join(problems, "\n  "))
					mu.Unlock()
				}
			}
		})
	}
	for _, c := range cases {
		next <- c
	}
	close(next)
	wg.Wait()
}

// verifyAll reports, for a job that must be complete (complete) or may be
// either complete or gone, what is wrong with what the cluster holds, and
// whether the job is there.
func verifyAll(ctx context.Context, w *faultWorker, job jobs.Job, mustExist bool) (exists bool, problems []string) {
	name := job.Spec().Name
	objs, err := storedObjects(ctx, w.admin, w.ns, []string{name})
	if err != nil {
		return false, []string{err.Error()}
	}
	if len(objs[name]) == 0 {
		if mustExist {
			return false, []string{"the job is gone"}
		}
		return false, nil
	}
	return true, checkComplete(job, w.ns, objs[name])
}

// TestCancelAtEveryRequest cancels Start (every job type), Scale (every
// scalable type) and Delete (of a parallel job) after each of their
// requests in turn, k = 1..N, in two ways: the k-th request completes and
// the context is cancelled after it (the next request fails), or the
// server handles the k-th request but the caller sees it cut off by the
// cancellation. After
// each: a failed Start leaves nothing; a failed Scale leaves the job
// complete, with the old or the new count; a failed Delete leaves the job
// complete or without its root, and a second Delete removes the rest.
func TestCancelAtEveryRequest(t *testing.T) {
	cluster := apiOnlyCluster(t)
	workers := make([]*faultWorker, faultWorkers)
	for i := range workers {
		workers[i] = newFaultWorker(t, newEnv(t, cluster))
	}
	runtime.GC()
	before := runtime.NumGoroutine()
	w0 := workers[0]
	var cases []cancelCase
	actions := map[cueAction]string{cancelAfter: "after", cancelDuring: "during"}
	for _, job := range sweepJobs("c-") {
		name := job.Spec().Name
		starts, err := countRequests(func(ctx context.Context) error { return w0.faulty.Start(ctx, job) })
		if err != nil {
			t.Fatal(err)
		}
		scalable := jobs.HasWorkers(job.Type())
		scales, err := countRequests(func(ctx context.Context) error {
			if scalable {
				return w0.faulty.Scale(ctx, name, 5)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		deletes, err := countRequests(func(ctx context.Context) error { return w0.faulty.Delete(ctx, name) })
		if err != nil {
			t.Fatal(err)
		}
		for k := 1; k <= starts; k++ {
			for action, how := range actions {
				cases = append(cases, cancelCase{fmt.Sprintf("Start(%s) cancelled %s request %d of %d", name, how, k, starts),
					func(w *faultWorker) []string { return cancelStart(w, job, k, action) }})
			}
		}
		for k := 1; k <= scales && scalable; k++ {
			for action, how := range actions {
				cases = append(cases, cancelCase{fmt.Sprintf("Scale(%s, 5) cancelled %s request %d of %d", name, how, k, scales),
					func(w *faultWorker) []string { return cancelScale(w, job, k, action) }})
			}
		}
		if job.Type() != jobs.TypeParBatch || job.Spec().Restart != jobs.RestartAlways {
			continue // Delete does the same for every type: one job is enough
		}
		for k := 1; k <= deletes; k++ {
			for action, how := range actions {
				cases = append(cases, cancelCase{fmt.Sprintf("Delete(%s) cancelled %s request %d of %d", name, how, k, deletes),
					func(w *faultWorker) []string { return cancelDelete(w, job, k, action) }})
			}
		}
	}
	began := time.Now()
	runCases(t, workers, cases)
	after := goroutines(before)
	byOp := map[string]int{}
	for _, c := range cases {
		byOp[strings.SplitN(c.desc, "(", 2)[0]]++
	}
	t.Logf("%d cancellation cases %v in %v; goroutines before %d, after %d", len(cases), byOp,
		time.Since(began).Round(time.Millisecond), before, after)
	if after > before {
		t.Errorf("goroutines: %d before, %d after: leaked\n%s", before, after, goroutineDump())
	}
	if left := leftoversIn(t, cluster, workers); len(left) > 0 {
		t.Errorf("left in the cluster: %v", left)
	}
}

func cancelStart(w *faultWorker, job jobs.Job, k int, action cueAction) []string {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	err := w.faulty.Start(withCue(ctx, &cue{at: k, action: action, cancel: cancel}), job)
	exists, problems := verifyAll(context.Background(), w, job, err == nil)
	if err != nil && exists {
		problems = append(problems, fmt.Sprintf("Start failed (%v) but left the job", err))
	}
	if err != nil && !errors.Is(err, context.Canceled) {
		problems = append(problems, fmt.Sprintf("Start: %v, want context.Canceled", err))
	}
	if exists {
		if err := w.plain.Delete(context.Background(), job.Spec().Name); err != nil {
			problems = append(problems, fmt.Sprintf("cleaning up: %v", err))
		}
	}
	return problems
}

func cancelScale(w *faultWorker, job jobs.Job, k int, action cueAction) []string {
	name := job.Spec().Name
	if err := w.plain.Start(context.Background(), job); err != nil {
		return []string{err.Error()}
	}
	defer w.plain.Delete(context.Background(), name)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	err := w.faulty.Scale(withCue(ctx, &cue{at: k, action: action, cancel: cancel}), name, 5)
	_, problems := verifyAll(context.Background(), w, job, true)
	st, serr := w.plain.Status(context.Background(), name)
	if serr != nil {
		return append(problems, serr.Error())
	}
	old := requestedAtStart(job)
	switch {
	case err == nil && st.Requested != 5:
		problems = append(problems, fmt.Sprintf("Scale succeeded, but requested = %d", st.Requested))
	case err != nil && st.Requested != 5 && st.Requested != old:
		problems = append(problems, fmt.Sprintf("Scale failed (%v); requested = %d, want %d or 5", err, st.Requested, old))
	}
	return problems
}

func cancelDelete(w *faultWorker, job jobs.Job, k int, action cueAction) []string {
	name := job.Spec().Name
	if err := w.plain.Start(context.Background(), job); err != nil {
		return []string{err.Error()}
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	err := w.faulty.Delete(withCue(ctx, &cue{at: k, action: action, cancel: cancel}), name)
	var problems []string
	objs, lerr := storedObjects(context.Background(), w.admin, w.ns, []string{name})
	if lerr != nil {
		return []string{lerr.Error()}
	}
	rootLeft := slices.ContainsFunc(objs[name], func(s stored) bool { return s.kindName == "ConfigMap "+name })
	switch {
	case err == nil && len(objs[name]) > 0:
		problems = append(problems, fmt.Sprintf("Delete succeeded but left %v", objs[name]))
	case rootLeft:
		problems = append(problems, checkComplete(job, w.ns, objs[name])...)
	}
	// A second Delete removes what is left, if anything.
	if err := w.plain.Delete(context.Background(), name); err != nil && !errors.Is(err, juliarun.ErrNotFound) {
		problems = append(problems, fmt.Sprintf("second Delete: %v", err))
	}
	if exists, _ := verifyAll(context.Background(), w, job, false); exists {
		problems = append(problems, "left after a second Delete")
	}
	return problems
}

// TestAPIServerRestartDuringOperations restarts the API server in the
// middle of Start (at its first request, and after its third), of Scale
// and of Delete: each request meets a stopped server and must be retried
// until it is back, a few seconds later. Every operation succeeds and
// leaves the job complete and correct (or, after Delete, gone).
func TestAPIServerRestartDuringOperations(t *testing.T) {
	cluster := apiOnlyCluster(t)
	w := newFaultWorker(t, newEnv(t, cluster))
	ctx := context.Background()
	runtime.GC()
	before := runtime.NumGoroutine()
	tests := []struct {
		op     string
		at     int
		action cueAction
	}{
		{"start", 1, restartBefore}, // the root's creation meets a stopped server
		{"start", 3, restartAfter},  // the root and Secret exist when the server stops
		{"scale", 2, restartBefore}, // the patch
		{"delete", 3, restartAfter}, // after the ConfigMaps went
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s at request %d", tt.op, tt.at), func(t *testing.T) {
			job := jobs.NewParBatch(fmt.Sprintf("restart-%s-%d", tt.op, tt.at), "pi.jl", "work", jobs.WithNWorkers(2))
			name := job.Spec().Name
			if tt.op != "start" {
				if err := w.faulty.Start(ctx, job); err != nil {
					t.Fatal(err)
				}
			}
			c := &cue{at: tt.at, action: tt.action, cluster: cluster, restarted: make(chan error, 1)}
			cctx := withCue(ctx, c)
			began := time.Now()
			var err error
			switch tt.op {
			case "start":
				err = w.faulty.Start(cctx, job)
			case "scale":
				err = w.faulty.Scale(cctx, name, 5)
			case "delete":
				err = w.faulty.Delete(cctx, name)
			}
			if err != nil {
				t.Errorf("%s across the restart: %v", tt.op, err)
			}
			if rerr := <-c.restarted; rerr != nil {
				t.Fatal(rerr)
			}
			t.Logf("%s took %v across the restart", tt.op, time.Since(began).Round(time.Millisecond))
			exists, problems := verifyAll(ctx, w, job, tt.op != "delete")
			for _, p := range problems {
				t.Error(p)
			}
			if tt.op == "delete" && exists {
				t.Error("the job is still there")
			}
			if tt.op == "scale" {
				st, err := w.faulty.Status(ctx, name)
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(5, st.Requested); diff != "" {
					t.Errorf("requested (-want +got):\n%s", diff)
				}
			}
			if tt.op != "delete" {
				if err := w.faulty.Delete(ctx, name); err != nil {
					t.Fatal(err)
				}
			}
			if left := inNamespace(leftovers(t, cluster.Config(), name), w.ns); len(left) > 0 {
				t.Errorf("left: %v", left)
			}
		})
	}
	if after := goroutines(before); after > before {
		t.Errorf("goroutines: %d before, %d after: leaked\n%s", before, after, goroutineDump())
	}
}
