package juliarun_test

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/yaml"

	"github.com/juliarun/sdk/jobs"
	"github.com/juliarun/sdk/juliarun"
	"github.com/juliarun/sdk/juliarun/juliaruntest"
)

var updateRBAC = flag.Bool("update-rbac", false, "rewrite deploy/rbac.yaml from juliarun.Role")

const rbacYAMLHeader = `# The RBAC Role a juliarun Client needs in the namespace its jobs live in:
# juliarun.Role, whose doc comment says which call uses which verb. Generated
# by go test ./juliarun -run TestRoleYAML -update-rbac; do not edit.
#
#   kubectl apply -n science -f deploy/rbac.yaml
#   kubectl create rolebinding juliarun -n science --role=juliarun \
#       --serviceaccount=science:<the program's service account>
`

// TestRoleYAML checks that deploy/rbac.yaml is juliarun.Role.
func TestRoleYAML(t *testing.T) {
	path := filepath.Join("..", "deploy", "rbac.yaml")
	want := juliarun.Role("")
	if *updateRBAC {
		y, err := yaml.Marshal(want)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, append([]byte(rbacYAMLHeader), y...), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test ./juliarun -run TestRoleYAML -update-rbac writes it)", err)
	}
	var got rbacv1.Role
	if err := yaml.UnmarshalStrict(data, &got); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, &got); diff != "" {
		t.Errorf("deploy/rbac.yaml is not juliarun.Role (-want +got); go test ./juliarun -run TestRoleYAML -update-rbac rewrites it:\n%s", diff)
	}
}

// rbacJobs are the jobs whose lifecycles together use every verb of the
// Role: a Distributed job (Secret, master Job, Indexed Job of workers,
// patched to scale), a job array of a StatefulSet, and a Webserver
// (Deployment).
func rbacJobs() []jobs.Job {
	return []jobs.Job{
		jobs.NewParBatch("pi", "pi.jl", "work", jobs.WithNWorkers(1)),
		jobs.NewParBatchWorkers("units", "unit.jl", "work", jobs.WithNWorkers(1)),
		jobs.NewWebserver("web", "nginx.conf", "work"),
	}
}

// grantRole creates a ServiceAccount in the env's namespace bound to role
// alone, waits until the authorizer knows of it, and returns a Client that
// acts as it (impersonation, from the admin configuration).
func grantRole(e *env, role *rbacv1.Role) (juliarun.Client, error) {
	ctx := context.Background()
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "runner", Namespace: e.ns}}
	if _, err := e.cs.CoreV1().ServiceAccounts(e.ns).Create(ctx, sa, metav1.CreateOptions{}); err != nil {
		return nil, err
	}
	if _, err := e.cs.RbacV1().Roles(e.ns).Create(ctx, role, metav1.CreateOptions{}); err != nil {
		return nil, err
	}
	user := "system:serviceaccount:" + e.ns + ":runner"
	binding := &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "runner", Namespace: e.ns},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: role.Name},
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Name: "runner", Namespace: e.ns}},
	}
	if _, err := e.cs.RbacV1().RoleBindings(e.ns).Create(ctx, binding, metav1.CreateOptions{}); err != nil {
		return nil, err
	}
	// The authorizer learns of new bindings through a watch: ask until it
	// allows the first verb of the first rule.
	r := role.Rules[0]
	err := wait.PollUntilContextTimeout(ctx, 20*time.Millisecond, 10*time.Second, true, func(ctx context.Context) (bool, error) {
		sar, err := e.cs.AuthorizationV1().SubjectAccessReviews().Create(ctx, &authorizationv1.SubjectAccessReview{
			Spec: authorizationv1.SubjectAccessReviewSpec{User: user, ResourceAttributes: &authorizationv1.ResourceAttributes{
				Namespace: e.ns, Verb: r.Verbs[0], Group: r.APIGroups[0], Resource: r.Resources[0]}}}, metav1.CreateOptions{})
		return err == nil && sar.Status.Allowed, err
	})
	if err != nil {
		return nil, fmt.Errorf("the binding does not take effect: %w", err)
	}
	cfg := rest.CopyConfig(e.cluster.Config())
	cfg.Impersonate = rest.ImpersonationConfig{UserName: user}
	return juliarun.New(cfg, juliarun.WithNamespace(e.ns))
}

// lifecycle runs every Client call on job through c, in the order a
// program would, and returns the first error: Start, Wait (running, with
// its workers), Status, NWorkers, Logs of the master and of a worker,
// Scale, Update (where it applies), Endpoint, List and Delete. A Start
// that fails must leave nothing behind.
func lifecycle(ctx context.Context, e *env, c juliarun.Client, job jobs.Job) error {
	name := job.Spec().Name
	if err := c.Start(ctx, job); err != nil {
		if left := e.objectsOf(name); len(left) > 0 {
			return fmt.Errorf("%w; and the failed Start left %v", err, left)
		}
		return err
	}
	workers := job.Spec().NWorkers
	if !jobs.HasWorkers(job.Type()) {
		workers = 0
	}
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	st, err := c.Wait(wctx, name, func(s *juliarun.Status) bool { return s.Phase == juliarun.PhaseRunning && s.Running >= workers })
	if err != nil {
		return err
	}
	if st.Phase != juliarun.PhaseRunning {
		return fmt.Errorf("%s is %s: %s", name, st.Phase, st.Reason)
	}
	if _, err := c.Status(ctx, name); err != nil {
		return err
	}
	if _, err := c.NWorkers(ctx, name); err != nil {
		return err
	}
	logs := []juliarun.LogOptions{{Lines: 1}}
	if pods := e.podsOf(name, "worker"); len(pods) > 0 {
		logs = append(logs, juliarun.LogOptions{Lines: 1, Worker: pods[0]})
	}
	for _, opts := range logs {
		rc, err := c.Logs(ctx, name, opts)
		if err != nil {
			return err
		}
		_, err = io.Copy(io.Discard, rc)
		rc.Close()
		if err != nil {
			return err
		}
	}
	if jobs.HasWorkers(job.Type()) {
		workers++
		if err := c.Scale(ctx, name, workers); err != nil {
			return err
		}
	}
	if err := c.Update(ctx, changedWorkers(job, workers)); err != nil && !errors.Is(err, jobs.ErrInvalid) {
		return err
	}
	if _, err := c.Endpoint(ctx, name); err != nil && !errors.Is(err, juliarun.ErrNotFound) {
		return err
	}
	if _, err := c.List(ctx); err != nil {
		return err
	}
	return c.Delete(ctx, name)
}

// changedWorkers returns job, scaled to n workers, with its workers'
// environment changed, what Update may change on the types it applies to
// (for the others, Update says ErrInvalid).
func changedWorkers(job jobs.Job, n int) jobs.Job {
	s := job.Spec()
	switch job.Type() {
	case jobs.TypeParBatchWorkers:
		return jobs.NewParBatchWorkers(s.Name, s.StartScript, s.RunVolume, jobs.WithNWorkers(n), jobs.WithRestart(s.Restart),
			jobs.WithEnvVars(map[string]string{"LEVEL": "2"}))
	case jobs.TypeWebserver:
		return jobs.NewWebserver(s.Name, s.CfgFile, s.RunVolume, jobs.WithNWorkers(n),
			jobs.WithEnvVars(map[string]string{"LEVEL": "2"}))
	}
	return job
}

// objectsOf lists what the namespace holds of job name, as the admin.
func (e *env) objectsOf(name string) []string {
	admin, err := adminClient(e)
	if err != nil {
		return []string{err.Error()}
	}
	objs, err := storedObjects(context.Background(), admin, e.ns, []string{name})
	if err != nil {
		return []string{err.Error()}
	}
	var out []string
	for _, o := range objs[name] {
		out = append(out, o.kindName)
	}
	return out
}

// podsOf names the job's pods with role, as the admin.
func (e *env) podsOf(name, role string) []string {
	list, err := e.cs.CoreV1().Pods(e.ns).List(context.Background(), metav1.ListOptions{
		LabelSelector: "juliarun.io/job=" + name + ",juliarun.io/role=" + role})
	if err != nil {
		return nil
	}
	var out []string
	for _, p := range list.Items {
		out = append(out, p.Name)
	}
	return out
}

// TestLeastPrivilege runs the whole lifecycle of every job type, and the
// deletion of a job whose pods outlived their workload (orphanedPods), as a
// ServiceAccount bound to juliarun.Role alone: it works.
func TestLeastPrivilege(t *testing.T) {
	e := newEnv(t, sharedCluster(t))
	c, err := grantRole(e, juliarun.Role(e.ns))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	all := slices.Concat(rbacJobs(), []jobs.Job{
		jobs.NewBatch("batch", "run.jl", "work", jobs.WithPkgBundle("stats")),
		jobs.NewBatch("batch-ttl", "run.jl", "work", jobs.WithTTLAfterFinished(time.Hour)),
		jobs.NewParBatch("never", "pi.jl", "work", jobs.WithNWorkers(1), jobs.WithRestart(jobs.RestartNever)),
		jobs.NewParBatchWorkers("array", "unit.jl", "work", jobs.WithNWorkers(2)),
		jobs.NewNotebook("notebook", "work", jobs.WithPassword("s3cret"), jobs.WithNWorkers(1), jobs.WithExternal(true)),
		jobs.NewPkgBuilder("builder", "build.jl", "work", "stats"),
		jobs.NewMessageQ("queue", "rabbitmq.conf", "work"),
		jobs.NewGeneric("generic", "busybox", "work", jobs.WithCommand("sleep", "infinity")),
	})
	var wg sync.WaitGroup
	errs := make([]error, len(all))
	for i, job := range all {
		wg.Go(func() { errs[i] = lifecycle(ctx, e, c, job) })
	}
	var orphansErr error
	wg.Go(func() { orphansErr = orphanedPods(ctx, e, c) })
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("%s %s as the ServiceAccount: %v", all[i].Type(), all[i].Spec().Name, err)
		}
	}
	if orphansErr != nil {
		t.Errorf("deleting a job whose pods outlived their workload, as the ServiceAccount: %v", orphansErr)
	}
	for _, name := range append(names(all), orphansJob) {
		if left := e.objectsOf(name); len(left) > 0 {
			t.Errorf("left of %s: %v", name, left)
		}
	}
}

// orphansJob is the job of orphanedPods.
const orphansJob = "orphans"

// orphanedPods starts a job array and, as the admin, deletes its worker
// StatefulSet leaving its pods (orphan propagation); then Delete through c
// must find and delete those pods itself, as no garbage collector will.
func orphanedPods(ctx context.Context, e *env, c juliarun.Client) error {
	if err := c.Start(ctx, jobs.NewParBatchWorkers(orphansJob, "unit.jl", "work", jobs.WithNWorkers(1))); err != nil {
		return err
	}
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if _, err := c.Wait(wctx, orphansJob, juliarun.AtLeastWorkers(1)); err != nil {
		return err
	}
	orphan := metav1.DeletePropagationOrphan
	sts := orphansJob + "-workers"
	if err := e.cs.AppsV1().StatefulSets(e.ns).Delete(ctx, sts, metav1.DeleteOptions{PropagationPolicy: &orphan}); err != nil {
		return err
	}
	err := wait.PollUntilContextTimeout(ctx, 20*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
		_, err := e.cs.AppsV1().StatefulSets(e.ns).Get(ctx, sts, metav1.GetOptions{})
		return apierrors.IsNotFound(err), nil
	})
	if err != nil {
		return fmt.Errorf("the orphaned StatefulSet does not go: %w", err)
	}
	return c.Delete(ctx, orphansJob)
}

// names returns the names of js.
func names(js []jobs.Job) []string {
	out := make([]string, len(js))
	for i, j := range js {
		out[i] = j.Spec().Name
	}
	return out
}

// permission is one verb on one resource of the Role.
type permission struct {
	group, resource, verb string
}

// without returns role without p, splitting the rule that grants it.
func without(role *rbacv1.Role, p permission) *rbacv1.Role {
	out := role.DeepCopy()
	out.Rules = nil
	for _, r := range role.Rules {
		if !slices.Contains(r.Resources, p.resource) || r.APIGroups[0] != p.group {
			out.Rules = append(out.Rules, r)
			continue
		}
		for _, res := range r.Resources {
			rule := rbacv1.PolicyRule{APIGroups: r.APIGroups, Resources: []string{res}, Verbs: r.Verbs}
			if res == p.resource {
				rule.Verbs = slices.DeleteFunc(slices.Clone(r.Verbs), func(v string) bool { return v == p.verb })
			}
			if len(rule.Verbs) > 0 {
				out.Rules = append(out.Rules, rule)
			}
		}
	}
	return out
}

// TestEveryPermissionIsNeeded removes each verb of each resource of the
// Role in turn: the lifecycles of the rbacJobs and orphanedPods then fail
// with a Forbidden error that names the verb and the resource, and a failed
// Start leaves nothing.
func TestEveryPermissionIsNeeded(t *testing.T) {
	cluster := sharedCluster(t)
	var perms []permission
	for _, r := range juliarun.Role("").Rules {
		for _, res := range r.Resources {
			for _, v := range r.Verbs {
				perms = append(perms, permission{r.APIGroups[0], res, v})
			}
		}
	}
	const parallel = 6
	next := make(chan permission)
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range parallel {
		wg.Go(func() {
			for p := range next {
				failure, problem := withoutPermission(cluster, p)
				mu.Lock()
				if problem != "" {
					t.Errorf("without %s %s: %s", p.verb, p.resource, problem)
				} else {
					t.Logf("without %s %s: %s", p.verb, p.resource, failure)
				}
				mu.Unlock()
			}
		})
	}
	for _, p := range perms {
		next <- p
	}
	close(next)
	wg.Wait()
	t.Logf("%d permissions removed one at a time", len(perms))
}

// withoutPermission runs the lifecycles as a ServiceAccount bound to the
// Role without p, and returns how they failed, and what is wrong with that
// ("" when nothing is).
func withoutPermission(cluster *juliaruntest.Cluster, p permission) (failure, problem string) {
	e, err := makeEnv(cluster)
	if err != nil {
		return "", err.Error()
	}
	c, err := grantRole(e, without(juliarun.Role(e.ns), p))
	if err != nil {
		return "", err.Error()
	}
	ctx := context.Background()
	// The lifecycles run side by side; the first Forbidden error, in job
	// order, is the failure (else the first error).
	all := rbacJobs()
	errs := make([]error, len(all)+1)
	var wg sync.WaitGroup
	for i, job := range all {
		wg.Go(func() { errs[i] = lifecycle(ctx, e, c, job) })
	}
	wg.Go(func() { errs[len(all)] = orphanedPods(ctx, e, c) })
	wg.Wait()
	ferr := errors.Join(errs...) // nil when all worked
	if i := slices.IndexFunc(errs, apierrors.IsForbidden); i >= 0 {
		ferr = errs[i]
	} else if i := slices.IndexFunc(errs, func(err error) bool { return err != nil }); i >= 0 {
		ferr = errs[i]
	}
	// Clean up as the admin.
	for _, name := range append(names(rbacJobs()), orphansJob) {
		if err := e.client.Delete(ctx, name); err != nil && !errors.Is(err, juliarun.ErrNotFound) {
			return "", "cleaning up: " + err.Error()
		}
	}
	// See juliarun.Role: events make Status say more; list on kinds that
	// only Start lists (when the answer to a creation was lost) lets it
	// recover from that.
	optional := slices.Contains([]permission{{"", "events", "list"}, {"", "secrets", "list"},
		{"networking.k8s.io", "networkpolicies", "list"}}, p)
	switch {
	case optional && ferr == nil:
		return "the lifecycle works: an optional permission, as documented", ""
	case optional:
		return "", fmt.Sprintf("an optional permission, yet the lifecycle failed: %v", ferr)
	case ferr == nil:
		return "", "the lifecycle works: the permission is not needed"
	case !apierrors.IsForbidden(ferr):
		return "", fmt.Sprintf("failed with %v, not Forbidden", ferr)
	case !strings.Contains(ferr.Error(), fmt.Sprintf("cannot %s resource %q", p.verb, p.resource)):
		return "", fmt.Sprintf("the error does not name the permission: %v", ferr)
	}
	return ferr.Error(), ""
}
