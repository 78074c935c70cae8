package bench

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"k8s.io/client-go/rest"
)

func TestClassify(t *testing.T) {
	for _, tc := range []struct {
		method, url, verb, resource string
	}{
		{"GET", "/api/v1/namespaces/ns/configmaps/pi", VerbGet, "configmaps"},
		{"GET", "/api/v1/namespaces/ns/pods?labelSelector=a%3Db&limit=5", VerbList, "pods"},
		{"GET", "/api/v1/namespaces/ns/pods?watch=true", VerbWatch, "pods"},
		{"GET", "/api/v1/namespaces/ns/pods/p-0/log", VerbGet, "pods/log"},
		{"GET", "/api/v1/namespaces", VerbList, "namespaces"},
		{"GET", "/api/v1/namespaces/ns", VerbGet, "namespaces"},
		{"POST", "/apis/apps/v1/namespaces/ns/statefulsets", VerbCreate, "statefulsets"},
		{"PATCH", "/apis/apps/v1/namespaces/ns/statefulsets/pi-workers", VerbPatch, "statefulsets"},
		{"PUT", "/apis/apps/v1/namespaces/ns/statefulsets/pi-workers/status", VerbUpdate, "statefulsets/status"},
		{"DELETE", "/apis/batch/v1/namespaces/ns/jobs?labelSelector=x", VerbDeleteCollection, "jobs"},
		{"DELETE", "/apis/batch/v1/namespaces/ns/jobs/pi", VerbDelete, "jobs"},
		{"POST", "/api/v1/persistentvolumes", VerbCreate, "persistentvolumes"},
		{"GET", "/apis/apps/v1", VerbDiscovery, ""},
		{"GET", "/api", VerbDiscovery, ""},
		{"GET", "/openapi/v3", VerbDiscovery, ""},
		{"GET", "/version", VerbDiscovery, ""},
	} {
		u, err := url.Parse(tc.url)
		if err != nil {
			t.Fatal(err)
		}
		verb, resource := Classify(tc.method, u)
		if verb != tc.verb || resource != tc.resource {
			t.Errorf("Classify(%s %s) = %q, %q; want %q, %q", tc.method, tc.url, verb, resource, tc.verb, tc.resource)
		}
	}
}

func TestCounter(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, `{"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"pi"}}`)
	}))
	defer srv.Close()
	var c Counter
	cfg := c.Instrument(&rest.Config{Host: srv.URL})
	hc, err := rest.HTTPClientFor(cfg)
	if err != nil {
		t.Fatal(err)
	}
	before := c.Snapshot()
	for _, path := range []string{"/api/v1/namespaces/ns/configmaps/pi", "/api/v1/namespaces/ns/configmaps"} {
		req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, srv.URL+path, nil)
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	got := c.Snapshot().Sub(before)
	if got.Total() != 2 || got.ByVerb[VerbGet] != 1 || got.ByVerb[VerbList] != 1 {
		t.Errorf("counts %v, want 1 get and 1 list", got.ByVerb)
	}
	if want := int64(2 * len(`{"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"pi"}}`)); got.BytesRead != want {
		t.Errorf("bytes read %d, want %d", got.BytesRead, want)
	}
	if s := got.String(); s != "1 get configmaps, 1 list configmaps" {
		t.Errorf("String() = %q", s)
	}
}
