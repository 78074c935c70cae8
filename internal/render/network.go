package render

import (
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/juliarun/sdk/internal/labels"
	"github.com/juliarun/sdk/internal/names"
)

// networkPolicy admits traffic to the job's pods from the job's own pods
// only, on any port; and to the job's declared ports, from anywhere when the
// job is external, else from the pods of other juliarun jobs in the
// namespace (a message queue or web server serves other jobs).
func (r *renderer) networkPolicy() *networkingv1.NetworkPolicy {
	ingress := []networkingv1.NetworkPolicyIngressRule{{
		From: []networkingv1.NetworkPolicyPeer{{PodSelector: &metav1.LabelSelector{
			MatchLabels: map[string]string{labels.Job: r.s.Name}}}},
	}}
	if len(r.s.Ports) > 0 {
		rule := networkingv1.NetworkPolicyIngressRule{}
		tcp := corev1.ProtocolTCP
		for _, n := range r.portNames() {
			port := intstr.FromInt32(int32(r.s.Ports[n].Container))
			rule.Ports = append(rule.Ports, networkingv1.NetworkPolicyPort{Protocol: &tcp, Port: &port})
		}
		if !r.s.External {
			rule.From = []networkingv1.NetworkPolicyPeer{{PodSelector: &metav1.LabelSelector{
				MatchLabels: map[string]string{labels.ManagedBy: labels.ManagedByValue}}}}
		}
		ingress = append(ingress, rule)
	}
	return &networkingv1.NetworkPolicy{
		TypeMeta:   typeMeta("networking.k8s.io/v1", "NetworkPolicy"),
		ObjectMeta: r.meta(names.Network(r.s.Name), labels.RoleNetwork),
		Spec: networkingv1.NetworkPolicySpec{
			PodSelector: metav1.LabelSelector{MatchLabels: map[string]string{labels.Job: r.s.Name}},
			PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeIngress},
			Ingress:     ingress,
		},
	}
}
