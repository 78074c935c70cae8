package juliarun

import (
	"context"
	"errors"
	"io"
	"math"
	"net"
	"net/http"
	"time"

	"github.com/go-logr/logr"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	utilnet "k8s.io/apimachinery/pkg/util/net"
	"k8s.io/apimachinery/pkg/util/wait"
)

// Retries. client-go repeats a request by itself only when the server says
// so (a Retry-After header, sent when it is overloaded or shutting down)
// and, for GETs, when a connection broke. juliarun adds:
//
//   - retryTransport repeats, below client-go, every request that never
//     reached the server (the dial failed: the API server is restarting),
//     and the requests juliarun can safely send twice (see safeToRepeat)
//     when the server answered 500, 502, 503, 504 or 429 without
//     Retry-After, or the connection broke;
//   - Start repeats its creations itself (see create), because only it can
//     tell whether an object found on a second try is the one its first
//     try made; these retries go through the client's rate limiter, as
//     new requests;
//   - Wait and Delete watch through client-go's RetryWatcher, which opens
//     a watch the server closed, or that failed for a passing reason, again
//     from the last resourceVersion it saw, so that no change is missed; a
//     watch whose resourceVersion the server no longer has is listed
//     again, repeating passing failures (relistBackoff).
//
// retryTransport and Start back off (retryBackoff) from retryInitialDelay,
// doubling up to retryMaxDelay, and give up once retryBudget has passed:
// long enough for an API server to restart, short enough that a caller
// learns of a lasting outage.
const (
	retryInitialDelay = 50 * time.Millisecond
	retryMaxDelay     = 2 * time.Second
	retryBudget       = 30 * time.Second
)

// retryBackoff returns the delays between the attempts of one operation:
// from retryInitialDelay, doubling up to retryMaxDelay, with up to 25% of
// jitter, so that clients that failed together do not retry in lockstep;
// steps bounds the attempts.
func retryBackoff(steps int) wait.Backoff {
	return wait.Backoff{Duration: retryInitialDelay, Factor: 2, Jitter: 0.25, Cap: retryMaxDelay, Steps: steps}
}

// backoff paces the retries of one operation within retryBudget.
type backoff struct {
	began time.Time
	steps wait.Backoff
}

func newBackoff() *backoff { return &backoff{began: time.Now(), steps: retryBackoff(math.MaxInt32)} }

// wait sleeps before the next attempt and reports whether to make it: false
// when ctx has ended or the retry budget is spent.
func (b *backoff) wait(ctx context.Context) bool {
	d := b.steps.Step()
	if time.Since(b.began)+d > retryBudget {
		return false
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// retryTransport repeats requests that failed for a passing reason (see
// above).
type retryTransport struct {
	next http.RoundTripper
	log  logr.Logger
}

// safeToRepeat lists the methods of the requests juliarun may send twice
// with the same effect as once: reads; deletes (a repeat finds nothing, or
// the same nothing); juliarun's patches, which set absolute values; and its
// one PUT (Update's), which carries a resourceVersion, so that a repeat of
// a write that did happen fails with Conflict instead of applying twice.
// Creations (POST) are repeated by Start alone.
func safeToRepeat(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodDelete, http.MethodPatch, http.MethodPut:
		return true
	}
	return false
}

func (t *retryTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	var b *backoff
	for attempt := 1; ; attempt++ {
		resp, err := t.next.RoundTrip(req)
		reason := retryReason(req.Method, resp, err)
		if reason == "" || req.Context().Err() != nil {
			return resp, err
		}
		if req.Body != nil && req.GetBody == nil {
			return resp, err // the body cannot be sent again
		}
		if b == nil {
			b = newBackoff()
		}
		if !b.wait(req.Context()) {
			return resp, err
		}
		if resp != nil {
			_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
			resp.Body.Close()
		}
		t.log.V(2).Info("request retried", "method", req.Method, "path", req.URL.Path, "attempt", attempt+1, "reason", reason)
		next := req.Clone(req.Context())
		if req.GetBody != nil {
			if next.Body, err = req.GetBody(); err != nil {
				return nil, err
			}
		}
		req = next
	}
}

// retryReason says why a request that ended with resp or err is worth
// another try, or returns "" when it is not.
func retryReason(method string, resp *http.Response, err error) string {
	if err != nil {
		var op *net.OpError
		if errors.As(err, &op) && op.Op == "dial" {
			return "cannot connect" // the request was not sent
		}
		if safeToRepeat(method) && brokenConnection(err) {
			return "connection broken"
		}
		return ""
	}
	if resp == nil || !safeToRepeat(method) || resp.Header.Get("Retry-After") != "" {
		return "" // client-go waits as long as the server asks and retries
	}
	switch resp.StatusCode {
	case http.StatusInternalServerError, http.StatusBadGateway, http.StatusServiceUnavailable,
		http.StatusGatewayTimeout, http.StatusTooManyRequests:
		return resp.Status
	}
	return ""
}

// brokenConnection reports whether err says the connection to the API
// server failed, so the request may or may not have reached it.
func brokenConnection(err error) bool {
	return utilnet.IsConnectionReset(err) || utilnet.IsConnectionRefused(err) ||
		utilnet.IsProbableEOF(err) || utilnet.IsHTTP2ConnectionLost(err)
}

// transient reports whether a failed API call may succeed if repeated: the
// API server was overloaded, failed internally, timed out or restarted, or
// the connection broke. A cancelled or expired context is not transient.
func transient(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	return apierrors.IsInternalError(err) || apierrors.IsServiceUnavailable(err) ||
		apierrors.IsTooManyRequests(err) || apierrors.IsServerTimeout(err) || apierrors.IsTimeout(err) ||
		brokenConnection(err)
}
