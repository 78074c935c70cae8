// Command messageq runs a RabbitMQ message queue and a job array whose units
// consume tasks from it: the units reach the queue at AMQP_URL, the
// queue's Service inside the cluster.
//
// The consumers need AMQPClient.jl, which the default julia image does not
// have, so the program first builds a package bundle with it: a PkgBuilder
// job runs build_amqp.jl with the bundle claim "amqp" mounted read-write,
// and the consumers get that bundle read-only (jobs.WithPkgBundle). Copy
// build_amqp.jl and consume.jl (beside this file) to the run volume "work",
// and rabbitmq.conf to the queue's volume "mq". An image that already has
// AMQPClient (jobs.WithImage) would do instead of the bundle.
//
//	go run ./examples/messageq [-kubeconfig FILE -namespace NS]
package main

import (
	"context"
	"fmt"

	"github.com/juliarun/sdk/examples/internal/exampleenv"
	"github.com/juliarun/sdk/jobs"
	"github.com/juliarun/sdk/juliarun"
)

// bundle is the claim of the package bundle that holds AMQPClient.
const bundle = "amqp"

func main() { exampleenv.Main("messageq", []string{"work", "mq", bundle}, run) }

// newBuilder is the job that builds the bundle with AMQPClient.
func newBuilder() *jobs.PkgBuilder {
	return jobs.NewPkgBuilder("build-amqp", "build_amqp.jl", "work", bundle)
}

// newConsumers is the job array of consumers of the queue at url, with the
// bundle on their load path.
func newConsumers(url string) *jobs.ParBatchWorkers {
	return jobs.NewParBatchWorkers("consumers", "consume.jl", "work",
		jobs.WithNWorkers(4), jobs.WithPkgBundle(bundle),
		jobs.WithEnvVars(map[string]string{"AMQP_URL": url}))
}

func run(ctx context.Context, e *exampleenv.Env) error {
	builder := newBuilder()
	exampleenv.Step("start %s: AMQPClient into the bundle %s", builder.Name, bundle)
	if err := e.Client.Start(ctx, builder); err != nil {
		return err
	}
	st, err := exampleenv.Wait(ctx, e, builder.Name, "the end", juliarun.Finished())
	_ = e.Client.Delete(context.WithoutCancel(ctx), builder.Name)
	if err != nil {
		return err
	}
	if st.Phase != juliarun.PhaseSucceeded {
		return fmt.Errorf("%s %s: %s", builder.Name, st.Phase, st.Reason)
	}

	queue := jobs.NewMessageQ("tasks", "rabbitmq.conf", "mq")
	exampleenv.Step("start %s", queue.Name)
	if err := e.Client.Start(ctx, queue); err != nil {
		return err
	}
	defer e.Client.Delete(context.WithoutCancel(ctx), queue.Name)
	if _, err := exampleenv.Wait(ctx, e, queue.Name, "the queue", juliarun.Running()); err != nil {
		return err
	}
	ep, err := e.Client.Endpoint(ctx, queue.Name)
	if err != nil {
		return err
	}
	url := fmt.Sprintf("amqp://%s:%d", ep.Address, ep.Ports["amqp"])
	consumers := newConsumers(url)
	exampleenv.Step("start %s, consuming from %s", consumers.Name, url)
	if err := e.Client.Start(ctx, consumers); err != nil {
		return err
	}
	defer e.Client.Delete(context.WithoutCancel(ctx), consumers.Name)
	_, err = exampleenv.Wait(ctx, e, consumers.Name, "4 consumers", juliarun.AtLeastWorkers(4))
	return err
}
