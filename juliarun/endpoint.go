package juliarun

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/juliarun/sdk/jobs"
)

// Endpoint returns where the job is reached: an error matching ErrNotFound
// when there is no such job, or when it exposes no ports.
func (k *kubeClient) Endpoint(ctx context.Context, name string) (*Endpoint, error) {
	s, _, err := k.spec(ctx, name)
	if err != nil {
		return nil, fmt.Errorf("endpoint: %w", err)
	}
	if k.layout.Service(s) == "" {
		return nil, fmt.Errorf("endpoint %s: the job exposes no ports: %w", name, ErrNotFound)
	}
	ep, err := k.endpoint(ctx, s)
	if apierrors.IsNotFound(err) {
		return nil, fmt.Errorf("endpoint %s: its Service is missing: %w", name, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("endpoint %s: %w", name, err)
	}
	k.logger(ctx, name).V(1).Info("endpoint read", "address", ep.Address)
	return ep, nil
}

// endpoint reads the job's Service (Layout.Service).
func (k *kubeClient) endpoint(ctx context.Context, s jobs.Spec) (*Endpoint, error) {
	var svc corev1.Service
	if err := k.c.Get(ctx, client.ObjectKey{Namespace: k.ns, Name: k.layout.Service(s)}, &svc); err != nil {
		return nil, err
	}
	return endpointOf(&svc), nil
}

// endpointOf says where svc is reached.
func endpointOf(svc *corev1.Service) *Endpoint {
	ep := &Endpoint{
		Address:   svc.Name + "." + svc.Namespace + ".svc",
		ClusterIP: svc.Spec.ClusterIP,
		Ports:     map[string]int{},
	}
	for _, in := range svc.Status.LoadBalancer.Ingress {
		if in.IP != "" {
			ep.Address = in.IP
		} else if in.Hostname != "" {
			ep.Address = in.Hostname
		}
		break
	}
	for _, p := range svc.Spec.Ports {
		ep.Ports[p.Name] = int(p.Port)
	}
	return ep
}
