package juliarun

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/go-logr/logr"
	"github.com/go-logr/logr/funcr"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/client-go/kubernetes"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/util/flowcontrol"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/apiutil"
)

// kubeClient is the Client on a Kubernetes API server.
type kubeClient struct {
	ns      string
	log     logr.Logger
	backend Backend
	layout  Layout               // the backend's
	c       client.WithWatch     // objects of any kind the backend renders
	cs      kubernetes.Interface // pod logs
	// raw sends requests whose answers the Client reads itself (a
	// delete-collection's list of what it deleted).
	raw rest.Interface
}

// New returns a Client that runs jobs on the cluster of cfg. It does no
// I/O: a wrong address or missing rights show on the first call.
func New(cfg *rest.Config, opts ...Option) (Client, error) {
	if cfg == nil {
		return nil, errors.New("juliarun.New: rest.Config is nil")
	}
	o := options{namespace: DefaultNamespace, logger: logr.Discard()}
	for _, opt := range opts {
		if opt != nil {
			opt.apply(&o)
		}
	}
	if msgs := validation.IsDNS1123Label(o.namespace); len(msgs) > 0 {
		return nil, fmt.Errorf("juliarun.New: namespace %q: %s", o.namespace, msgs[0])
	}
	if o.backend == nil {
		o.backend = NewNativeBackend()
	}
	cfg = rest.CopyConfig(cfg)
	cfg.Wrap(func(rt http.RoundTripper) http.RoundTripper { return &retryTransport{next: rt, log: o.logger} })
	if o.qps > 0 {
		cfg.QPS, cfg.Burst, cfg.RateLimiter = o.qps, o.burst, nil
	}
	if cfg.RateLimiter == nil && cfg.QPS >= 0 {
		// One token bucket for the whole client: left to itself,
		// controller-runtime gives each kind a bucket of its own, and a
		// Start of 8 objects could send 8 bursts.
		qps, burst := cfg.QPS, cfg.Burst
		if qps == 0 {
			qps = rest.DefaultQPS
		}
		if burst == 0 {
			burst = rest.DefaultBurst
		}
		cfg.RateLimiter = flowcontrol.NewTokenBucketRateLimiter(qps, burst)
	}
	scheme := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(scheme); err != nil {
		return nil, err
	}
	httpClient, err := rest.HTTPClientFor(cfg)
	if err != nil {
		return nil, fmt.Errorf("juliarun.New: %w", err)
	}
	layout := o.backend.Layout()
	if layout == nil {
		return nil, errors.New("juliarun.New: the backend's Layout is nil")
	}
	mapper, err := restMapper(cfg, httpClient, scheme, layout.Kinds())
	if err != nil {
		return nil, fmt.Errorf("juliarun.New: %w", err)
	}
	clientLog := o.logger.WithName("client")
	if clientLog.IsZero() {
		// Without a logger, controller-runtime uses its global one, which
		// prints a warning with a stack trace in programs that never set it.
		clientLog = funcr.New(func(string, string) {}, funcr.Options{})
	}
	c, err := client.NewWithWatch(cfg, client.Options{HTTPClient: httpClient, Scheme: scheme, Mapper: mapper, Log: clientLog})
	if err != nil {
		return nil, fmt.Errorf("juliarun.New: %w", err)
	}
	cs, err := kubernetes.NewForConfigAndClient(cfg, httpClient)
	if err != nil {
		return nil, fmt.Errorf("juliarun.New: %w", err)
	}
	rawCfg := rest.CopyConfig(cfg)
	rawCfg.GroupVersion, rawCfg.APIPath = nil, ""
	rawCfg.ContentType, rawCfg.AcceptContentTypes = runtime.ContentTypeJSON, runtime.ContentTypeJSON
	rawCfg.NegotiatedSerializer = serializer.NewCodecFactory(scheme).WithoutConversion()
	raw, err := rest.UnversionedRESTClientForConfigAndClient(rawCfg, httpClient)
	if err != nil {
		return nil, fmt.Errorf("juliarun.New: %w", err)
	}
	return &kubeClient{ns: o.namespace, log: o.logger, backend: o.backend, layout: layout, c: c, cs: cs, raw: raw}, nil
}

// restMapper knows the built-in kinds among the backend's without asking
// the server; other kinds, a custom backend's resources, are discovered on
// first use.
func restMapper(cfg *rest.Config, httpClient *http.Client, scheme *runtime.Scheme, kinds []schema.GroupVersionKind) (meta.RESTMapper, error) {
	static := meta.NewDefaultRESTMapper(nil)
	for _, gvk := range append(kinds, corev1.SchemeGroupVersion.WithKind("Event")) {
		if scheme.Recognizes(gvk) {
			static.Add(gvk, meta.RESTScopeNamespace)
		}
	}
	dynamic, err := apiutil.NewDynamicRESTMapper(cfg, httpClient)
	if err != nil {
		return nil, err
	}
	return meta.FirstHitRESTMapper{MultiRESTMapper: meta.MultiRESTMapper{static, dynamic}}, nil
}

// logger returns the logger of a call about job name: the one in ctx
// (logr.NewContext), else the Client's (WithLogger), with the job (unless
// name is "") and the namespace attached once.
func (k *kubeClient) logger(ctx context.Context, name string) logr.Logger {
	l, err := logr.FromContext(ctx)
	if err != nil {
		l = k.log
	}
	if name == "" {
		return l.WithValues("namespace", k.ns)
	}
	return l.WithValues("job", name, "namespace", k.ns)
}

// listOf returns an empty list of o's kind: typed where the client's scheme
// knows the kind, else unstructured (a custom backend's resource).
func (k *kubeClient) listOf(o client.Object) (client.ObjectList, error) {
	gvk, err := k.c.GroupVersionKindFor(o)
	if err != nil {
		return nil, err
	}
	listGVK := gvk.GroupVersion().WithKind(gvk.Kind + "List")
	if obj, err := k.c.Scheme().New(listGVK); err == nil {
		if list, ok := obj.(client.ObjectList); ok {
			return list, nil
		}
	}
	list := &unstructured.UnstructuredList{}
	list.SetGroupVersionKind(listGVK)
	return list, nil
}
