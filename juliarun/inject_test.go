package juliarun_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/juliarun/sdk/jobs"
	"github.com/juliarun/sdk/juliarun"
	"github.com/juliarun/sdk/juliarun/juliaruntest"
)

// faultKind is a failure the injector makes a request meet.
type faultKind string

const (
	// faultInternal answers 500 InternalError; the server never sees the
	// request.
	faultInternal faultKind = "500"
	// faultUnavailable answers 503 ServiceUnavailable, unseen by the server.
	faultUnavailable faultKind = "503"
	// faultThrottled answers 429 TooManyRequests, unseen by the server,
	// without Retry-After (client-go itself honors a Retry-After, and its
	// 1 s waits would only slow the test down).
	faultThrottled faultKind = "429"
	// faultReset resets the connection before the request is sent.
	faultReset faultKind = "reset"
	// faultLost lets the server handle the request, then resets the
	// connection before its answer arrives: the caller cannot know whether
	// it happened.
	faultLost faultKind = "lost-response"
)

var allFaults = []faultKind{faultInternal, faultUnavailable, faultThrottled, faultReset, faultLost}

// injector sits between a Client and the API server (rest.Config's
// WrapTransport), counts requests, makes a share of them fail, and cancels
// or restarts the API server on the cue a request's context carries.
type injector struct {
	mu       sync.Mutex
	rng      *rand.Rand // nil: no random faults
	rate     float64
	counts   map[faultKind]int
	requests int

	// Concurrent Scales: their PATCHes are sent one at a time, so the order
	// in which they are acknowledged is the order the server applied them.
	patchMu sync.Mutex
	acked   []int // scale call ids, in that order
}

func newInjector() *injector { return &injector{counts: map[faultKind]int{}} }

// config returns cfg with the injector in its transport.
func (in *injector) config(cfg *rest.Config) *rest.Config {
	cfg = rest.CopyConfig(cfg)
	cfg.Wrap(func(rt http.RoundTripper) http.RoundTripper { return &faultyTransport{in: in, next: rt} })
	return cfg
}

// randomFaults makes each request from now on fail with probability rate,
// drawing from a generator seeded with seed.
func (in *injector) randomFaults(rate float64, seed1, seed2 uint64) {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.rate, in.rng = rate, rand.New(rand.NewPCG(seed1, seed2))
}

func (in *injector) noFaults() {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.rng = nil
}

func (in *injector) draw() faultKind {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.requests++
	if in.rng == nil || in.rng.Float64() >= in.rate {
		return ""
	}
	f := allFaults[in.rng.IntN(len(allFaults))]
	in.counts[f]++
	return f
}

// totals returns the requests seen and the faults injected by kind.
func (in *injector) totals() (int, map[faultKind]int) {
	in.mu.Lock()
	defer in.mu.Unlock()
	counts := map[faultKind]int{}
	for k, v := range in.counts {
		counts[k] = v
	}
	return in.requests, counts
}

func (in *injector) takeAcked() []int {
	in.patchMu.Lock()
	defer in.patchMu.Unlock()
	a := in.acked
	in.acked = nil
	return a
}

// cue is what to do at the at-th request (from 1) made with a context
// carrying it.
type cue struct {
	at     int
	action cueAction
	cancel context.CancelFunc // for the cancel actions
	// restarted receives the result of starting the API server again.
	cluster   *juliaruntest.Cluster
	restarted chan error
	seen      atomic.Int32
}

type cueAction int

const (
	// countOnly counts the requests.
	countOnly cueAction = iota
	// cancelDuring lets the server handle the request, then cancels the
	// context and reports the cancellation: the caller sees its request
	// cut off, although it happened.
	cancelDuring
	// cancelAfter completes the request, then cancels the context: the
	// next request fails.
	cancelAfter
	// loseAnswer lets the server handle the request, then resets the
	// connection before its answer arrives.
	loseAnswer
	// restartBefore stops the API server, starts it again in the
	// background, and sends the request to the stopped server.
	restartBefore
	// restartAfter completes the request, then stops the API server and
	// starts it again in the background.
	restartAfter
)

type cueKey struct{}

type scaleIDKey struct{}

func withCue(ctx context.Context, c *cue) context.Context {
	return context.WithValue(ctx, cueKey{}, c)
}

// faultyTransport is the injector's http.RoundTripper.
type faultyTransport struct {
	in   *injector
	next http.RoundTripper
}

func (t *faultyTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	c, _ := ctx.Value(cueKey{}).(*cue)
	if c != nil && int(c.seen.Add(1)) == c.at {
		return t.onCue(c, req)
	}
	id, concurrentScale := ctx.Value(scaleIDKey{}).(int)
	if concurrentScale && req.Method == http.MethodPatch {
		t.in.patchMu.Lock()
		defer t.in.patchMu.Unlock()
	}
	fault := t.in.draw()
	resp, err := t.send(req, fault)
	if concurrentScale && req.Method == http.MethodPatch && err == nil && resp.StatusCode < 300 {
		t.in.acked = append(t.in.acked, id)
	}
	return resp, err
}

// send makes req meet fault, or sends it as it is.
func (t *faultyTransport) send(req *http.Request, fault faultKind) (*http.Response, error) {
	switch fault {
	case "":
		return t.next.RoundTrip(req)
	case faultInternal, faultUnavailable, faultThrottled:
		closeBody(req)
		return statusResponse(req, fault), nil
	case faultReset:
		closeBody(req)
		return nil, connectionReset()
	case faultLost:
		resp, err := t.next.RoundTrip(req)
		if err == nil {
			if !isWatch(req) { // a watch's answer never ends
				_, _ = io.Copy(io.Discard, resp.Body)
			}
			resp.Body.Close()
		}
		return nil, connectionReset()
	}
	panic("unknown fault " + string(fault))
}

func (t *faultyTransport) onCue(c *cue, req *http.Request) (*http.Response, error) {
	switch c.action {
	case cancelDuring:
		resp, err := t.complete(req.WithContext(context.WithoutCancel(req.Context())))
		if err == nil {
			resp.Body.Close()
		}
		c.cancel()
		return nil, context.Canceled
	case cancelAfter:
		resp, err := t.complete(req)
		c.cancel()
		return resp, err
	case loseAnswer:
		return t.send(req, faultLost)
	case restartBefore:
		if err := c.cluster.StopAPIServer(); err != nil {
			c.restarted <- err
		} else {
			go func() { c.restarted <- c.cluster.StartAPIServer(context.Background()) }()
		}
		return t.next.RoundTrip(req)
	case restartAfter:
		resp, err := t.complete(req)
		if serr := c.cluster.StopAPIServer(); serr != nil {
			c.restarted <- serr
		} else {
			go func() { c.restarted <- c.cluster.StartAPIServer(context.Background()) }()
		}
		return resp, err
	}
	return t.next.RoundTrip(req)
}

// complete sends req and reads the whole answer (but a watch's, which
// never ends), so that what happens to the context afterwards cannot cut it
// off.
func (t *faultyTransport) complete(req *http.Request) (*http.Response, error) {
	resp, err := t.next.RoundTrip(req)
	if err != nil || isWatch(req) {
		return resp, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	return resp, nil
}

func isWatch(req *http.Request) bool { return req.URL.Query().Get("watch") == "true" }

func closeBody(req *http.Request) {
	if req.Body != nil {
		req.Body.Close()
	}
}

func connectionReset() error {
	return &net.OpError{Op: "read", Net: "tcp", Err: os.NewSyscallError("read", syscall.ECONNRESET)}
}

// statusResponse is the answer the API server gives with fault's code.
func statusResponse(req *http.Request, fault faultKind) *http.Response {
	code, reason := http.StatusInternalServerError, metav1.StatusReasonInternalError
	switch fault {
	case faultUnavailable:
		code, reason = http.StatusServiceUnavailable, metav1.StatusReasonServiceUnavailable
	case faultThrottled:
		code, reason = http.StatusTooManyRequests, metav1.StatusReasonTooManyRequests
	}
	body, _ := json.Marshal(metav1.Status{
		TypeMeta: metav1.TypeMeta{Kind: "Status", APIVersion: "v1"},
		Status:   metav1.StatusFailure, Code: int32(code), Reason: reason,
		Message: "injected fault " + string(fault),
	})
	return &http.Response{
		StatusCode: code, Status: fmt.Sprintf("%d %s", code, http.StatusText(code)),
		Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: http.Header{"Content-Type": []string{"application/json"}},
		Body:   io.NopCloser(bytes.NewReader(body)), ContentLength: int64(len(body)),
		Request: req,
	}
}

// errClass names the error a Client returned, for comparing outcomes.
func errClass(err error) string {
	for _, c := range []struct {
		name string
		err  error
	}{
		{"ErrNotFound", juliarun.ErrNotFound}, {"ErrAlreadyExists", juliarun.ErrAlreadyExists},
		{"ErrNotScalable", juliarun.ErrNotScalable}, {"ErrInvalid", jobs.ErrInvalid},
		{"Canceled", context.Canceled}, {"DeadlineExceeded", context.DeadlineExceeded},
	} {
		if errors.Is(err, c.err) {
			return c.name
		}
	}
	if err != nil {
		return "error: " + err.Error()
	}
	return "nil"
}

// jobKinds are the kinds a job's objects have on a cluster without
// controllers, with the resources to list them.
var jobKinds = []schema.GroupVersionKind{
	{Version: "v1", Kind: "ConfigMap"}, {Version: "v1", Kind: "Secret"}, {Version: "v1", Kind: "Service"},
	{Group: "networking.k8s.io", Version: "v1", Kind: "NetworkPolicy"},
	{Group: "batch", Version: "v1", Kind: "Job"}, {Group: "apps", Version: "v1", Kind: "StatefulSet"},
	{Group: "apps", Version: "v1", Kind: "Deployment"}, {Group: "apps", Version: "v1", Kind: "ReplicaSet"},
	{Group: "apps", Version: "v1", Kind: "ControllerRevision"}, {Version: "v1", Kind: "Pod"},
}

// stored is an object of a job as the cluster holds it.
type stored struct {
	kindName string // "StatefulSet pi-workers"
	uid      string
	rv       string   // resourceVersion
	owners   []string // owner UIDs
	startID  string
}

// storedObjects lists the objects in ns of the given jobs by job name,
// through admin (no faults), one list per kind.
func storedObjects(ctx context.Context, admin client.Client, ns string, names []string) (map[string][]stored, error) {
	out := map[string][]stored{}
	sel := "juliarun.io/job in (" + strings.Join(names, ",") + ")"
	for _, gvk := range jobKinds {
		list := &metav1.PartialObjectMetadataList{}
		list.SetGroupVersionKind(gvk.GroupVersion().WithKind(gvk.Kind + "List"))
		opts := &client.ListOptions{Namespace: ns, Raw: &metav1.ListOptions{LabelSelector: sel}}
		if err := admin.List(ctx, list, opts); err != nil {
			return nil, fmt.Errorf("listing %ss: %w", gvk.Kind, err)
		}
		for _, it := range list.Items {
			s := stored{kindName: gvk.Kind + " " + it.Name, uid: string(it.UID), rv: it.ResourceVersion,
				startID: it.Labels["juliarun.io/start-id"]}
			for _, o := range it.OwnerReferences {
				s.owners = append(s.owners, string(o.UID))
			}
			out[it.Labels["juliarun.io/job"]] = append(out[it.Labels["juliarun.io/job"]], s)
		}
	}
	return out, nil
}

// checkComplete reports what is wrong with a job that should exist in ns:
// its objects must be exactly those it renders to, each child owned by its
// root.
func checkComplete(job jobs.Job, ns string, objs []stored) []string {
	rendered, err := juliarun.NewNativeBackend().Render(job, ns)
	if err != nil {
		return []string{fmt.Sprintf("rendering: %v", err)}
	}
	var want, got []string
	for _, o := range rendered {
		want = append(want, o.GetObjectKind().GroupVersionKind().Kind+" "+o.GetName())
	}
	rootUID := ""
	for _, o := range objs {
		got = append(got, o.kindName)
		if o.kindName == "ConfigMap "+job.Spec().Name {
			rootUID = o.uid
		}
	}
	sort.Strings(want)
	sort.Strings(got)
	var problems []string
	if diff := cmp.Diff(want, got); diff != "" {
		problems = append(problems, fmt.Sprintf("objects (-want +got):\n%s", diff))
	}
	for _, o := range objs {
		if o.startID == "" || o.startID != objs[0].startID {
			problems = append(problems, fmt.Sprintf("%s has start-id %q, %s has %q: not made by one Start",
				o.kindName, o.startID, objs[0].kindName, objs[0].startID))
		}
		if o.uid == rootUID {
			continue
		}
		if len(o.owners) != 1 || o.owners[0] != rootUID {
			problems = append(problems, fmt.Sprintf("%s is owned by %v, not by the root %s", o.kindName, o.owners, rootUID))
		}
	}
	return problems
}

// goroutines waits up to 10 s for the number of goroutines to come down to
// at most limit, and returns it.
func goroutines(limit int) int {
	deadline := time.Now().Add(10 * time.Second)
	for {
		n := runtime.NumGoroutine()
		if n <= limit || time.Now().After(deadline) {
			return n
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// goroutineDump returns the stacks of every goroutine, for a leak report.
func goroutineDump() string {
	buf := make([]byte, 1<<20)
	return string(buf[:runtime.Stack(buf, true)])
}

// faultSummary formats the faults injected by kind.
func faultSummary(counts map[faultKind]int) string {
	var parts []string
	total := 0
	for _, k := range allFaults {
		parts = append(parts, fmt.Sprintf("%s=%d", k, counts[k]))
		total += counts[k]
	}
	return fmt.Sprintf("%d (%s)", total, strings.Join(parts, " "))
}
