package juliarun

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	k8slabels "k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/selection"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/juliarun/sdk/internal/labels"
	"github.com/juliarun/sdk/jobs"
)

// maxListedJobNames bounds the job names List puts in one label selector
// (`juliarun.io/job in (...)`) to read the pods of the jobs that need
// them; past it, List reads the pods of every job.
const maxListedJobNames = 100

// List returns the status of every job in the namespace, by name, with a
// fixed number of requests whatever the number of jobs: one list of the
// roots, one of each kind of workload the jobs have, one of the Services
// where a job has one, and one of the pods of the jobs whose workloads do
// not say everything (pending or failed, workers failed or waiting), all
// joined in memory by the label juliarun.io/job. Each job is then judged
// as Status judges it, except that List reads no events: where only an
// event says why a pod waits, its reason is shorter than Status's. A job
// deleted while List runs is left out, or listed as incomplete.
func (k *kubeClient) List(ctx context.Context) ([]Status, error) {
	entries, err := k.listRoots(ctx)
	if err != nil {
		return nil, fmt.Errorf("list: %w", err)
	}
	if err := k.listWorkloads(ctx, entries); err != nil {
		return nil, fmt.Errorf("list: %w", err)
	}
	bulk := &bulkReader{layout: k.layout, byJob: map[string][]corev1.Pod{}}
	// Judge each job as far as its workloads allow; note the jobs whose
	// pods must be read.
	var needPods []string
	withService := false
	for _, e := range entries {
		if e.snap.missing == "" && k.layout.PhaseNeedsPods(e.snap.master, e.snap.workers) {
			needPods = append(needPods, e.spec.Name)
		} else {
			e.obs = assess(k.layout, e.spec, e.created, e.snap)
			if need := e.obs.needs(k.layout); need.failedWorkers || need.workersWait || need.masterWait {
				needPods = append(needPods, e.spec.Name)
			}
		}
		withService = withService || k.layout.Service(e.spec) != ""
	}
	if err := k.listPods(ctx, needPods, bulk); err != nil {
		return nil, fmt.Errorf("list: %w", err)
	}
	if withService {
		var svcs corev1.ServiceList
		if err := k.c.List(ctx, &svcs, client.InNamespace(k.ns), client.HasLabels{labels.Job}); err != nil {
			return nil, fmt.Errorf("list: %w", err)
		}
		bulk.services = svcs.Items
	}
	out := make([]Status, 0, len(entries))
	for _, e := range entries {
		if e.obs == nil {
			if e.obs, err = k.observe(ctx, bulk, e.spec, e.created, e.snap); err != nil {
				return nil, fmt.Errorf("list %s: %w", e.spec.Name, err)
			}
		} else if err := k.explain(ctx, bulk, e.obs, e.snap); err != nil {
			return nil, fmt.Errorf("list %s: %w", e.spec.Name, err)
		}
		out = append(out, *decide(e.obs))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	k.logger(ctx, "").V(2).Info("jobs listed", "jobs", len(out))
	return out, nil
}

// listEntry is one job as List reads it.
type listEntry struct {
	spec    jobs.Spec
	created time.Time
	// master and workers are the empty workloads of Layout.Workloads,
	// which listWorkloads finds.
	master, workers client.Object
	snap            *snapshot
	obs             *observation
}

// listRoots lists the roots of the namespace's jobs (their full objects:
// the record is in them) and decodes each one's record.
func (k *kubeClient) listRoots(ctx context.Context) ([]*listEntry, error) {
	list, err := k.listOf(k.layout.Root("", k.ns))
	if err != nil {
		return nil, err
	}
	if err := k.c.List(ctx, list, client.InNamespace(k.ns),
		client.MatchingLabels{labels.Role: labels.RoleRoot, labels.ManagedBy: labels.ManagedByValue}); err != nil {
		return nil, err
	}
	roots, err := objectsOf(list)
	if err != nil {
		return nil, err
	}
	out := make([]*listEntry, 0, len(roots))
	for _, root := range roots {
		s, err := k.layout.Record(root)
		if errors.Is(err, ErrNotFound) {
			continue // labelled as a root, but none
		}
		if err != nil {
			return nil, fmt.Errorf("job %s: %w", root.GetLabels()[labels.Job], err)
		}
		e := &listEntry{spec: s, created: root.GetCreationTimestamp().Time, snap: &snapshot{}}
		e.master, e.workers = k.layout.Workloads(s, k.ns)
		out = append(out, e)
	}
	return out, nil
}

// listWorkloads lists, once per kind, the workloads of every job of the
// namespace (every object of the kind with the label juliarun.io/job),
// and gives each entry its own, or names the one that is missing.
func (k *kubeClient) listWorkloads(ctx context.Context, entries []*listEntry) error {
	var objs []client.Object
	for _, e := range entries {
		objs = append(objs, e.workers, e.master)
	}
	kinds, err := k.kindsOf(objs...)
	if err != nil {
		return err
	}
	found := map[schema.GroupVersionKind]map[string]client.Object{}
	for _, gvk := range kinds.order {
		list, err := k.listOf(kinds.sample[gvk])
		if err != nil {
			return err
		}
		if err := k.c.List(ctx, list, client.InNamespace(k.ns), client.HasLabels{labels.Job}); err != nil {
			return err
		}
		items, err := objectsOf(list)
		if err != nil {
			return err
		}
		byName := make(map[string]client.Object, len(items))
		for _, o := range items {
			byName[o.GetName()] = o
		}
		found[gvk] = byName
	}
	for _, e := range entries {
		for _, w := range []client.Object{e.workers, e.master} {
			if w == nil || e.snap.missing != "" {
				continue
			}
			got := found[kinds.of[w]][w.GetName()]
			if got == nil || got.GetLabels()[labels.Job] != e.spec.Name {
				e.snap.missing = k.describe(w)
				continue
			}
			if w == e.master {
				e.snap.master = got
			} else {
				e.snap.workers = got
			}
		}
		if e.snap.missing != "" {
			e.snap.master, e.snap.workers = nil, nil
		}
	}
	return nil
}

// listPods reads into bulk, with one request, the pods of the jobs named
// jobNames: by name where there are few, else every job's.
func (k *kubeClient) listPods(ctx context.Context, jobNames []string, bulk *bulkReader) error {
	if len(jobNames) == 0 {
		return nil
	}
	var sel client.ListOption = client.HasLabels{labels.Job}
	if len(jobNames) <= maxListedJobNames {
		req, err := k8slabels.NewRequirement(labels.Job, selection.In, jobNames)
		if err != nil {
			return err
		}
		sel = client.MatchingLabelsSelector{Selector: k8slabels.NewSelector().Add(*req)}
	}
	var pods corev1.PodList
	if err := k.c.List(ctx, &pods, client.InNamespace(k.ns), sel); err != nil {
		return err
	}
	for _, p := range pods.Items {
		job := p.Labels[labels.Job]
		bulk.byJob[job] = append(bulk.byJob[job], p)
	}
	for _, ps := range bulk.byJob {
		slices.SortFunc(ps, func(a, b corev1.Pod) int { return strings.Compare(a.Name, b.Name) })
	}
	return nil
}

// bulkReader answers List's reads from what it listed of every job at
// once: pods by job, in name order as the API server lists them, and
// Services. It reads no events, so it does not say why pods wait where
// only events tell (a volume, a preemption).
type bulkReader struct {
	layout   Layout
	byJob    map[string][]corev1.Pod
	services []corev1.Service
}

func (b *bulkReader) pods(_ context.Context, job, role string, phase corev1.PodPhase, limit int64) ([]corev1.Pod, error) {
	var out []corev1.Pod
	for _, p := range b.byJob[job] {
		if limit > 0 && int64(len(out)) == limit {
			break
		}
		if p.Labels[labels.Role] == role && (phase == "" || p.Status.Phase == phase) {
			out = append(out, p)
		}
	}
	return out, nil
}

func (b *bulkReader) warning(context.Context, string, string, types.UID) (string, error) {
	return "", nil
}

// withPreemptions returns why as it is: preemptions are told by events.
func (b *bulkReader) withPreemptions(_ context.Context, _ client.Object, why string) (string, error) {
	return why, nil
}

func (b *bulkReader) endpoint(_ context.Context, s jobs.Spec) (*Endpoint, error) {
	name := b.layout.Service(s)
	for i := range b.services {
		if svc := &b.services[i]; svc.Name == name && svc.Labels[labels.Job] == s.Name {
			return endpointOf(svc), nil
		}
	}
	return nil, apierrors.NewNotFound(corev1.Resource("services"), name)
}
