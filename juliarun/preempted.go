package juliarun

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// reasonPreempted is the reason of the Normal event the scheduler records
// on each pod it preempts for a higher-priority one ("Preempted by pod
// <uid> on node <node>"), just before it deletes the pod.
const reasonPreempted = "Preempted"

// withPreemptions returns why, the reason waiting workers wait, led by how
// many of them the scheduler preempted for higher-priority pods. A
// preempted worker is deleted, and replaced by a pod that waits for room
// like any other (a StatefulSet's under the same name, an Indexed Job's
// under a new one), so only the scheduler's events say what happened: one
// more request, made only while workers wait. Reading events is optional
// in the Role: where it is forbidden, why is returned as it is.
func (k *kubeClient) withPreemptions(ctx context.Context, workers client.Object, why string) (string, error) {
	var events corev1.EventList
	err := k.c.List(ctx, &events, client.InNamespace(k.ns), client.MatchingFields{
		"involvedObject.kind": "Pod", "reason": reasonPreempted})
	if apierrors.IsForbidden(err) {
		return why, nil
	}
	if err != nil {
		return "", err
	}
	return joinReasons(preemptedWorkers(workers, events.Items), why), nil
}

// preemptedWorkers says how many pods of the worker workload the
// scheduler preempted since the workload was made, from the namespace's
// Preempted events ("" for none). Events carry no labels: a worker pod is
// known by the name its workload's controller gives it, and events older
// than the workload are of an earlier job of the same name.
func preemptedWorkers(workers client.Object, events []corev1.Event) string {
	created := workers.GetCreationTimestamp().Time
	pods := map[types.UID]bool{}
	for i := range events {
		e := &events[i]
		if e.Reason != reasonPreempted || e.InvolvedObject.Kind != "Pod" || lastSeen(e).Before(created) ||
			!podOf(workers, e.InvolvedObject.Name) {
			continue
		}
		pods[e.InvolvedObject.UID] = true
	}
	switch len(pods) {
	case 0:
		return ""
	case 1:
		return "1 worker preempted by a higher-priority pod"
	}
	return fmt.Sprintf("%d workers preempted by higher-priority pods", len(pods))
}

// maxGeneratedPrefix is the longest generateName prefix the API server
// keeps whole (63 less the 5 random characters).
const maxGeneratedPrefix = 58

// podOf reports whether pod is a name the controller of workload gives its
// pods: "<statefulset>-<ordinal>", "<job>-<index>-<random>" (the job name
// cut short when the prefix would exceed maxGeneratedPrefix, as the Job
// controller does) or "<deployment>-<hash>-<random>".
func podOf(workload client.Object, pod string) bool {
	name := workload.GetName()
	switch workload.(type) {
	case *appsv1.StatefulSet:
		ordinal, ok := strings.CutPrefix(pod, name+"-")
		return ok && isIndex(ordinal)
	case *batchv1.Job:
		rest, random, ok := cutLast(pod)
		if !ok || random == "" {
			return false
		}
		prefix, index, ok := cutLast(rest)
		if !ok || !isIndex(index) {
			return false
		}
		if prefix == name {
			return true
		}
		// Cut short: prefix + "-<index>-" fills the allowed length.
		return len(prefix) < len(name) && strings.HasPrefix(name, prefix) &&
			len(prefix)+len(index)+2 == maxGeneratedPrefix
	case *appsv1.Deployment:
		rest, random, ok := cutLast(pod)
		if !ok || random == "" {
			return false
		}
		prefix, hash, ok := cutLast(rest)
		return ok && hash != "" && prefix == name
	}
	return false
}

// cutLast cuts s around its last "-".
func cutLast(s string) (before, after string, found bool) {
	i := strings.LastIndex(s, "-")
	if i < 0 {
		return s, "", false
	}
	return s[:i], s[i+1:], true
}

// isIndex reports whether s is a pod index: decimal digits, no sign.
func isIndex(s string) bool {
	if s == "" || strings.TrimLeft(s, "0123456789") != "" {
		return false
	}
	_, err := strconv.Atoi(s)
	return err == nil
}
