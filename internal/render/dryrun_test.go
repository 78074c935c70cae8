package render_test

import (
	"context"
	"sync"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	nodev1 "k8s.io/api/node/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/juliarun/sdk/juliarun/juliaruntest"
)

// warnings collects the warnings the API server returns.
type warnings struct {
	mu   sync.Mutex
	msgs []string
}

func (w *warnings) HandleWarningHeaderWithContext(_ context.Context, _ int, _ string, msg string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.msgs = append(w.msgs, msg)
}

func (w *warnings) take() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	m := w.msgs
	w.msgs = nil
	return m
}

// TestAPIServerAcceptsEveryObject creates every object of every golden case,
// and a Pod from every pod template, with a server-side dry run in a
// namespace that enforces Pod Security "restricted". Any rejection or
// warning fails the test.
func TestAPIServerAcceptsEveryObject(t *testing.T) {
	d := newDryRun(t)
	for _, tc := range goldenCases() {
		t.Run(tc.name, func(t *testing.T) {
			d.accepts(t, renderJob(t, tc.job, &fixedRand{}))
		})
	}
}

// dryRun creates objects on a real API server with a server-side dry run,
// in a namespace that enforces Pod Security "restricted".
type dryRun struct {
	c    client.Client
	warn *warnings
}

// newDryRun starts an API server for the test and checks that its
// namespace refuses a pod that breaks Pod Security "restricted" and warns
// of a workload that would make one.
func newDryRun(t *testing.T) *dryRun {
	t.Helper()
	cluster := juliaruntest.StartForTest(t, juliaruntest.Options{})
	cfg := cluster.Config()
	warn := &warnings{}
	cfg.WarningHandlerWithContext = warn
	c, err := client.New(cfg, client.Options{Scheme: scheme.Scheme})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: testNamespace, Labels: map[string]string{
		"pod-security.kubernetes.io/enforce": "restricted",
		"pod-security.kubernetes.io/warn":    "restricted",
		"pod-security.kubernetes.io/audit":   "restricted",
	}}}
	if err := c.Create(ctx, ns); err != nil {
		t.Fatal(err)
	}
	// The classes the golden cases' pods name.
	if err := c.Create(ctx, &schedulingv1.PriorityClass{ObjectMeta: metav1.ObjectMeta{Name: "high"}, Value: 1000}); err != nil {
		t.Fatal(err)
	}
	if err := c.Create(ctx, &nodev1.RuntimeClass{ObjectMeta: metav1.ObjectMeta{Name: "nvidia"}, Handler: "nvidia"}); err != nil {
		t.Fatal(err)
	}
	warn.take()
	// The namespace really enforces and warns: a root pod is refused, and a
	// workload with one draws a warning.
	rootSpec := corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "julia"}}}
	if err := c.Create(ctx, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "root", Namespace: testNamespace},
		Spec: rootSpec}, client.DryRunAll); err == nil {
		t.Fatal("a pod violating Pod Security restricted was accepted: the check below would prove nothing")
	}
	labels := map[string]string{"app": "root"}
	dep := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "root", Namespace: testNamespace},
		Spec: appsv1.DeploymentSpec{Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels}, Spec: rootSpec}}}
	if err := c.Create(ctx, dep, client.DryRunAll); err != nil {
		t.Fatal(err)
	}
	if len(warn.take()) == 0 {
		t.Fatal("no warning for a non-compliant workload: warnings are not being collected")
	}
	return &dryRun{c: c, warn: warn}
}

// accepts creates objs, and a Pod from each pod template among them, with a
// dry run: any rejection or warning fails the test. It returns the number
// of objects created.
func (d *dryRun) accepts(t *testing.T, objs []client.Object) int {
	t.Helper()
	ctx := context.Background()
	n := 0
	for _, obj := range objs {
		n++
		if err := d.c.Create(ctx, obj, client.DryRunAll); err != nil {
			t.Errorf("%s %s rejected: %v", obj.GetObjectKind().GroupVersionKind().Kind, obj.GetName(), err)
		}
		if w := d.warn.take(); len(w) > 0 {
			t.Errorf("%s %s: warnings %q", obj.GetObjectKind().GroupVersionKind().Kind, obj.GetName(), w)
		}
		tmpl := podTemplate(obj)
		if tmpl == nil {
			continue
		}
		pod := &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: obj.GetName() + "-pod", Namespace: testNamespace, Labels: tmpl.Labels},
			Spec:       tmpl.Spec,
		}
		n++
		if err := d.c.Create(ctx, pod, client.DryRunAll); err != nil {
			t.Errorf("Pod of %s rejected: %v", obj.GetName(), err)
		}
		if w := d.warn.take(); len(w) > 0 {
			t.Errorf("Pod of %s: warnings %q", obj.GetName(), w)
		}
	}
	return n
}

func podTemplate(o runtime.Object) *corev1.PodTemplateSpec {
	switch w := o.(type) {
	case *batchv1.Job:
		return &w.Spec.Template
	case *appsv1.StatefulSet:
		return &w.Spec.Template
	case *appsv1.Deployment:
		return &w.Spec.Template
	}
	return nil
}

var _ rest.WarningHandlerWithContext = (*warnings)(nil)
