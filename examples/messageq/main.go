// Command messageq runs a RabbitMQ message queue and a job array whose units
// consume tasks from it: the units reach the queue at AMQP_URL, the
// queue's Service inside the cluster.
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

func main() { exampleenv.Main("messageq", []string{"work", "mq"}, run) }

func run(ctx context.Context, e *exampleenv.Env) error {
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
	consumers := jobs.NewParBatchWorkers("consumers", "consume.jl", "work",
		jobs.WithNWorkers(4), jobs.WithEnvVars(map[string]string{"AMQP_URL": url}))
	exampleenv.Step("start %s, consuming from %s", consumers.Name, url)
	if err := e.Client.Start(ctx, consumers); err != nil {
		return err
	}
	defer e.Client.Delete(context.WithoutCancel(ctx), consumers.Name)
	_, err = exampleenv.Wait(ctx, e, consumers.Name, "4 consumers", juliarun.AtLeastWorkers(4))
	return err
}
