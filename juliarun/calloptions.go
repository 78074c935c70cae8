package juliarun

// StartOption configures one Start.
type StartOption interface {
	applyStart(*startOptions)
}

// DeleteOption configures one Delete.
type DeleteOption interface {
	applyDelete(*deleteOptions)
}

type startOptions struct {
	dryRun bool
}

type deleteOptions struct {
	wait bool
}

type startOptionFunc func(*startOptions)

func (f startOptionFunc) applyStart(o *startOptions) { f(o) }

type deleteOptionFunc func(*deleteOptions)

func (f deleteOptionFunc) applyDelete(o *deleteOptions) { f(o) }

// WithDryRun makes Start send every object of the job to the API server as
// a server-side dry run (dryRun=All): the server validates, defaults and
// admits each one (Pod Security, quotas, webhooks) and stores nothing.
// Start then returns what the server said: nil when the job would start,
// ErrAlreadyExists when its name is taken. Default: false.
func WithDryRun(dryRun bool) StartOption {
	return startOptionFunc(func(o *startOptions) { o.dryRun = dryRun })
}

// WithWait makes Delete wait until every object of the job is gone.
// Without it, Delete returns once the deletions are accepted, and the
// cluster removes the objects (and their pods, within their grace period)
// in the background. Default: true.
func WithWait(wait bool) DeleteOption {
	return deleteOptionFunc(func(o *deleteOptions) { o.wait = wait })
}

// IsDryRun reports whether opts ask Start for a dry run (WithDryRun), for
// fakes of Start.
func IsDryRun(opts []StartOption) bool { return startOptionsOf(opts).dryRun }

func startOptionsOf(opts []StartOption) startOptions {
	var o startOptions
	for _, opt := range opts {
		if opt != nil {
			opt.applyStart(&o)
		}
	}
	return o
}

func deleteOptionsOf(opts []DeleteOption) deleteOptions {
	o := deleteOptions{wait: true}
	for _, opt := range opts {
		if opt != nil {
			opt.applyDelete(&o)
		}
	}
	return o
}
