package juliarun

import (
	"context"
	"fmt"

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
// like any other (under the same name or a new one, as its controller
// names pods), so only the scheduler's events say what happened: one
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
	return joinReasons(preemptedWorkers(k.layout, workers, events.Items), why), nil
}

// preemptedWorkers says how many pods of the worker workload the
// scheduler preempted since the workload was made, from the namespace's
// Preempted events ("" for none). Events carry no labels: a worker pod is
// known by the name its workload's controller gives it, and events older
// than the workload are of an earlier job of the same name. The layout
// knows its controllers' pod names (Layout.PodOf).
func preemptedWorkers(layout Layout, workers client.Object, events []corev1.Event) string {
	created := workers.GetCreationTimestamp().Time
	pods := map[types.UID]bool{}
	for i := range events {
		e := &events[i]
		if e.Reason != reasonPreempted || e.InvolvedObject.Kind != "Pod" || lastSeen(e).Before(created) ||
			!layout.PodOf(workers, e.InvolvedObject.Name) {
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
