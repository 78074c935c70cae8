package juliaruntest

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/retry"
)

// ExitPod makes the pod's simulated process exit with code (0 = success).
// Under restartPolicy Always, and under OnFailure with a non-zero code, the
// container restarts at once: its restart count goes up and its last state
// keeps the exit code. Otherwise the pod ends: Succeeded for 0, Failed with
// the code for anything else. The pod must be Running.
//
// The exit is written to the pod's status as a kubelet would report it, so
// the workload controllers react as they would to a real exit.
func (c *Cluster) ExitPod(ctx context.Context, namespace, pod string, code int) error {
	return retry.RetryOnConflict(retry.DefaultRetry, func() error {
		p, err := c.client.CoreV1().Pods(namespace).Get(ctx, pod, metav1.GetOptions{})
		if err != nil {
			return fmt.Errorf("juliaruntest: ExitPod: %w", err)
		}
		if p.Status.Phase != corev1.PodRunning {
			return fmt.Errorf("juliaruntest: ExitPod: pod %s/%s is %s, not Running", namespace, pod, p.Status.Phase)
		}
		exit(p, code, metav1.Now())
		_, err = c.client.CoreV1().Pods(namespace).UpdateStatus(ctx, p, metav1.UpdateOptions{})
		return err
	})
}

// exit applies an exit of every container of p with code, at now.
func exit(p *corev1.Pod, code int, now metav1.Time) {
	restart := p.Spec.RestartPolicy == corev1.RestartPolicyAlways ||
		(p.Spec.RestartPolicy == corev1.RestartPolicyOnFailure && code != 0)
	reason := "Completed"
	if code != 0 {
		reason = "Error"
	}
	for i := range p.Status.ContainerStatuses {
		cs := &p.Status.ContainerStatuses[i]
		started := now
		if cs.State.Running != nil {
			started = cs.State.Running.StartedAt
		}
		terminated := &corev1.ContainerStateTerminated{
			ExitCode: int32(code), Reason: reason, StartedAt: started, FinishedAt: now,
		}
		if restart {
			cs.LastTerminationState = corev1.ContainerState{Terminated: terminated}
			cs.State = corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: now}}
			cs.RestartCount++
			continue
		}
		cs.State = corev1.ContainerState{Terminated: terminated}
		cs.Ready = false
		f := false
		cs.Started = &f
	}
	if restart {
		return
	}
	p.Status.Phase = corev1.PodSucceeded
	if code != 0 {
		p.Status.Phase = corev1.PodFailed
	}
	for i := range p.Status.Conditions {
		switch p.Status.Conditions[i].Type {
		case corev1.PodReady, corev1.ContainersReady:
			p.Status.Conditions[i].Status = corev1.ConditionFalse
			p.Status.Conditions[i].LastTransitionTime = now
		}
	}
}
