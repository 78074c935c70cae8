package render

import (
	"sort"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/juliarun/sdk/internal/labels"
	"github.com/juliarun/sdk/internal/names"
	"github.com/juliarun/sdk/internal/scripts"
	"github.com/juliarun/sdk/jobs"
)

// distributedPortName names the Julia Distributed port on Services and
// containers.
const distributedPortName = "distributed"

// portNames returns the job's port names, sorted.
func (r *renderer) portNames() []string {
	ns := make([]string, 0, len(r.s.Ports))
	for n := range r.s.Ports {
		ns = append(ns, n)
	}
	sort.Strings(ns)
	return ns
}

// services returns the job's Services: one for its ports, and, for jobs
// with Distributed workers, a headless one whose DNS name resolves to the
// ready workers. The master gets no Distributed port: it listens on none,
// since a Julia master connects to its workers and workers connect to each
// other (Distributed's cluster.jl: init_multi starts no listener;
// connect_w2w dials workers only).
func (r *renderer) services() []client.Object {
	var out []client.Object
	var ports []corev1.ServicePort
	for _, n := range r.portNames() {
		p := r.s.Ports[n]
		ports = append(ports, corev1.ServicePort{Name: n, Port: int32(p.Service),
			TargetPort: intstr.FromInt32(int32(p.Container)), Protocol: corev1.ProtocolTCP})
	}
	if HasService(r.s) {
		typ := corev1.ServiceTypeClusterIP
		if r.s.External {
			typ = corev1.ServiceTypeLoadBalancer
		}
		out = append(out, &corev1.Service{
			TypeMeta:   typeMeta("v1", "Service"),
			ObjectMeta: r.meta(names.Master(r.s.Name), labels.RoleService),
			Spec: corev1.ServiceSpec{
				Type:     typ,
				Selector: labels.Selector(r.s.Name, ServingRole(r.s.Type)),
				Ports:    ports,
			},
		})
	}
	if jobs.HasMasterWorkers(r.s.Type) {
		out = append(out, &corev1.Service{
			TypeMeta:   typeMeta("v1", "Service"),
			ObjectMeta: r.meta(names.Workers(r.s.Name), labels.RoleService),
			Spec: corev1.ServiceSpec{
				ClusterIP: corev1.ClusterIPNone,
				Selector:  labels.Selector(r.s.Name, labels.RoleWorker),
				Ports: []corev1.ServicePort{{Name: distributedPortName, Port: scripts.WorkerPort,
					TargetPort: intstr.FromInt32(scripts.WorkerPort), Protocol: corev1.ProtocolTCP}},
				// Only ready workers, so the master connects to listening ones.
				PublishNotReadyAddresses: false,
			},
		})
	}
	return out
}
