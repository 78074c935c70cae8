// Command gpupool runs a training job the way a real cluster asks for it:
// a JuliaParBatch whose master runs on the CPU node pool while its GPU
// workers run on a GPU pool that is tainted so nothing else lands there;
// the image is private, pulled with a registry credential; an API key
// reaches the master from a Secret, never written into the job record; the
// workers get 2 GiB of shared memory; the job is stopped after six hours
// and removed by the cluster a day after it finished.
//
// On a real cluster, create the Secrets "registry-cred" (kubernetes.io/
// dockerconfigjson) and "wandb" (key api-key) first, and label the pools
// pool=cpu and pool=gpu; the GPU pool's taint is nvidia.com/gpu:NoSchedule,
// as GKE and EKS set it. On the simulated cluster the program creates both.
//
//	go run ./examples/gpupool [-kubeconfig FILE -namespace NS]
package main

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/juliarun/sdk/examples/internal/exampleenv"
	"github.com/juliarun/sdk/jobs"
	"github.com/juliarun/sdk/juliarun"
	"github.com/juliarun/sdk/juliarun/juliaruntest"
	"github.com/juliarun/sdk/resources"
)

func main() { exampleenv.MainOn("gpupool", cluster(), []string{"work"}, run) }

// trainingJob is the job of the README's second program.
func trainingJob() *jobs.ParBatch {
	gpuTaint := corev1.Toleration{Key: "nvidia.com/gpu", Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule}
	return jobs.NewParBatch("train", "train.jl", "work",
		jobs.WithImage("registry.example.com/ml/julia-cuda:1.11"), // private
		jobs.WithImagePullSecrets("registry-cred"),
		jobs.WithNodeSelector(jobs.Master, map[string]string{"pool": "cpu"}),
		jobs.WithEnvFrom(jobs.Master, map[string]jobs.EnvSource{"WANDB_API_KEY": jobs.FromSecret("wandb", "api-key")}),
		jobs.WithNWorkers(2), jobs.WithWorkerGPU(1), jobs.WithWorkerMemory(resources.GiB(8)),
		jobs.WithNodeSelector(jobs.Workers, map[string]string{"pool": "gpu"}),
		jobs.WithTolerations(jobs.Workers, gpuTaint),
		jobs.WithShmSize(jobs.Workers, resources.GiB(2)),
		jobs.WithRunTimeLimit(6*time.Hour),
		jobs.WithTTLAfterFinished(24*time.Hour))
}

// cluster is the simulated cluster: a CPU pool and a tainted GPU pool.
func cluster() juliaruntest.Options {
	return juliaruntest.Options{
		NodePools: []juliaruntest.NodePool{
			{Name: "cpu", Count: 2, CPU: "8", Memory: "32Gi", Labels: map[string]string{"pool": "cpu"}},
			{Name: "gpu", Count: 2, CPU: "8", Memory: "64Gi", GPU: 1, Labels: map[string]string{"pool": "gpu"},
				Taints: []corev1.Taint{{Key: "nvidia.com/gpu", Value: "present", Effect: corev1.TaintEffectNoSchedule}}},
		},
		JobPodLifetime: 10 * time.Second, // the script runs for 10 s
	}
}

func run(ctx context.Context, e *exampleenv.Env) error {
	if e.Cluster != nil {
		if err := createSecrets(ctx, e); err != nil {
			return err
		}
	}
	job := trainingJob()
	exampleenv.Step("start %s: master on the CPU pool, %d GPU workers on the GPU pool", job.Name, job.NWorkers)
	if err := e.Client.Start(ctx, job); err != nil {
		return err
	}
	defer e.Client.Delete(context.WithoutCancel(ctx), job.Name)
	if _, err := exampleenv.Wait(ctx, e, job.Name, "2 workers", juliarun.AtLeastWorkers(2)); err != nil {
		return err
	}
	if err := showPlacement(ctx, e, job.Name); err != nil {
		return err
	}
	_, err := exampleenv.Wait(ctx, e, job.Name, "the end", juliarun.Finished())
	return err
}

// createSecrets makes the Secrets a real cluster's administrator would.
func createSecrets(ctx context.Context, e *exampleenv.Env) error {
	cs, err := kubernetes.NewForConfig(e.Config)
	if err != nil {
		return err
	}
	for _, s := range []*corev1.Secret{
		{ObjectMeta: metav1.ObjectMeta{Name: "wandb"}, StringData: map[string]string{"api-key": "not-a-real-key"}},
		{ObjectMeta: metav1.ObjectMeta{Name: "registry-cred"}, Type: corev1.SecretTypeDockerConfigJson,
			StringData: map[string]string{corev1.DockerConfigJsonKey: `{"auths":{"registry.example.com":{"auth":"dXNlcjpwYXNz"}}}`}},
	} {
		if _, err := cs.CoreV1().Secrets(e.Namespace).Create(ctx, s, metav1.CreateOptions{}); err != nil {
			return err
		}
	}
	return nil
}

// showPlacement prints the node pool each of the job's pods runs on, and
// fails unless the master runs on the CPU pool and every worker on the GPU
// pool, as the job asked.
func showPlacement(ctx context.Context, e *exampleenv.Env, name string) error {
	cs, err := kubernetes.NewForConfig(e.Config)
	if err != nil {
		return err
	}
	pods, err := cs.CoreV1().Pods(e.Namespace).List(ctx, metav1.ListOptions{LabelSelector: "juliarun.io/job=" + name})
	if err != nil {
		return err
	}
	want := map[string]string{"master": "cpu", "worker": "gpu"}
	for _, p := range pods.Items {
		node, err := cs.CoreV1().Nodes().Get(ctx, p.Spec.NodeName, metav1.GetOptions{})
		if err != nil {
			return err
		}
		role, pool := p.Labels["juliarun.io/role"], node.Labels["pool"]
		exampleenv.Step("%s (%s) runs on %s, pool %s", p.Name, role, node.Name, pool)
		if pool != want[role] {
			return fmt.Errorf("%s (%s) runs on pool %q, want %q", p.Name, role, pool, want[role])
		}
	}
	return nil
}
