package juliarun

import (
	"context"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// warning returns the newest Warning event of the object of kind, name
// and uid, as "Reason: message", or "". What a pod or workload status does
// not say is there: a volume that cannot be attached (FailedAttachVolume, a
// ReadWriteOnce volume already attached to another node: "Multi-Attach
// error", "Waiting for detach" in releases since mid-2026) or mounted
// (FailedMount), a pod its controller may not create (FailedCreate: a
// quota, an admission denial). Reading events is optional in the Role:
// where it is forbidden, Status explains less.
func (k *kubeClient) warning(ctx context.Context, kind, name string, uid types.UID) (string, error) {
	fields := client.MatchingFields{"involvedObject.kind": kind, "involvedObject.name": name, "type": corev1.EventTypeWarning}
	if uid != "" {
		// Events outlive their object by about an hour: a StatefulSet's pod
		// made again keeps its name, and a job started again after a
		// Delete has workloads of the same names. Only the UID tells this
		// object's events from its predecessor's.
		fields["involvedObject.uid"] = string(uid)
	}
	var events corev1.EventList
	// No limit: the server lists in name order, not time order, and a
	// field selector on one object keeps the list short.
	err := k.c.List(ctx, &events, client.InNamespace(k.ns), fields)
	if apierrors.IsForbidden(err) {
		k.logger(ctx, "").V(1).Info("events not readable: Status explains less", "object", kind+" "+name)
		return "", nil
	}
	if err != nil {
		return "", err
	}
	return newestWarning(events.Items), nil
}

// newestWarning returns the most recent of events as "Reason: message".
func newestWarning(events []corev1.Event) string {
	var newest *corev1.Event
	for i := range events {
		if newest == nil || lastSeen(&events[i]).After(lastSeen(newest)) {
			newest = &events[i]
		}
	}
	if newest == nil {
		return ""
	}
	reason := newest.Reason
	if reason == "FailedScheduling" {
		// The scheduler records the event and then the pod's PodScheduled
		// condition; read in between, the pod is explained as it will be
		// once the condition is there (podReason).
		reason = "unschedulable"
	}
	return strings.TrimSuffix(reason+": "+strings.TrimSpace(newest.Message), ": ")
}

// lastSeen is when the event last happened, whichever events API wrote it.
func lastSeen(e *corev1.Event) time.Time {
	switch {
	case e.Series != nil && !e.Series.LastObservedTime.IsZero():
		return e.Series.LastObservedTime.Time
	case !e.LastTimestamp.IsZero():
		return e.LastTimestamp.Time
	case !e.EventTime.IsZero():
		return e.EventTime.Time
	}
	return e.CreationTimestamp.Time
}

// needsEvents reports whether a waiting pod's own status leaves its reason
// out: scheduled, but its containers are not created yet (volumes are
// attached and mounted before that, and their failures are only events).
func needsEvents(p *corev1.Pod) bool {
	why := podReason(p)
	return why == "" || strings.HasPrefix(why, "ContainerCreating") || strings.HasPrefix(why, "PodInitializing")
}
