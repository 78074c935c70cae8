package juliarun_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/go-logr/logr/funcr"
	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/juliarun/sdk/internal/render"
	"github.com/juliarun/sdk/jobs"
	"github.com/juliarun/sdk/juliarun"
)

// logBuffer collects what a funcr logger writes, safely from any goroutine.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) write(prefix, args string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf.WriteString(prefix + " " + args + "\n")
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestSecretsStayInTheirSecret runs a full lifecycle of a notebook with a
// password and Distributed workers, and of a parallel batch job whose
// master and workers read an API token from a Secret of the user's
// (WithEnvFrom), logging at V(10), and then looks for the cluster cookies,
// the password and its hash, and the token (verbatim and in base64)
// everywhere but in Secrets: in the log, in the namespace's Events, in
// every other object of the namespace, the jobs' and their pods included
// (records, labels, annotations, commands, arguments, plain environment
// values, data). The token reaches the pods as a reference to its Secret's
// key. Each job Secret is owned by its job's root ConfigMap: Delete removes
// it, and so does the garbage collector once the root is gone.
func TestSecretsStayInTheirSecret(t *testing.T) {
	const password = "correct horse battery staple"
	logs := &logBuffer{}
	e := newEnv(t, sharedCluster(t), juliarun.WithLogger(funcr.New(logs.write, funcr.Options{Verbosity: 10})))
	ctx := context.Background()
	token := "token-" + rand.Text() // found nowhere by chance
	if _, err := e.cs.CoreV1().Secrets(e.ns).Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "api"},
		StringData: map[string]string{"token": token}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	fromSecret := map[string]jobs.EnvSource{"API_TOKEN": jobs.FromSecret("api", "token")}
	all := []jobs.Job{
		jobs.NewNotebook("nb", "work", jobs.WithPassword(password), jobs.WithNWorkers(2)),
		jobs.NewParBatch("pi", "pi.jl", "work", jobs.WithNWorkers(1),
			jobs.WithEnvFrom(jobs.Master, fromSecret), jobs.WithEnvFrom(jobs.Workers, fromSecret)),
	}
	for _, job := range all {
		name := job.Spec().Name
		if err := e.client.Start(ctx, job); err != nil {
			t.Fatal(err)
		}
		e.waitFor(t, name, "its workers", func(s *juliarun.Status) bool {
			return s.Phase == juliarun.PhaseRunning && s.Running == job.Spec().NWorkers
		})
		if err := e.client.Scale(ctx, name, 2); err != nil {
			t.Fatal(err)
		}
		if _, err := e.client.Endpoint(ctx, name); err != nil && !errors.Is(err, juliarun.ErrNotFound) {
			t.Fatal(err)
		}
		rc, err := e.client.Logs(ctx, name, juliarun.LogOptions{})
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, rc)
		rc.Close()
		if _, err := e.client.List(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.client.Update(ctx, jobs.NewNotebook("nb", "work", jobs.WithPassword(password), jobs.WithNWorkers(2),
		jobs.WithWorkerEnvVars(map[string]string{"LEVEL": "2"}))); err != nil {
		t.Fatal(err)
	}
	e.waitFor(t, "nb", "its workers again", juliarun.AtLeastWorkers(2))

	// The secrets, as the Secrets hold them.
	secrets := map[string]string{"password": password}
	for _, name := range []string{"nb", "pi"} {
		sec, err := e.cs.CoreV1().Secrets(e.ns).Get(ctx, name+"-secret", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		root, err := e.cs.CoreV1().ConfigMaps(e.ns).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		type owner struct {
			Kind, Name string
			UID        string
		}
		var got []owner
		for _, o := range sec.OwnerReferences {
			got = append(got, owner{o.Kind, o.Name, string(o.UID)})
		}
		if diff := cmp.Diff([]owner{{"ConfigMap", name, string(root.UID)}}, got); diff != "" {
			t.Errorf("owners of Secret %s (-want +got):\n%s", sec.Name, diff)
		}
		for key, value := range sec.Data {
			if key == render.SecretKeyRunID {
				continue // a token that names a file, not a secret; kept here because the Secret never changes
			}
			secrets[name+" "+key] = string(value)
		}
	}
	if len(secrets) != 4 { // the password, two cookies, one hash
		t.Fatalf("secrets found: %d, want 4: %v", len(secrets), slices.Sorted(func(yield func(string) bool) {
			for k := range secrets {
				if !yield(k) {
					return
				}
			}
		}))
	}
	secrets["API token"] = token

	places := map[string]string{"the log at V(10)": logs.String()}
	events, err := e.cs.CoreV1().Events(e.ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(events.Items) == 0 {
		t.Error("no Events in the namespace: the check below would prove nothing")
	}
	places["Events"] = toJSON(t, events)
	for _, obj := range labelledObjects(t, e.cluster.Config(), e.ns, "") {
		if obj.GetKind() == "Secret" || obj.GetKind() == "Event" {
			continue
		}
		places[obj.GetKind()+" "+obj.GetName()] = toJSON(t, obj.Object)
		checkSecretEnv(t, obj.Object)
	}
	for _, role := range []string{"master", "worker"} {
		pods := e.pods(t, "pi", role)
		if len(pods) == 0 {
			t.Errorf("pi has no %s pod", role)
		}
		for _, p := range pods {
			var got []corev1.EnvVar
			for _, v := range p.Spec.Containers[0].Env {
				if v.Name == "API_TOKEN" {
					got = append(got, v)
				}
			}
			want := []corev1.EnvVar{{Name: "API_TOKEN", ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{
				LocalObjectReference: corev1.LocalObjectReference{Name: "api"}, Key: "token"}}}}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("API_TOKEN of pod %s (-want +got):\n%s", p.Name, diff)
			}
		}
	}
	if len(places) < 20 {
		t.Errorf("only %d places searched", len(places))
	}
	t.Logf("searched %d secrets in %d places: %d log lines, %d Events, %d objects and pods",
		len(secrets), len(places), strings.Count(logs.String(), "\n"), len(events.Items), len(places)-2)
	for what, secret := range secrets {
		for _, form := range []string{secret, base64.StdEncoding.EncodeToString([]byte(secret))} {
			for where, text := range places {
				if strings.Contains(text, form) {
					t.Errorf("the %s appears in %s", what, where)
				}
			}
		}
	}
	if !strings.Contains(logs.String(), `"job"="nb"`) {
		t.Errorf("the log has no line about job nb: the check proves nothing:\n%s", logs.String())
	}

	// Delete removes the Secret with the rest; without Delete, the garbage
	// collector removes it once the root is gone.
	if err := e.client.Delete(ctx, "nb"); err != nil {
		t.Fatal(err)
	}
	if left := inNamespace(leftovers(t, e.cluster.Config(), "nb"), e.ns); len(left) > 0 {
		t.Errorf("left after Delete: %v", left)
	}
	background := metav1.DeletePropagationBackground
	if err := e.cs.CoreV1().ConfigMaps(e.ns).Delete(ctx, "pi", metav1.DeleteOptions{PropagationPolicy: &background}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the garbage collector to remove the Secret", func(ctx context.Context) (bool, error) {
		_, err := e.cs.CoreV1().Secrets(e.ns).Get(ctx, "pi-secret", metav1.GetOptions{})
		return err != nil, nil
	})
	eventually(t, "the garbage collector to remove the rest of pi", func(ctx context.Context) (bool, error) {
		return len(inNamespace(leftovers(t, e.cluster.Config(), "pi"), e.ns)) == 0, nil
	})
}

// checkSecretEnv fails the test when a container of obj (a pod or a pod
// template) has the cookie or password hash variable as a plain value: they
// must come from the Secret.
func checkSecretEnv(t *testing.T, obj map[string]any) {
	t.Helper()
	var find func(v any)
	find = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			if name, _ := v["name"].(string); strings.HasPrefix(name, "JRUN_") && (strings.Contains(name, "COOKIE") || strings.Contains(name, "PASSWORD")) {
				ref, _ := v["valueFrom"].(map[string]any)
				if _, plain := v["value"]; plain || ref["secretKeyRef"] == nil {
					t.Errorf("environment variable %s is not read from the Secret: %v", name, v)
				}
			}
			for _, x := range v {
				find(x)
			}
		case []any:
			for _, x := range v {
				find(x)
			}
		}
	}
	find(obj)
}

// jobObjects returns every object of every resource the API server serves
// that is labelled with one of the job names, as unstructured objects:
// what leftovers lists, in full.
func jobObjects(t *testing.T, e *env, names ...string) []unstructured.Unstructured {
	t.Helper()
	return labelledObjects(t, e.cluster.Config(), e.ns, "juliarun.io/job in ("+strings.Join(names, ",")+")")
}

func toJSON(t *testing.T, v any) string {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}
