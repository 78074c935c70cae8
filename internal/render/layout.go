package render

import (
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/juliarun/sdk/internal/labels"
	"github.com/juliarun/sdk/internal/names"
	"github.com/juliarun/sdk/jobs"
)

// WorkersOf returns an empty object of the kind and name of the workload
// whose size is the job's worker count (for Webserver and Generic, its
// replicas), for the client to read or patch; nil for types without
// workers.
func WorkersOf(s jobs.Spec, namespace string) client.Object {
	switch s.Type {
	case jobs.TypeParBatch, jobs.TypeNotebook, jobs.TypeParBatchWorkers:
		meta := metav1.ObjectMeta{Name: names.Workers(s.Name), Namespace: namespace}
		if s.Restart == jobs.RestartAlways && s.Type != jobs.TypeParBatch {
			return &appsv1.StatefulSet{ObjectMeta: meta}
		}
		return &batchv1.Job{ObjectMeta: meta}
	case jobs.TypeWebserver, jobs.TypeGeneric:
		return &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: names.Master(s.Name), Namespace: namespace}}
	}
	return nil
}

// MasterOf returns an empty object of the kind and name of the job's master
// (or main) workload; nil for job arrays, whose units have no master, and
// for Webserver and Generic, whose replicas are all workers.
func MasterOf(s jobs.Spec, namespace string) client.Object {
	meta := metav1.ObjectMeta{Name: names.Master(s.Name), Namespace: namespace}
	switch s.Type {
	case jobs.TypeBatch, jobs.TypeParBatch, jobs.TypePkgBuilder:
		return &batchv1.Job{ObjectMeta: meta}
	case jobs.TypeNotebook, jobs.TypeMessageQ:
		return &appsv1.StatefulSet{ObjectMeta: meta}
	}
	return nil
}

// ServingRole returns the role of the pods that serve a job's own ports,
// which its Service selects: the replicas of a Webserver or Generic job and
// the units of a job array are workers (their count is the worker count);
// every other type serves from its master.
func ServingRole(t jobs.Type) string {
	switch t {
	case jobs.TypeParBatchWorkers, jobs.TypeWebserver, jobs.TypeGeneric:
		return labels.RoleWorker
	}
	return labels.RoleMaster
}

// HasService reports whether the job gets a Service named after it: when
// it has ports of its own.
func HasService(s jobs.Spec) bool {
	return len(s.Ports) > 0
}
