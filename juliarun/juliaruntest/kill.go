package juliaruntest

import (
	"context"
	"errors"
	"fmt"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// KillContainer kills every process of a running container of a pod on the
// real node at once with SIGKILL, as the kernel does to a container over
// its memory limit on cgroup v2 (the kubelet sets memory.oom.group) and as
// a lost node does: no process of the container, PID 1 included, gets to
// run any more code, so nothing it would do on its way out happens. The
// kubelet then reports the container as it would any kill: exit code 137.
//
// The processes are killed through containerd (ctr tasks kill --all), the
// way the container runtime itself would signal them.
func (c *Cluster) KillContainer(ctx context.Context, namespace, pod, container string) error {
	if c.real == nil {
		return errors.New("juliaruntest: KillContainer: the cluster has no real node (Options.RealNodes)")
	}
	p, err := c.client.CoreV1().Pods(namespace).Get(ctx, pod, metav1.GetOptions{})
	if err != nil {
		return fmt.Errorf("juliaruntest: KillContainer: %w", err)
	}
	var id string
	for _, cs := range p.Status.ContainerStatuses {
		if cs.Name == container && cs.State.Running != nil {
			_, id, _ = strings.Cut(cs.ContainerID, "://")
		}
	}
	if id == "" {
		return fmt.Errorf("juliaruntest: KillContainer: pod %s/%s has no running container %q", namespace, pod, container)
	}
	if p.Spec.NodeName != RealNodeName {
		return fmt.Errorf("juliaruntest: KillContainer: pod %s/%s is on node %q, not on the real node", namespace, pod, p.Spec.NodeName)
	}
	if _, err := c.real.ctr(ctx, "tasks", "kill", "--all", "--signal", "SIGKILL", id); err != nil {
		return fmt.Errorf("juliaruntest: KillContainer: %w", err)
	}
	return nil
}
