package bench

import (
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"k8s.io/client-go/rest"
)

// Verbs of Kubernetes API requests, as the API server's audit log names
// them, plus Discovery for requests outside any resource (/api, /apis,
// /openapi, /version).
const (
	VerbGet              = "get"
	VerbList             = "list"
	VerbWatch            = "watch"
	VerbCreate           = "create"
	VerbUpdate           = "update"
	VerbPatch            = "patch"
	VerbDelete           = "delete"
	VerbDeleteCollection = "deletecollection"
	VerbDiscovery        = "discovery"
)

// Counter counts the API requests made through the transports it wraps, by
// verb and by verb and resource, and the bytes of their response bodies.
// Its methods are safe for concurrent use; the zero value is ready.
type Counter struct {
	mu         sync.Mutex
	byVerb     map[string]int
	byResource map[string]int // "create configmaps"
	bytesRead  atomic.Int64
}

// Counts is a snapshot of a Counter.
type Counts struct {
	// ByVerb maps a verb (VerbGet, ...) to its number of requests.
	ByVerb map[string]int
	// ByResource maps "verb resource" (for example "create configmaps",
	// "list pods") to its number of requests.
	ByResource map[string]int
	// BytesRead is the number of response body bytes read by the client.
	BytesRead int64
}

// Total returns the number of requests of every verb.
func (c Counts) Total() int {
	n := 0
	for _, v := range c.ByVerb {
		n += v
	}
	return n
}

// Sub returns the requests and bytes counted in c but not in before.
func (c Counts) Sub(before Counts) Counts {
	out := Counts{ByVerb: map[string]int{}, ByResource: map[string]int{}, BytesRead: c.BytesRead - before.BytesRead}
	for k, v := range c.ByVerb {
		if d := v - before.ByVerb[k]; d != 0 {
			out.ByVerb[k] = d
		}
	}
	for k, v := range c.ByResource {
		if d := v - before.ByResource[k]; d != 0 {
			out.ByResource[k] = d
		}
	}
	return out
}

// String lists the requests by verb and resource, most frequent first:
// "3 create configmaps, 1 get statefulsets".
func (c Counts) String() string {
	keys := make([]string, 0, len(c.ByResource))
	for k := range c.ByResource {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if c.ByResource[keys[i]] != c.ByResource[keys[j]] {
			return c.ByResource[keys[i]] > c.ByResource[keys[j]]
		}
		return keys[i] < keys[j]
	})
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = strconv.Itoa(c.ByResource[k]) + " " + k
	}
	return strings.Join(parts, ", ")
}

// Snapshot returns the counts so far.
func (c *Counter) Snapshot() Counts {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := Counts{ByVerb: make(map[string]int, len(c.byVerb)), ByResource: make(map[string]int, len(c.byResource)),
		BytesRead: c.bytesRead.Load()}
	for k, v := range c.byVerb {
		out.ByVerb[k] = v
	}
	for k, v := range c.byResource {
		out.ByResource[k] = v
	}
	return out
}

// Instrument returns a copy of cfg whose transport is wrapped by the
// counter (after any WrapTransport cfg already has).
func (c *Counter) Instrument(cfg *rest.Config) *rest.Config {
	cfg = rest.CopyConfig(cfg)
	cfg.Wrap(c.Wrap)
	return cfg
}

// Wrap returns a RoundTripper that counts each request and its response
// bytes, then passes it to rt. It has the signature of
// rest.Config.WrapTransport.
func (c *Counter) Wrap(rt http.RoundTripper) http.RoundTripper {
	return &countingTransport{counter: c, next: rt}
}

// add counts one request.
func (c *Counter) add(verb, resource string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.byVerb == nil {
		c.byVerb, c.byResource = map[string]int{}, map[string]int{}
	}
	c.byVerb[verb]++
	key := verb
	if resource != "" {
		key += " " + resource
	}
	c.byResource[key]++
}

// countingTransport counts the requests it passes on to next.
type countingTransport struct {
	counter *Counter
	next    http.RoundTripper
}

func (t *countingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	verb, resource := Classify(req.Method, req.URL)
	t.counter.add(verb, resource)
	resp, err := t.next.RoundTrip(req)
	if resp != nil && resp.Body != nil {
		resp.Body = &countingBody{ReadCloser: resp.Body, n: &t.counter.bytesRead}
	}
	return resp, err
}

// countingBody adds the bytes read from a response body to n.
type countingBody struct {
	io.ReadCloser
	n *atomic.Int64
}

func (b *countingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.n.Add(int64(n))
	return n, err
}

// Classify returns the verb of a Kubernetes API request and the resource it
// is about ("configmaps", "statefulsets/status"), from its method and URL,
// as the API server's request info does: a GET of a collection is a list,
// a GET with watch=true a watch, a DELETE of a collection a
// deletecollection.
func Classify(method string, u *url.URL) (verb, resource string) {
	segs := strings.Split(strings.Trim(u.Path, "/"), "/")
	var rest []string
	switch {
	case len(segs) >= 3 && segs[0] == "api": // /api/v1/...
		rest = segs[2:]
	case len(segs) >= 4 && segs[0] == "apis": // /apis/group/version/...
		rest = segs[3:]
	default:
		return VerbDiscovery, ""
	}
	if len(rest) >= 3 && rest[0] == "namespaces" {
		rest = rest[2:] // /namespaces/<ns>/<resource>...
	}
	resource = rest[0]
	named := len(rest) >= 2
	if len(rest) >= 3 {
		resource += "/" + rest[2] // a subresource: status, scale, log
	}
	q := u.Query()
	switch method {
	case http.MethodGet:
		switch {
		case q.Get("watch") == "true" || q.Get("watch") == "1":
			return VerbWatch, resource
		case named:
			return VerbGet, resource
		}
		return VerbList, resource
	case http.MethodPost:
		return VerbCreate, resource
	case http.MethodPut:
		return VerbUpdate, resource
	case http.MethodPatch:
		return VerbPatch, resource
	case http.MethodDelete:
		if named {
			return VerbDelete, resource
		}
		return VerbDeleteCollection, resource
	}
	return strings.ToLower(method), resource
}
