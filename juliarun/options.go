package juliarun

import "github.com/go-logr/logr"

// Option configures a Client.
type Option interface {
	apply(*options)
}

type optionFunc func(*options)

func (f optionFunc) apply(o *options) { f(o) }

type options struct {
	namespace string
	logger    logr.Logger
	backend   Backend
	qps       float32
	burst     int
}

// DefaultNamespace is the namespace a Client works in unless WithNamespace
// says otherwise.
const DefaultNamespace = "default"

// WithNamespace sets the namespace the client's jobs live in. Default:
// "default".
func WithNamespace(namespace string) Option {
	return optionFunc(func(o *options) { o.namespace = namespace })
}

// WithLogger sets the logger each operation is logged to (a call whose
// context carries a logger, logr.NewContext, logs there instead), with the
// job and namespace as values, at V(1) (Status,
// which Wait calls on every change, at V(2); retries at V(2)), with constant
// messages and without secrets. Default: logr.Discard().
func WithLogger(l logr.Logger) Option {
	return optionFunc(func(o *options) { o.logger = l })
}

// WithBackend sets the Backend that renders jobs to objects. Default:
// NewNativeBackend().
func WithBackend(b Backend) Option {
	return optionFunc(func(o *options) { o.backend = b })
}

// WithRateLimit sets the client's request rate limit: qps requests per
// second on average, bursts of up to burst, shared by all its requests.
// Default: the rest.Config's RateLimiter, else its QPS and Burst, which
// client-go defaults to 5 and 10: about 1 Start a second, low for starting
// many jobs at once (see BENCHMARKS.md). A negative QPS in the rest.Config
// turns the limit off.
func WithRateLimit(qps float32, burst int) Option {
	return optionFunc(func(o *options) { o.qps, o.burst = qps, burst })
}
