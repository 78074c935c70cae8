package juliaruntest

import (
	"context"
	"fmt"
	"strconv"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
)

// Node labels and annotations of the simulated nodes.
const (
	kwokNodeAnnotation = "kwok.x-k8s.io/node"
	// NodeLabel marks the simulated nodes: NodeLabel=kwok.
	NodeLabel = "type"
	// GPUResource is the extended resource simulated GPUs are offered as.
	GPUResource corev1.ResourceName = "nvidia.com/gpu"
)

// NodeName returns the name of the i-th simulated node (from 0).
func NodeName(i int) string { return "kwok-node-" + strconv.Itoa(i) }

func (c *Cluster) node(i int) (*corev1.Node, error) {
	capacity := corev1.ResourceList{}
	for name, value := range map[corev1.ResourceName]string{
		corev1.ResourceCPU: c.opts.NodeCPU, corev1.ResourceMemory: c.opts.NodeMemory,
		corev1.ResourcePods: strconv.Itoa(c.opts.NodePods),
	} {
		q, err := resource.ParseQuantity(value)
		if err != nil {
			return nil, fmt.Errorf("juliaruntest: node %s %q: %w", name, value, err)
		}
		capacity[name] = q
	}
	if c.opts.NodeGPU > 0 {
		capacity[GPUResource] = *resource.NewQuantity(int64(c.opts.NodeGPU), resource.DecimalSI)
	}
	name := NodeName(i)
	return &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{
			Name:        name,
			Annotations: map[string]string{kwokNodeAnnotation: "fake", "node.alpha.kubernetes.io/ttl": "0"},
			Labels: map[string]string{
				NodeLabel: "kwok", corev1.LabelHostname: name, corev1.LabelOSStable: "linux",
				corev1.LabelArchStable: "amd64",
			},
		},
		Status: corev1.NodeStatus{Capacity: capacity, Allocatable: capacity.DeepCopy()},
	}, nil
}

// createNodes creates the simulated nodes and waits until kwok reports every
// one Ready.
func (c *Cluster) createNodes(ctx context.Context, kwok *component) error {
	for i := range c.opts.Nodes {
		n, err := c.node(i)
		if err != nil {
			return err
		}
		if _, err := c.client.CoreV1().Nodes().Create(ctx, n, metav1.CreateOptions{}); err != nil {
			return fmt.Errorf("juliaruntest: creating node %s: %w", n.Name, err)
		}
	}
	err := wait.PollUntilContextCancel(ctx, 100*time.Millisecond, true, func(ctx context.Context) (bool, error) {
		if err := kwok.running(); err != nil {
			return false, err
		}
		for i := range c.opts.Nodes {
			n, err := c.client.CoreV1().Nodes().Get(ctx, NodeName(i), metav1.GetOptions{})
			if err != nil || !nodeReady(n) {
				return false, nil
			}
		}
		return true, nil
	})
	if err != nil {
		return fmt.Errorf("juliaruntest: waiting for %d nodes to be Ready: %w%s", c.opts.Nodes, err, c.logHint())
	}
	return nil
}

func nodeReady(n *corev1.Node) bool {
	for _, cond := range n.Status.Conditions {
		if cond.Type == corev1.NodeReady {
			return cond.Status == corev1.ConditionTrue
		}
	}
	return false
}
