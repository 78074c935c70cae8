package juliaruntest

import (
	"context"
	"fmt"
	"strconv"

	corev1 "k8s.io/api/core/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// PoolLabel is the label every node of a NodePool carries, with the pool's
// name as its value: a pod selects a pool with the nodeSelector
// {PoolLabel: name}. The nodes of Options.Nodes do not carry it.
const PoolLabel = "juliaruntest.juliarun.io/pool"

// NodePool is a group of simulated nodes of one shape, named
// PoolNodeName(Name, i), labelled PoolLabel=Name (besides NodeLabel=kwok,
// the hostname, OS and architecture labels and Labels), and tainted with
// Taints. Like the nodes of Options.Nodes, kwok simulates them: the
// scheduler places pods on them against their capacity, labels and
// taints, and kwok marks the pods Running.
type NodePool struct {
	// Name names the pool and its nodes: a DNS label, unique among the
	// pools, and neither "kwok-node" nor "real-node" (the names of the
	// other nodes). Required.
	Name string
	// Count is the number of nodes in the pool. Default: 0, a pool without
	// nodes.
	Count int
	// CPU is each node's CPU capacity, a quantity. Default: "4".
	CPU string
	// Memory is each node's memory capacity, a quantity. Default: "16Gi".
	Memory string
	// GPU is each node's number of nvidia.com/gpu (GPUResource). Default:
	// 0, none offered.
	GPU int
	// Pods is the number of pods each node can hold. Default: 110, as a
	// kubelet's.
	Pods int
	// Labels are added to each node's labels. They must not set PoolLabel,
	// NodeLabel or the hostname label, which the kit sets; they may set
	// the OS and architecture labels (default linux, amd64). Default: none.
	Labels map[string]string
	// Taints are each node's taints: pods without a matching toleration do
	// not run there (NoSchedule), are not preferred there
	// (PreferNoSchedule), or are evicted (NoExecute). Default: none.
	Taints []corev1.Taint
}

// PoolNodeName returns the name of the i-th node (from 0) of the pool
// named pool: "<pool>-<i>".
func PoolNodeName(pool string, i int) string { return pool + "-" + strconv.Itoa(i) }

// reservedPoolName reports whether a pool named name would give its nodes
// the names of the kit's other nodes (NodeName, RealNodeName).
func reservedPoolName(name string) bool { return name == "kwok-node" || name == "real-node" }

// defaultPool is the unnamed pool of Options.Nodes, NodeCPU, NodeMemory,
// NodeGPU and NodePods; its nodes are named NodeName(i) and carry no
// PoolLabel.
func (o Options) defaultPool() NodePool {
	return NodePool{Count: o.Nodes, CPU: o.NodeCPU, Memory: o.NodeMemory, GPU: o.NodeGPU, Pods: o.NodePods}
}

// withDefaults returns p with its unset fields set to their defaults.
func (p NodePool) withDefaults() NodePool {
	if p.CPU == "" {
		p.CPU = "4"
	}
	if p.Memory == "" {
		p.Memory = "16Gi"
	}
	if p.Pods == 0 {
		p.Pods = 110
	}
	return p
}

// nodeName returns the name of the pool's i-th node.
func (p NodePool) nodeName(i int) string {
	if p.Name == "" {
		return NodeName(i)
	}
	return PoolNodeName(p.Name, i)
}

// simulatedNodes returns the number of simulated nodes of every pool.
func (o Options) simulatedNodes() int {
	n := o.Nodes
	for _, p := range o.NodePools {
		n += p.Count
	}
	return n
}

// validate checks the options that need no I/O, after withDefaults, and
// returns every problem, each naming its field (Options.NodePools[1].CPU).
func (o Options) validate() error {
	errs := o.fieldErrors()
	if len(errs) == 0 {
		return nil
	}
	return fmt.Errorf("juliaruntest: %w", errs.ToAggregate())
}

// fieldErrors returns validate's problems.
func (o Options) fieldErrors() field.ErrorList {
	root := field.NewPath("Options")
	var errs field.ErrorList
	if o.Nodes < 0 {
		errs = append(errs, field.Invalid(root.Child("Nodes"), o.Nodes, "must not be negative"))
	}
	errs = append(errs, validateShape(o.defaultPool(), root, "Node")...)
	if o.JobPodLifetime < 0 {
		errs = append(errs, field.Invalid(root.Child("JobPodLifetime"), o.JobPodLifetime.String(), "must not be negative"))
	}
	if o.RealNodes < 0 || o.RealNodes > 1 {
		errs = append(errs, field.Invalid(root.Child("RealNodes"), o.RealNodes, "must be 0 or 1 (one real node per machine)"))
	}
	if len(o.RealNodeImages) > 0 && o.RealNodes == 0 {
		errs = append(errs, field.Forbidden(root.Child("RealNodeImages"), "needs a real node (Options.RealNodes)"))
	}
	seen := map[string]bool{}
	for i, p := range o.NodePools {
		path := root.Child("NodePools").Index(i)
		errs = append(errs, validatePool(p, path)...)
		if p.Name != "" && seen[p.Name] {
			errs = append(errs, field.Duplicate(path.Child("Name"), p.Name))
		}
		seen[p.Name] = true
	}
	return errs
}

// validatePool checks one NodePool at path.
func validatePool(p NodePool, path *field.Path) field.ErrorList {
	var errs field.ErrorList
	name := path.Child("Name")
	switch {
	case p.Name == "":
		errs = append(errs, field.Required(name, "a pool needs a name"))
	case reservedPoolName(p.Name):
		errs = append(errs, field.Invalid(name, p.Name, "reserved: the kit's other nodes are named "+NodeName(0)+" and "+RealNodeName))
	default:
		// The longest node name must be a DNS label: it is the hostname
		// label's value too.
		for _, msg := range validation.IsDNS1123Label(PoolNodeName(p.Name, max(p.Count-1, 0))) {
			errs = append(errs, field.Invalid(name, p.Name, "node name "+PoolNodeName(p.Name, max(p.Count-1, 0))+": "+msg))
		}
	}
	if p.Count < 0 {
		errs = append(errs, field.Invalid(path.Child("Count"), p.Count, "must not be negative"))
	}
	errs = append(errs, validateShape(p, path, "")...)
	errs = append(errs, metav1validation.ValidateLabels(p.Labels, path.Child("Labels"))...)
	for _, key := range []string{PoolLabel, NodeLabel, corev1.LabelHostname} {
		if _, ok := p.Labels[key]; ok {
			errs = append(errs, field.Forbidden(path.Child("Labels").Key(key), "set by juliaruntest"))
		}
	}
	type keyEffect struct {
		key    string
		effect corev1.TaintEffect
	}
	seen := map[keyEffect]bool{}
	for i, t := range p.Taints {
		tp := path.Child("Taints").Index(i)
		for _, msg := range validation.IsQualifiedName(t.Key) {
			errs = append(errs, field.Invalid(tp.Child("Key"), t.Key, msg))
		}
		for _, msg := range validation.IsValidLabelValue(t.Value) {
			errs = append(errs, field.Invalid(tp.Child("Value"), t.Value, msg))
		}
		switch t.Effect {
		case corev1.TaintEffectNoSchedule, corev1.TaintEffectPreferNoSchedule, corev1.TaintEffectNoExecute:
		default:
			errs = append(errs, field.NotSupported(tp.Child("Effect"), t.Effect, []corev1.TaintEffect{
				corev1.TaintEffectNoSchedule, corev1.TaintEffectPreferNoSchedule, corev1.TaintEffectNoExecute}))
		}
		if ke := (keyEffect{t.Key, t.Effect}); seen[ke] {
			errs = append(errs, field.Duplicate(tp, t.Key+":"+string(t.Effect)))
		} else {
			seen[ke] = true
		}
	}
	return errs
}

// validateShape checks a pool's capacity fields, named prefix+"CPU" and so
// on under path: NodeCPU for the default pool, CPU for a NodePool.
func validateShape(p NodePool, path *field.Path, prefix string) field.ErrorList {
	var errs field.ErrorList
	for _, q := range []struct{ field, value string }{{"CPU", p.CPU}, {"Memory", p.Memory}} {
		if _, err := parseCapacity(q.value); err != nil {
			errs = append(errs, field.Invalid(path.Child(prefix+q.field), q.value, err.Error()))
		}
	}
	for _, n := range []struct {
		field string
		value int
	}{{"GPU", p.GPU}, {"Pods", p.Pods}} {
		if n.value < 0 {
			errs = append(errs, field.Invalid(path.Child(prefix+n.field), n.value, "must not be negative"))
		}
	}
	return errs
}

// parseCapacity parses a non-negative quantity.
func parseCapacity(s string) (resource.Quantity, error) {
	q, err := resource.ParseQuantity(s)
	if err != nil {
		return q, fmt.Errorf("not a quantity (like \"4\", \"500m\", \"16Gi\"): %w", err)
	}
	if q.Sign() < 0 {
		return q, fmt.Errorf("must not be negative")
	}
	return q, nil
}

// CreatePriorityClass creates the cluster-wide PriorityClass name with
// value: pods naming it (priorityClassName) get that priority, and preempt
// pods of lower priority when no node has room for them.
func (c *Cluster) CreatePriorityClass(ctx context.Context, name string, value int32) error {
	pc := &schedulingv1.PriorityClass{ObjectMeta: metav1.ObjectMeta{Name: name}, Value: value}
	if _, err := c.client.SchedulingV1().PriorityClasses().Create(ctx, pc, metav1.CreateOptions{}); err != nil {
		return fmt.Errorf("juliaruntest: CreatePriorityClass %s: %w", name, err)
	}
	return nil
}
