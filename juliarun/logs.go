package juliarun

import (
	"context"
	"fmt"
	"io"
	"sort"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/juliarun/sdk/internal/labels"
)

// DefaultLogLines is how many lines Logs returns unless told otherwise, as
// the original JuliaRun's tail did.
const DefaultLogLines = 50

// LogOptions choose what Logs returns.
type LogOptions struct {
	// Worker is the name of the worker pod to read; empty reads the master
	// (for jobs without a master, the first worker).
	Worker string
	// Lines is the number of last lines to return. Default: 50; negative:
	// all of them.
	Lines int
	// Follow keeps the stream open and returns new lines as they come,
	// until ctx ends or the process exits.
	Follow bool
}

// Logs streams the last lines of the output of the job's master, or of one
// of its workers. The caller closes the stream.
func (k *kubeClient) Logs(ctx context.Context, name string, opts LogOptions) (io.ReadCloser, error) {
	s, _, err := k.spec(ctx, name)
	if err != nil {
		return nil, fmt.Errorf("logs: %w", err)
	}
	pod := opts.Worker
	if pod == "" {
		if pod, err = k.masterPod(ctx, name); err != nil {
			return nil, fmt.Errorf("logs %s: %w", name, err)
		}
	} else {
		var p corev1.Pod
		if err := k.c.Get(ctx, client.ObjectKey{Namespace: k.ns, Name: pod}, &p); err != nil {
			return nil, fmt.Errorf("logs %s: worker %s: %w", name, pod, err)
		}
		if p.Labels[labels.Job] != name {
			return nil, fmt.Errorf("logs %s: pod %s is not one of its workers: %w", name, pod, ErrNotFound)
		}
	}
	lines := int64(opts.Lines)
	if opts.Lines == 0 {
		lines = DefaultLogLines
	}
	po := &corev1.PodLogOptions{Follow: opts.Follow}
	if lines > 0 {
		po.TailLines = &lines
	}
	stream, err := k.cs.CoreV1().Pods(k.ns).GetLogs(pod, po).Stream(ctx)
	if err != nil {
		return nil, fmt.Errorf("logs %s (%s): %w", name, s.Type, err)
	}
	k.logger(ctx, name).V(1).Info("logs opened", "pod", pod, "follow", opts.Follow)
	return stream, nil
}

// masterPod returns the newest pod of the job's master, or of its workers
// when it has no master.
func (k *kubeClient) masterPod(ctx context.Context, name string) (string, error) {
	for _, role := range []string{labels.RoleMaster, labels.RoleWorker} {
		pods, err := k.pods(ctx, name, role, "", 0)
		if err != nil {
			return "", err
		}
		if len(pods) == 0 {
			continue
		}
		sort.Slice(pods, func(i, j int) bool {
			a, b := pods[i], pods[j]
			if !a.CreationTimestamp.Equal(&b.CreationTimestamp) {
				return b.CreationTimestamp.Before(&a.CreationTimestamp)
			}
			return a.Name < b.Name
		})
		return pods[0].Name, nil
	}
	return "", fmt.Errorf("no pod yet: %w", ErrNotFound)
}
