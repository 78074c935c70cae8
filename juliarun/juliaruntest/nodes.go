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

// node returns the i-th node of pool, which has its defaults set.
func (p NodePool) node(i int) (*corev1.Node, error) {
	capacity := corev1.ResourceList{corev1.ResourcePods: *resource.NewQuantity(int64(p.Pods), resource.DecimalSI)}
	for name, value := range map[corev1.ResourceName]string{corev1.ResourceCPU: p.CPU, corev1.ResourceMemory: p.Memory} {
		q, err := parseCapacity(value)
		if err != nil {
			return nil, fmt.Errorf("juliaruntest: node %s %q: %w", name, value, err)
		}
		capacity[name] = q
	}
	if p.GPU > 0 {
		capacity[GPUResource] = *resource.NewQuantity(int64(p.GPU), resource.DecimalSI)
	}
	name := p.nodeName(i)
	labels := map[string]string{corev1.LabelOSStable: "linux", corev1.LabelArchStable: "amd64"}
	for k, v := range p.Labels {
		labels[k] = v
	}
	labels[NodeLabel] = "kwok"
	labels[corev1.LabelHostname] = name
	if p.Name != "" {
		labels[PoolLabel] = p.Name
	}
	var taints []corev1.Taint
	for _, t := range p.Taints {
		taints = append(taints, *t.DeepCopy())
	}
	return &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{
			Name:        name,
			Annotations: map[string]string{kwokNodeAnnotation: "fake", "node.alpha.kubernetes.io/ttl": "0"},
			Labels:      labels,
		},
		Spec:   corev1.NodeSpec{Taints: taints},
		Status: corev1.NodeStatus{Capacity: capacity, Allocatable: capacity.DeepCopy()},
	}, nil
}

// nodePools returns the default pool (Options.Nodes) and Options.NodePools,
// of options whose defaults are set.
func (o Options) nodePools() []NodePool { return append([]NodePool{o.defaultPool()}, o.NodePools...) }

// createNodes creates the simulated nodes of every pool and waits until
// kwok reports every one Ready.
func (c *Cluster) createNodes(ctx context.Context, kwok *component) error {
	var names []string
	for _, pool := range c.opts.nodePools() {
		for i := range pool.Count {
			n, err := pool.node(i)
			if err != nil {
				return err
			}
			if _, err := c.client.CoreV1().Nodes().Create(ctx, n, metav1.CreateOptions{}); err != nil {
				return fmt.Errorf("juliaruntest: creating node %s: %w", n.Name, err)
			}
			names = append(names, n.Name)
		}
	}
	err := wait.PollUntilContextCancel(ctx, 100*time.Millisecond, true, func(ctx context.Context) (bool, error) {
		if err := kwok.running(); err != nil {
			return false, err
		}
		for _, name := range names {
			n, err := c.client.CoreV1().Nodes().Get(ctx, name, metav1.GetOptions{})
			if err != nil || !nodeReady(n) {
				return false, nil
			}
		}
		return true, nil
	})
	if err != nil {
		return fmt.Errorf("juliaruntest: waiting for %d nodes to be Ready: %w%s", len(names), err, c.logHint())
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
