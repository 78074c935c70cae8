package juliaruntest

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
)

const ns = "default"

func clientset(t *testing.T, c *Cluster) kubernetes.Interface {
	t.Helper()
	cs, err := kubernetes.NewForConfig(c.Config())
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

func podSpec(cpu string, restart corev1.RestartPolicy, claim string) corev1.PodSpec {
	spec := corev1.PodSpec{
		RestartPolicy: restart,
		Containers: []corev1.Container{{
			Name: "julia", Image: "julia",
			Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{
				corev1.ResourceCPU: resource.MustParse(cpu)}},
		}},
	}
	if claim != "" {
		spec.Volumes = []corev1.Volume{{Name: "run", VolumeSource: corev1.VolumeSource{
			PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: claim}}}}
		spec.Containers[0].VolumeMounts = []corev1.VolumeMount{{Name: "run", MountPath: "/mnt/run"}}
	}
	return spec
}

func statefulSet(name string, replicas int32, cpu string) *appsv1.StatefulSet {
	labels := map[string]string{"app": name}
	return &appsv1.StatefulSet{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec: appsv1.StatefulSetSpec{
			Replicas:            &replicas,
			PodManagementPolicy: appsv1.ParallelPodManagement,
			Selector:            &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec:       podSpec(cpu, corev1.RestartPolicyAlways, ""),
			},
		},
	}
}

func job(name string, policy *batchv1.PodFailurePolicy) *batchv1.Job {
	backoff := int32(0)
	spec := podSpec("100m", corev1.RestartPolicyNever, "")
	return &batchv1.Job{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec: batchv1.JobSpec{
			BackoffLimit:     &backoff,
			PodFailurePolicy: policy,
			Template:         corev1.PodTemplateSpec{Spec: spec},
		},
	}
}

// eventually polls cond every 50ms for up to 30s.
func eventually(t *testing.T, what string, cond func(ctx context.Context) (bool, error)) {
	t.Helper()
	if err := wait.PollUntilContextTimeout(context.Background(), 50*time.Millisecond, 30*time.Second, true, cond); err != nil {
		t.Fatalf("waiting for %s: %v", what, err)
	}
}

// podPhases counts the pods matching selector by phase, Ready pods as "Ready".
func podPhases(ctx context.Context, cs kubernetes.Interface, selector string) (map[string]int, error) {
	pods, err := cs.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: selector})
	if err != nil {
		return nil, err
	}
	counts := map[string]int{}
	for _, p := range pods.Items {
		counts[string(p.Status.Phase)]++
		for _, c := range p.Status.Conditions {
			if c.Type == corev1.PodReady && c.Status == corev1.ConditionTrue {
				counts["Ready"]++
			}
		}
	}
	return counts, nil
}

func onlyPod(ctx context.Context, t *testing.T, cs kubernetes.Interface, selector string) corev1.Pod {
	t.Helper()
	var pod corev1.Pod
	eventually(t, "one running pod of "+selector, func(ctx context.Context) (bool, error) {
		pods, err := cs.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: selector})
		if err != nil || len(pods.Items) != 1 || pods.Items[0].Status.Phase != corev1.PodRunning {
			return false, err
		}
		pod = pods.Items[0]
		return true, nil
	})
	return pod
}

func TestStatefulSetFillsNodeCapacity(t *testing.T) {
	c := StartForTest(t, Options{Nodes: 2, NodeCPU: "4", NodeMemory: "16Gi"})
	cs, ctx := clientset(t, c), context.Background()
	if _, err := cs.AppsV1().StatefulSets(ns).Create(ctx, statefulSet("fill", 12, "1"), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	want := map[string]int{"Running": 8, "Ready": 8, "Pending": 4}
	var got map[string]int
	eventually(t, "8 Ready and 4 Pending pods", func(ctx context.Context) (bool, error) {
		var err error
		got, err = podPhases(ctx, cs, "app=fill")
		return cmp.Equal(want, got), err
	})
	// And it stays that way: no ninth pod finds room.
	time.Sleep(2 * time.Second)
	got, err := podPhases(ctx, cs, "app=fill")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("pods by phase (-want +got):\n%s", diff)
	}
	sts, err := cs.AppsV1().StatefulSets(ns).Get(ctx, "fill", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(int32(8), sts.Status.ReadyReplicas); diff != "" {
		t.Errorf("StatefulSet readyReplicas (-want +got):\n%s", diff)
	}
}

func TestJobPodExits(t *testing.T) {
	c := StartForTest(t, Options{Nodes: 1})
	cs, ctx := clientset(t, c), context.Background()
	failOn3 := &batchv1.PodFailurePolicy{Rules: []batchv1.PodFailurePolicyRule{{
		Action:      batchv1.PodFailurePolicyActionFailJob,
		OnExitCodes: &batchv1.PodFailurePolicyOnExitCodesRequirement{Operator: batchv1.PodFailurePolicyOnExitCodesOpIn, Values: []int32{3}},
	}}}
	tests := []struct {
		name      string
		code      int
		condition batchv1.JobConditionType
		reason    string
	}{
		{"succeeds", 0, batchv1.JobComplete, batchv1.JobReasonCompletionsReached},
		{"fails", 3, batchv1.JobFailed, batchv1.JobReasonPodFailurePolicy},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := cs.BatchV1().Jobs(ns).Create(ctx, job(tt.name, failOn3), metav1.CreateOptions{}); err != nil {
				t.Fatal(err)
			}
			pod := onlyPod(ctx, t, cs, "job-name="+tt.name)
			// It keeps running until told to exit.
			time.Sleep(1500 * time.Millisecond)
			if j, _ := cs.BatchV1().Jobs(ns).Get(ctx, tt.name, metav1.GetOptions{}); len(j.Status.Conditions) > 0 {
				t.Fatalf("job ended before ExitPod: %+v", j.Status.Conditions)
			}
			if err := c.ExitPod(ctx, ns, pod.Name, tt.code); err != nil {
				t.Fatal(err)
			}
			var got *batchv1.JobCondition
			eventually(t, "the job to end", func(ctx context.Context) (bool, error) {
				j, err := cs.BatchV1().Jobs(ns).Get(ctx, tt.name, metav1.GetOptions{})
				if err != nil {
					return false, err
				}
				for i, cond := range j.Status.Conditions {
					if (cond.Type == batchv1.JobComplete || cond.Type == batchv1.JobFailed) && cond.Status == corev1.ConditionTrue {
						got = &j.Status.Conditions[i]
						return true, nil
					}
				}
				return false, nil
			})
			if diff := cmp.Diff([]string{string(tt.condition), tt.reason}, []string{string(got.Type), got.Reason}); diff != "" {
				t.Errorf("job condition (-want +got):\n%s", diff)
			}
			p, err := cs.CoreV1().Pods(ns).Get(ctx, pod.Name, metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(int32(tt.code), p.Status.ContainerStatuses[0].State.Terminated.ExitCode); diff != "" {
				t.Errorf("exit code (-want +got):\n%s", diff)
			}
		})
	}
}

func TestJobPodLifetime(t *testing.T) {
	c := StartForTest(t, Options{Nodes: 1, JobPodLifetime: 500 * time.Millisecond})
	cs, ctx := clientset(t, c), context.Background()
	if _, err := cs.BatchV1().Jobs(ns).Create(ctx, job("short", nil), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the job to complete by itself", func(ctx context.Context) (bool, error) {
		j, err := cs.BatchV1().Jobs(ns).Get(ctx, "short", metav1.GetOptions{})
		return err == nil && j.Status.Succeeded == 1, err
	})
}

func TestStatefulSetPodRestarts(t *testing.T) {
	c := StartForTest(t, Options{Nodes: 1})
	cs, ctx := clientset(t, c), context.Background()
	if _, err := cs.AppsV1().StatefulSets(ns).Create(ctx, statefulSet("crash", 1, "100m"), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	pod := onlyPod(ctx, t, cs, "app=crash")
	if err := c.ExitPod(ctx, ns, pod.Name, 3); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Second) // let the StatefulSet controller see it
	got, err := cs.CoreV1().Pods(ns).Get(ctx, pod.Name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cst := got.Status.ContainerStatuses[0]
	type view struct {
		UID      string
		Phase    corev1.PodPhase
		Restarts int32
		LastExit int32
		Running  bool
	}
	want := view{string(pod.UID), corev1.PodRunning, 1, 3, true}
	gotView := view{string(got.UID), got.Status.Phase, cst.RestartCount, cst.LastTerminationState.Terminated.ExitCode, cst.State.Running != nil}
	if diff := cmp.Diff(want, gotView); diff != "" {
		t.Errorf("restarted pod (-want +got):\n%s", diff)
	}
}

func TestVolumes(t *testing.T) {
	c := StartForTest(t, Options{Nodes: 1})
	cs, ctx := clientset(t, c), context.Background()
	if err := c.CreateVolume(ctx, ns, "runvol", "1Gi"); err != nil {
		t.Fatal(err)
	}
	for name, claim := range map[string]string{"with-volume": "runvol", "missing-volume": "nosuchclaim"} {
		pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Labels: map[string]string{"pod": name}},
			Spec: podSpec("100m", corev1.RestartPolicyAlways, claim)}
		if _, err := cs.CoreV1().Pods(ns).Create(ctx, pod, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	onlyPod(ctx, t, cs, "pod=with-volume")
	var message string
	eventually(t, "the scheduler to refuse the pod without its claim", func(ctx context.Context) (bool, error) {
		p, err := cs.CoreV1().Pods(ns).Get(ctx, "missing-volume", metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		for _, cond := range p.Status.Conditions {
			if cond.Type == corev1.PodScheduled && cond.Status == corev1.ConditionFalse {
				message = cond.Message
				return p.Status.Phase == corev1.PodPending, nil
			}
		}
		return false, nil
	})
	if !strings.Contains(message, `persistentvolumeclaim "nosuchclaim" not found`) {
		t.Errorf("scheduling message = %q, want it to name the missing claim", message)
	}
}

func TestGPUCapacity(t *testing.T) {
	c := StartForTest(t, Options{Nodes: 1, NodeGPU: 1})
	cs, ctx := clientset(t, c), context.Background()
	for i := range 2 {
		spec := podSpec("100m", corev1.RestartPolicyAlways, "")
		spec.Containers[0].Resources.Limits = corev1.ResourceList{GPUResource: resource.MustParse("1")}
		pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("gpu-%d", i), Namespace: ns,
			Labels: map[string]string{"app": "gpu"}}, Spec: spec}
		if _, err := cs.CoreV1().Pods(ns).Create(ctx, pod, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	want := map[string]int{"Running": 1, "Ready": 1, "Pending": 1}
	eventually(t, "one GPU pod running and one pending", func(ctx context.Context) (bool, error) {
		got, err := podPhases(ctx, cs, "app=gpu")
		return cmp.Equal(want, got), err
	})
}

// TestStopLeavesNothing runs two clusters side by side, stops them, and checks
// that no process of either remains and none of their ports is still bound.
func TestStopLeavesNothing(t *testing.T) {
	SkipIfUnavailable(t)
	ctx := context.Background()
	var clusters []*Cluster
	for range 2 {
		c, err := Start(ctx, Options{Nodes: 1})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = c.Stop() })
		clusters = append(clusters, c)
	}
	var ports []string
	var dirs []string
	for _, c := range clusters {
		ports = append(ports, c.Config().Host[len("https://"):])
		dirs = append(dirs, c.dir, c.env.ControlPlane.APIServer.CertDir, c.env.ControlPlane.Etcd.DataDir)
	}
	if left := harnessProcesses(t, dirs); len(left) != 2*5 {
		t.Fatalf("want 5 processes per cluster before Stop, found %d: %v", len(left), left)
	}
	if ports[0] == ports[1] {
		t.Fatalf("both clusters serve on %s", ports[0])
	}
	for _, c := range clusters {
		if err := c.Stop(); err != nil {
			t.Errorf("Stop: %v", err)
		}
	}
	for _, addr := range ports {
		if conn, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			conn.Close()
			t.Errorf("API server port %s still accepts connections after Stop", addr)
		}
	}
	for _, d := range dirs {
		if _, err := os.Stat(d); !os.IsNotExist(err) {
			t.Errorf("%s still exists after Stop (stat: %v)", d, err)
		}
	}
	if left := harnessProcesses(t, dirs); len(left) > 0 {
		t.Errorf("processes still running after Stop: %v", left)
	}
}

// harnessProcesses lists the running processes whose command line names
// one of dirs: the clusters' temporary, certificate and etcd data folders.
func harnessProcesses(t *testing.T, dirs []string) []string {
	t.Helper()
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	var found []string
	for _, e := range entries {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		cmdline, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil {
			continue
		}
		for _, d := range dirs {
			if strings.Contains(string(cmdline), d) {
				found = append(found, e.Name()+" "+strings.SplitN(string(cmdline), "\x00", 2)[0])
				break
			}
		}
	}
	return found
}
