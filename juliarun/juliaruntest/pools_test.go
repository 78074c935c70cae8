package juliaruntest

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"
)

func TestOptionsWithDefaults(t *testing.T) {
	const log = "juliaruntest: a simulated process on a simulated node; nothing runs here\n"
	tests := []struct {
		name string
		in   Options
		want Options
	}{{
		name: "zero",
		in:   Options{},
		want: Options{NodeCPU: "4", NodeMemory: "16Gi", NodePods: 110, PodLog: log},
	}, {
		name: "pools",
		in: Options{Nodes: 1, NodeCPU: "8", NodePools: []NodePool{
			{Name: "cpu", Count: 2},
			{Name: "gpu", Count: 1, CPU: "16", Memory: "64Gi", GPU: 4, Pods: 20,
				Labels: map[string]string{"accelerator": "nvidia"},
				Taints: []corev1.Taint{{Key: "nvidia.com/gpu", Value: "present", Effect: corev1.TaintEffectNoSchedule}}},
		}},
		want: Options{Nodes: 1, NodeCPU: "8", NodeMemory: "16Gi", NodePods: 110, PodLog: log, NodePools: []NodePool{
			{Name: "cpu", Count: 2, CPU: "4", Memory: "16Gi", Pods: 110},
			{Name: "gpu", Count: 1, CPU: "16", Memory: "64Gi", GPU: 4, Pods: 20,
				Labels: map[string]string{"accelerator": "nvidia"},
				Taints: []corev1.Taint{{Key: "nvidia.com/gpu", Value: "present", Effect: corev1.TaintEffectNoSchedule}}},
		}},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, tt.in.withDefaults()); diff != "" {
				t.Errorf("withDefaults (-want +got):\n%s", diff)
			}
		})
	}
	t.Run("caller's pools untouched", func(t *testing.T) {
		pools := []NodePool{{Name: "cpu", Count: 1}}
		_ = Options{NodePools: pools}.withDefaults()
		if diff := cmp.Diff([]NodePool{{Name: "cpu", Count: 1}}, pools); diff != "" {
			t.Errorf("the caller's NodePools changed (-want +got):\n%s", diff)
		}
	})
}

func TestOptionsValidate(t *testing.T) {
	gpuTaint := corev1.Taint{Key: "nvidia.com/gpu", Value: "present", Effect: corev1.TaintEffectNoSchedule}
	tests := []struct {
		name string
		opts Options
		want []string // the field errors, in order; none: valid
	}{{
		name: "zero",
	}, {
		name: "default pool and pools",
		opts: Options{Nodes: 2, NodeGPU: 1, NodePools: []NodePool{
			{Name: "cpu", Count: 3, CPU: "500m", Memory: "2Gi"},
			{Name: "gpu", Count: 1, GPU: 8, Labels: map[string]string{"accelerator": "nvidia", corev1.LabelArchStable: "arm64"},
				Taints: []corev1.Taint{gpuTaint, {Key: "nvidia.com/gpu", Effect: corev1.TaintEffectNoExecute}}},
			{Name: "empty"},
		}},
	}, {
		name: "default pool",
		opts: Options{Nodes: -1, NodeCPU: "four", NodeMemory: "-1Gi", NodeGPU: -1, NodePods: -2},
		want: []string{
			"Options.Nodes: Invalid value: -1: must not be negative",
			`Options.NodeCPU: Invalid value: "four": not a quantity (like "4", "500m", "16Gi"): quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'`,
			`Options.NodeMemory: Invalid value: "-1Gi": must not be negative`,
			"Options.NodeGPU: Invalid value: -1: must not be negative",
			"Options.NodePods: Invalid value: -2: must not be negative",
		},
	}, {
		name: "real node and lifetime",
		opts: Options{RealNodes: 2, JobPodLifetime: -time.Second},
		want: []string{
			`Options.JobPodLifetime: Invalid value: "-1s": must not be negative`,
			"Options.RealNodes: Invalid value: 2: must be 0 or 1 (one real node per machine)",
		},
	}, {
		name: "images without a real node",
		opts: Options{Nodes: 1, RealNodeImages: []string{"/dev/null"}},
		want: []string{"Options.RealNodeImages: Forbidden: needs a real node (Options.RealNodes)"},
	}, {
		name: "pool names",
		opts: Options{NodePools: []NodePool{
			{Count: 1}, {Name: "gpu"}, {Name: "gpu"}, {Name: "GPU"}, {Name: "kwok-node"}, {Name: "real-node"},
			{Name: strings.Repeat("p", 62), Count: 10},
		}},
		want: []string{
			"Options.NodePools[0].Name: Required value: a pool needs a name",
			`Options.NodePools[2].Name: Duplicate value: "gpu"`,
			`Options.NodePools[3].Name: Invalid value: "GPU": node name GPU-0: a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')`,
			`Options.NodePools[4].Name: Invalid value: "kwok-node": reserved: the kit's other nodes are named kwok-node-0 and real-node-0`,
			`Options.NodePools[5].Name: Invalid value: "real-node": reserved: the kit's other nodes are named kwok-node-0 and real-node-0`,
			`Options.NodePools[6].Name: Invalid value: "` + strings.Repeat("p", 62) + `": node name ` + strings.Repeat("p", 62) + `-9: must be no more than 63 characters`,
		},
	}, {
		name: "pool shape",
		opts: Options{NodePools: []NodePool{{Name: "bad", Count: -1, CPU: "-2", Memory: "lots", GPU: -1, Pods: -1}}},
		want: []string{
			"Options.NodePools[0].Count: Invalid value: -1: must not be negative",
			`Options.NodePools[0].CPU: Invalid value: "-2": must not be negative`,
			`Options.NodePools[0].Memory: Invalid value: "lots": not a quantity (like "4", "500m", "16Gi"): quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'`,
			"Options.NodePools[0].GPU: Invalid value: -1: must not be negative",
			"Options.NodePools[0].Pods: Invalid value: -1: must not be negative",
		},
	}, {
		name: "pool labels",
		opts: Options{NodePools: []NodePool{{Name: "l", Count: 1, Labels: map[string]string{
			PoolLabel: "other", NodeLabel: "real", corev1.LabelHostname: "h", "bad key!": "v",
		}}}},
		want: []string{
			`Options.NodePools[0].Labels: Invalid value: "bad key!": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')`,
			"Options.NodePools[0].Labels[juliaruntest.juliarun.io/pool]: Forbidden: set by juliaruntest",
			"Options.NodePools[0].Labels[type]: Forbidden: set by juliaruntest",
			"Options.NodePools[0].Labels[kubernetes.io/hostname]: Forbidden: set by juliaruntest",
		},
	}, {
		name: "pool taints",
		opts: Options{NodePools: []NodePool{{Name: "t", Count: 1, Taints: []corev1.Taint{
			gpuTaint, gpuTaint,
			{Key: "", Effect: corev1.TaintEffectNoSchedule},
			{Key: "k", Value: "bad value!", Effect: "NoWay"},
		}}}},
		want: []string{
			`Options.NodePools[0].Taints[1]: Duplicate value: "nvidia.com/gpu:NoSchedule"`,
			`Options.NodePools[0].Taints[2].Key: Invalid value: "": name part must be non-empty`,
			`Options.NodePools[0].Taints[2].Key: Invalid value: "": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')`,
			`Options.NodePools[0].Taints[3].Value: Invalid value: "bad value!": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')`,
			`Options.NodePools[0].Taints[3].Effect: Unsupported value: "NoWay": supported values: "NoSchedule", "PreferNoSchedule", "NoExecute"`,
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, e := range tt.opts.withDefaults().fieldErrors() {
				got = append(got, e.Error())
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("field errors (-want +got):\n%s", diff)
			}
		})
	}
}

// TestStartRefusesBadPools: Start checks the options before it starts
// anything, binaries or not.
func TestStartRefusesBadPools(t *testing.T) {
	start := time.Now()
	c, err := Start(t.Context(), Options{NodePools: []NodePool{{Name: "a", Count: 1}, {Name: "a", Count: 1}}})
	if err == nil {
		_ = c.Stop()
		t.Fatal("Start succeeded with two pools of one name")
	}
	if want := `juliaruntest: Options.NodePools[1].Name: Duplicate value: "a"`; err.Error() != want {
		t.Errorf("Start: error %q, want %q", err, want)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("refused after %s: something was started first", d)
	}
}

func TestNodePoolNode(t *testing.T) {
	taint := corev1.Taint{Key: "nvidia.com/gpu", Value: "present", Effect: corev1.TaintEffectNoSchedule}
	capacity := func(cpu, memory string, pods, gpu int64) corev1.ResourceList {
		l := corev1.ResourceList{
			corev1.ResourceCPU: resource.MustParse(cpu), corev1.ResourceMemory: resource.MustParse(memory),
			corev1.ResourcePods: *resource.NewQuantity(pods, resource.DecimalSI),
		}
		if gpu > 0 {
			l[GPUResource] = *resource.NewQuantity(gpu, resource.DecimalSI)
		}
		return l
	}
	annotations := map[string]string{kwokNodeAnnotation: "fake", "node.alpha.kubernetes.io/ttl": "0"}
	tests := []struct {
		name string
		pool NodePool
		i    int
		want *corev1.Node
	}{{
		name: "default pool",
		pool: Options{NodeGPU: 1}.withDefaults().defaultPool(),
		i:    1,
		want: &corev1.Node{
			ObjectMeta: metav1.ObjectMeta{Name: "kwok-node-1", Annotations: annotations, Labels: map[string]string{
				NodeLabel: "kwok", corev1.LabelHostname: "kwok-node-1", corev1.LabelOSStable: "linux", corev1.LabelArchStable: "amd64",
			}},
			Status: corev1.NodeStatus{Capacity: capacity("4", "16Gi", 110, 1), Allocatable: capacity("4", "16Gi", 110, 1)},
		},
	}, {
		name: "named pool",
		pool: NodePool{Name: "gpu", Count: 3, CPU: "16", Memory: "64Gi", GPU: 4, Pods: 8,
			Labels: map[string]string{"accelerator": "nvidia", corev1.LabelArchStable: "arm64"},
			Taints: []corev1.Taint{taint}}.withDefaults(),
		i: 2,
		want: &corev1.Node{
			ObjectMeta: metav1.ObjectMeta{Name: "gpu-2", Annotations: annotations, Labels: map[string]string{
				NodeLabel: "kwok", corev1.LabelHostname: "gpu-2", corev1.LabelOSStable: "linux", corev1.LabelArchStable: "arm64",
				PoolLabel: "gpu", "accelerator": "nvidia",
			}},
			Spec:   corev1.NodeSpec{Taints: []corev1.Taint{taint}},
			Status: corev1.NodeStatus{Capacity: capacity("16", "64Gi", 8, 4), Allocatable: capacity("16", "64Gi", 8, 4)},
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.pool.node(tt.i)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("node (-want +got):\n%s", diff)
			}
		})
	}
}

// gpuTaint taints the GPU pool of the cluster tests.
func gpuTaint() corev1.Taint {
	return corev1.Taint{Key: "nvidia.com/gpu", Value: "present", Effect: corev1.TaintEffectNoSchedule}
}

// poolPod returns a pod requesting cpu, placed with nodeSelector and
// tolerations (either may be nil).
func poolPod(name, cpu string, nodeSelector map[string]string, tolerations ...corev1.Toleration) *corev1.Pod {
	spec := podSpec(cpu, corev1.RestartPolicyAlways, "")
	spec.NodeSelector = nodeSelector
	spec.Tolerations = tolerations
	return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns}, Spec: spec}
}

// TestNodePools runs a cluster with the default pool, an untainted CPU pool
// and a tainted GPU pool, and places plain pods on them.
func TestNodePools(t *testing.T) {
	c := StartForTest(t, Options{Nodes: 1, NodePools: []NodePool{
		{Name: "cpu", Count: 2, CPU: "2", Memory: "8Gi", Labels: map[string]string{"example.com/tier": "cpu"}},
		{Name: "gpu", Count: 1, CPU: "8", Memory: "32Gi", GPU: 2, Pods: 10,
			Labels: map[string]string{"example.com/tier": "gpu", "accelerator": "nvidia"},
			Taints: []corev1.Taint{gpuTaint()}},
	}})
	cs, ctx := clientset(t, c), t.Context()

	t.Run("nodes", func(t *testing.T) {
		type node struct {
			Labels      map[string]string
			Taints      []corev1.Taint
			Allocatable map[corev1.ResourceName]string
			Ready       bool
		}
		shape := func(cpu, memory, pods, gpu string) map[corev1.ResourceName]string {
			m := map[corev1.ResourceName]string{corev1.ResourceCPU: cpu, corev1.ResourceMemory: memory, corev1.ResourcePods: pods}
			if gpu != "" {
				m[GPUResource] = gpu
			}
			return m
		}
		// The controller-manager adds the beta OS and architecture labels.
		labels := func(name string, extra ...string) map[string]string {
			m := map[string]string{NodeLabel: "kwok", corev1.LabelHostname: name,
				corev1.LabelOSStable: "linux", corev1.LabelArchStable: "amd64",
				"beta.kubernetes.io/os": "linux", "beta.kubernetes.io/arch": "amd64"}
			for i := 0; i < len(extra); i += 2 {
				m[extra[i]] = extra[i+1]
			}
			return m
		}
		want := map[string]node{
			"kwok-node-0": {Labels: labels("kwok-node-0"), Allocatable: shape("4", "16Gi", "110", ""), Ready: true},
			"cpu-0": {Labels: labels("cpu-0", PoolLabel, "cpu", "example.com/tier", "cpu"),
				Allocatable: shape("2", "8Gi", "110", ""), Ready: true},
			"cpu-1": {Labels: labels("cpu-1", PoolLabel, "cpu", "example.com/tier", "cpu"),
				Allocatable: shape("2", "8Gi", "110", ""), Ready: true},
			"gpu-0": {Labels: labels("gpu-0", PoolLabel, "gpu", "example.com/tier", "gpu", "accelerator", "nvidia"),
				Taints: []corev1.Taint{gpuTaint()}, Allocatable: shape("8", "32Gi", "10", "2"), Ready: true},
		}
		var got map[string]node
		// Wait out the controller-manager's labels; the diff tells the rest.
		_ = wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, 10*time.Second, true, func(ctx context.Context) (bool, error) {
			nodes, err := cs.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
			if err != nil {
				return false, nil
			}
			got = map[string]node{}
			for _, n := range nodes.Items {
				alloc := map[corev1.ResourceName]string{}
				for name, q := range n.Status.Allocatable {
					alloc[name] = q.String()
				}
				got[n.Name] = node{Labels: n.Labels, Taints: n.Spec.Taints, Allocatable: alloc, Ready: nodeReady(&n)}
			}
			return cmp.Equal(want, got), nil
		})
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("nodes (-want +got):\n%s", diff)
		}
	})

	t.Run("taint keeps pods off", func(t *testing.T) {
		// A GPU pod without the toleration: only the tainted pool has GPUs.
		gpu := poolPod("gpu-untolerated", "100m", nil)
		gpu.Spec.Containers[0].Resources.Limits = corev1.ResourceList{GPUResource: resource.MustParse("1")}
		// A pod selecting the tainted pool without the toleration.
		selected := poolPod("selected-untolerated", "100m", map[string]string{PoolLabel: "gpu"})
		for _, p := range []*corev1.Pod{gpu, selected} {
			if _, err := cs.CoreV1().Pods(ns).Create(ctx, p, metav1.CreateOptions{}); err != nil {
				t.Fatal(err)
			}
		}
		for _, p := range []*corev1.Pod{gpu, selected} {
			// The scheduler counts the tainted nodes without naming
			// the taint: "0/4 nodes are available: 1 node(s) had
			// untolerated taint(s), 3 Insufficient nvidia.com/gpu. ...".
			const taintedNode = "1 node(s) had untolerated taint(s)"
			cond := unschedulable(t, cs, p.Name)
			if !strings.Contains(cond.Message, taintedNode) {
				t.Errorf("%s: PodScheduled message %q does not count the tainted node", p.Name, cond.Message)
			}
			event := schedulingEvent(t, cs, p.Name)
			if !strings.Contains(event.Message, taintedNode) {
				t.Errorf("%s: FailedScheduling event %q does not count the tainted node", p.Name, event.Message)
			}
		}
		// And they stay Pending.
		time.Sleep(time.Second)
		for _, p := range []*corev1.Pod{gpu, selected} {
			got, err := cs.CoreV1().Pods(ns).Get(ctx, p.Name, metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if got.Status.Phase != corev1.PodPending || got.Spec.NodeName != "" {
				t.Errorf("%s: %s on %q, want Pending on no node", p.Name, got.Status.Phase, got.Spec.NodeName)
			}
		}
	})

	t.Run("toleration and selector place pods", func(t *testing.T) {
		toleration := corev1.Toleration{Key: "nvidia.com/gpu", Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule}
		gpu := poolPod("gpu-placed", "100m", map[string]string{PoolLabel: "gpu"}, toleration)
		gpu.Spec.Containers[0].Resources.Limits = corev1.ResourceList{GPUResource: resource.MustParse("1")}
		pods := map[*corev1.Pod]string{
			gpu: "gpu-0",
			poolPod("cpu-placed", "100m", map[string]string{"example.com/tier": "cpu", corev1.LabelHostname: "cpu-1"}): "cpu-1",
			poolPod("default-placed", "100m", map[string]string{corev1.LabelHostname: NodeName(0)}):                    NodeName(0),
		}
		want, got := map[string]string{}, map[string]string{}
		for p, node := range pods {
			if _, err := cs.CoreV1().Pods(ns).Create(ctx, p, metav1.CreateOptions{}); err != nil {
				t.Fatal(err)
			}
			want[p.Name] = node
		}
		for p := range pods {
			running := waitPod(t, cs, ns, p.Name, "Running", podRunning)
			got[p.Name] = running.Spec.NodeName
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("nodes of the pods (-want +got):\n%s", diff)
		}
	})
}

// unschedulable waits until the scheduler has found no node for the pod,
// and returns its PodScheduled condition.
func unschedulable(t *testing.T, cs kubernetes.Interface, pod string) corev1.PodCondition {
	t.Helper()
	var cond corev1.PodCondition
	waitPod(t, cs, ns, pod, "unschedulable", func(p *corev1.Pod) bool {
		for _, c := range p.Status.Conditions {
			if c.Type == corev1.PodScheduled && c.Status == corev1.ConditionFalse && c.Reason == corev1.PodReasonUnschedulable {
				cond = c
				return p.Status.Phase == corev1.PodPending
			}
		}
		return false
	})
	return cond
}

// schedulingEvent waits for the scheduler's FailedScheduling event on the
// pod and returns it.
func schedulingEvent(t *testing.T, cs kubernetes.Interface, pod string) corev1.Event {
	t.Helper()
	var event corev1.Event
	eventually(t, "a FailedScheduling event on "+pod, func(ctx context.Context) (bool, error) {
		events, err := cs.CoreV1().Events(ns).List(ctx, metav1.ListOptions{
			FieldSelector: "involvedObject.name=" + pod + ",reason=FailedScheduling"})
		if err != nil || len(events.Items) == 0 {
			return false, err
		}
		event = events.Items[0]
		return true, nil
	})
	return event
}

// TestNodePoolPreemption fills a pool with two low-priority pods, a plain
// one and one of a Job whose podFailurePolicy ignores disruptions; a
// high-priority pod that needs their room preempts both: the scheduler
// marks them DisruptionTarget and deletes them, kwok ends them (Failed, as
// a kubelet would) and removes them, the Job does not count its pod as
// failed, and the preemptor runs in their place.
func TestNodePoolPreemption(t *testing.T) {
	taint := corev1.Taint{Key: "example.com/dedicated", Value: "batch", Effect: corev1.TaintEffectNoSchedule}
	c := StartForTest(t, Options{NodePools: []NodePool{{Name: "full", Count: 1, CPU: "2", Taints: []corev1.Taint{taint}}}})
	cs, ctx := clientset(t, c), t.Context()
	for name, value := range map[string]int32{"low": 100, "high": 1000} {
		if err := c.CreatePriorityClass(ctx, name, value); err != nil {
			t.Fatal(err)
		}
	}
	toleration := corev1.Toleration{Key: taint.Key, Operator: corev1.TolerationOpEqual, Value: taint.Value, Effect: taint.Effect}
	onPool := map[string]string{PoolLabel: "full"}
	victimLabels := map[string]string{"test": "victim"}

	plain := poolPod("plain-victim", "1", onPool, toleration)
	plain.Labels = victimLabels
	plain.Spec.PriorityClassName = "low"
	if _, err := cs.CoreV1().Pods(ns).Create(ctx, plain, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	lowJob := job("low-job", &batchv1.PodFailurePolicy{Rules: []batchv1.PodFailurePolicyRule{{
		Action:          batchv1.PodFailurePolicyActionIgnore,
		OnPodConditions: []batchv1.PodFailurePolicyOnPodConditionsPattern{{Type: corev1.DisruptionTarget}},
	}}})
	lowJob.Spec.Template.Labels = victimLabels
	lowJob.Spec.Template.Spec = poolPod("", "1", onPool, toleration).Spec
	lowJob.Spec.Template.Spec.RestartPolicy = corev1.RestartPolicyNever
	lowJob.Spec.Template.Spec.PriorityClassName = "low"
	if _, err := cs.BatchV1().Jobs(ns).Create(ctx, lowJob, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	var victims *corev1.PodList
	eventually(t, "two running victims", func(ctx context.Context) (bool, error) {
		var err error
		victims, err = cs.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: "test=victim"})
		if err != nil || len(victims.Items) != 2 {
			return false, err
		}
		for _, p := range victims.Items {
			if !podRunning(&p) {
				return false, nil
			}
		}
		return true, nil
	})
	for _, p := range victims.Items {
		if diff := cmp.Diff(int32(100), ptr.Deref(p.Spec.Priority, 0)); diff != "" {
			t.Errorf("%s: priority (-want +got):\n%s", p.Name, diff)
		}
	}
	// Watch the victims from their running state on, to see their last
	// state before they go.
	w, err := cs.CoreV1().Pods(ns).Watch(ctx, metav1.ListOptions{
		LabelSelector: "test=victim", ResourceVersion: victims.ResourceVersion})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()

	preemptor := poolPod("preemptor", "2", onPool, toleration)
	preemptor.Spec.PriorityClassName = "high"
	if _, err := cs.CoreV1().Pods(ns).Create(ctx, preemptor, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}

	last := map[string]*corev1.Pod{}
	for _, p := range victims.Items {
		last[p.Name] = &p
	}
	deleted := map[string]bool{}
	timeout := time.After(60 * time.Second)
	for len(deleted) < len(victims.Items) {
		select {
		case ev, ok := <-w.ResultChan():
			if !ok {
				t.Fatal("the watch on the victims ended before they were deleted")
			}
			p, isPod := ev.Object.(*corev1.Pod)
			if !isPod {
				t.Fatalf("watch event %s: %#v", ev.Type, ev.Object)
			}
			if _, victim := last[p.Name]; !victim {
				continue // the Job's replacement
			}
			last[p.Name] = p
			if ev.Type == watch.Deleted {
				deleted[p.Name] = true
			}
		case <-timeout:
			t.Fatalf("the victims were not all deleted (deleted: %v)", deleted)
		}
	}

	// What a client sees of a victim before it goes.
	type victimState struct {
		Terminating bool
		Phase       corev1.PodPhase
		Disruption  corev1.PodCondition // without times
		ExitCode    int32
	}
	var want, got []victimState
	for _, p := range victims.Items {
		want = append(want, victimState{
			Terminating: true, Phase: corev1.PodFailed, ExitCode: 143,
			Disruption: corev1.PodCondition{Type: corev1.DisruptionTarget, Status: corev1.ConditionTrue,
				Reason: corev1.PodReasonPreemptionByScheduler, Message: "default-scheduler: preempting to accommodate a higher priority pod"},
		})
		l := last[p.Name]
		s := victimState{Terminating: l.DeletionTimestamp != nil, Phase: l.Status.Phase}
		for _, cond := range l.Status.Conditions {
			if cond.Type == corev1.DisruptionTarget {
				s.Disruption = corev1.PodCondition{Type: cond.Type, Status: cond.Status, Reason: cond.Reason, Message: cond.Message}
			}
		}
		if cst := l.Status.ContainerStatuses; len(cst) == 1 && cst[0].State.Terminated != nil {
			s.ExitCode = cst[0].State.Terminated.ExitCode
		}
		got = append(got, s)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("the victims' last states (-want +got):\n%s", diff)
	}
	if _, err := cs.CoreV1().Pods(ns).Get(ctx, plain.Name, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("getting the plain victim after its deletion: %v, want NotFound", err)
	}

	placed := waitPod(t, cs, ns, "preemptor", "Running", podRunning)
	if diff := cmp.Diff(PoolNodeName("full", 0), placed.Spec.NodeName); diff != "" {
		t.Errorf("preemptor's node (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(int32(1000), ptr.Deref(placed.Spec.Priority, 0)); diff != "" {
		t.Errorf("preemptor's priority (-want +got):\n%s", diff)
	}
	// The Job's policy ignored the disruption: no failure counted, and a
	// replacement waits for room.
	eventually(t, "the low-priority Job to replace its pod", func(ctx context.Context) (bool, error) {
		j, err := cs.BatchV1().Jobs(ns).Get(ctx, lowJob.Name, metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		if j.Status.Failed != 0 || len(j.Status.Conditions) != 0 {
			return false, fmt.Errorf("the Job counted the preemption: failed %d, conditions %+v", j.Status.Failed, j.Status.Conditions)
		}
		return j.Status.Active == 1, nil
	})
}
