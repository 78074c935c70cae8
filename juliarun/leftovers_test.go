package juliarun_test

import (
	"context"
	"slices"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
)

// leftovers lists every object, of every resource the API server serves, in
// every namespace, labelled juliarun.io/job=name: what Delete must leave
// none of.
func leftovers(t *testing.T, cfg *rest.Config, name string) []string {
	t.Helper()
	return leftoversMatching(t, cfg, "juliarun.io/job="+name)
}

// leftoversMatching is leftovers for any label selector: "juliarun.io/job"
// finds what is left of every job.
func leftoversMatching(t *testing.T, cfg *rest.Config, selector string) []string {
	t.Helper()
	var found []string
	for _, it := range labelledObjects(t, cfg, "", selector) {
		found = append(found, it.GetKind()+" "+it.GetNamespace()+"/"+it.GetName())
	}
	return found
}

// labelledObjects returns every object matching selector, of every resource
// the API server serves that can be listed, in namespace ("" for all
// namespaces and cluster-scoped resources too).
func labelledObjects(t *testing.T, cfg *rest.Config, namespace, selector string) []unstructured.Unstructured {
	t.Helper()
	cfg = rest.CopyConfig(cfg)
	cfg.WarningHandler = rest.NoWarnings{} // deprecated kinds are listed too
	dc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	lists, err := dc.ServerPreferredResources()
	if err != nil {
		t.Fatal(err)
	}
	var out []unstructured.Unstructured
	for _, l := range lists {
		gv, err := schema.ParseGroupVersion(l.GroupVersion)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range l.APIResources {
			if !slices.Contains(r.Verbs, "list") || (namespace != "" && !r.Namespaced) {
				continue
			}
			items, err := dyn.Resource(gv.WithResource(r.Name)).Namespace(namespace).List(context.Background(),
				metav1.ListOptions{LabelSelector: selector})
			if err != nil {
				continue // some resources list only with more rights or options
			}
			for _, it := range items.Items {
				if it.GetKind() == "" {
					it.SetKind(r.Kind)
				}
				out = append(out, it)
			}
		}
	}
	return out
}
