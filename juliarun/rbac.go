package juliarun

import (
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// RoleName is the name of the Role that Role returns.
const RoleName = "juliarun"

// Role returns the RBAC Role a Client of the native backend needs in
// namespace, and nothing more: bound to the identity a program runs as, it
// lets every Client method work on every job type there. deploy/rbac.yaml
// is the same Role as YAML (namespace left out, for kubectl apply -n).
//
// Each rule, verb by verb, is what these calls use:
//
//   - create: Start, for every kind a job renders;
//   - get: Scale, NWorkers, Update, Endpoint, Status, Wait and Delete read
//     the job's root ConfigMap; NWorkers and Update its worker workload;
//     Status and Endpoint its Service; Update the job's Secret; Logs a
//     worker's pod (and pods/log, its output);
//   - list: List (roots, workloads, Services and the pods of jobs that
//     need them), Status and Wait (workloads, a few pods), Delete (one
//     pod's metadata, to learn whether controllers made them). On Secrets
//     and NetworkPolicies list is optional: only Start uses it, to read
//     the metadata of an object whose creation went unanswered and tell
//     its own from another's; without it such a Start fails, removing what
//     it made;
//   - watch: Wait, on pods and workloads; Delete, on workloads (deleted in
//     the foreground, each goes only once its pods have) and pods;
//   - patch: Scale and Update, on worker workloads;
//   - update: Update, on the root ConfigMap that records the job;
//   - deletecollection: Delete, by label, for every kind a job has
//     (ReplicaSets and ControllerRevisions are made by the workload
//     controllers), and a failed Start, for what it created;
//   - list on events: Status, to say why pods wait when their status does
//     not (a volume that cannot be attached or mounted, a pod its
//     controller may not create). This one is optional: without it Status
//     works and explains less.
//
// Nothing is deleted one by one, and no object outside the namespace is
// touched. An API server whose Services lack deletecollection (older than
// Kubernetes 1.31) also needs delete on services.
func Role(namespace string) *rbacv1.Role {
	return &rbacv1.Role{
		TypeMeta:   metav1.TypeMeta{APIVersion: rbacv1.SchemeGroupVersion.String(), Kind: "Role"},
		ObjectMeta: metav1.ObjectMeta{Name: RoleName, Namespace: namespace},
		Rules: []rbacv1.PolicyRule{
			{APIGroups: []string{""}, Resources: []string{"configmaps"},
				Verbs: []string{"create", "get", "list", "update", "deletecollection"}},
			{APIGroups: []string{""}, Resources: []string{"secrets", "services"},
				Verbs: []string{"create", "get", "list", "deletecollection"}},
			{APIGroups: []string{""}, Resources: []string{"pods"},
				Verbs: []string{"get", "list", "watch", "deletecollection"}},
			{APIGroups: []string{""}, Resources: []string{"pods/log"},
				Verbs: []string{"get"}},
			{APIGroups: []string{"networking.k8s.io"}, Resources: []string{"networkpolicies"},
				Verbs: []string{"create", "list", "deletecollection"}},
			{APIGroups: []string{"batch"}, Resources: []string{"jobs"},
				Verbs: []string{"create", "get", "list", "watch", "patch", "deletecollection"}},
			{APIGroups: []string{"apps"}, Resources: []string{"statefulsets", "deployments"},
				Verbs: []string{"create", "get", "list", "watch", "patch", "deletecollection"}},
			{APIGroups: []string{"apps"}, Resources: []string{"replicasets", "controllerrevisions"},
				Verbs: []string{"deletecollection"}},
			{APIGroups: []string{""}, Resources: []string{"events"},
				Verbs: []string{"list"}},
		},
	}
}
