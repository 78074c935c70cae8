package render

import (
	"fmt"
	"io"

	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/juliarun/sdk/jobs"
)

// Render returns every object of job s in namespace, in creation order: the
// root ConfigMap first, then what it owns (Secret, ConfigMaps, Services,
// NetworkPolicy, then workloads, so nothing starts before its
// configuration exists). The client makes the root the owner of the rest
// once it exists.
//
// s must be valid (jobs.ValidateSpec); rand supplies the cookie and salt.
func Render(s jobs.Spec, namespace string, rand io.Reader) ([]client.Object, error) {
	r := &renderer{s: s, ns: namespace}
	if err := r.secrets(rand); err != nil {
		return nil, err
	}
	root, err := r.root()
	if err != nil {
		return nil, err
	}
	objs := []client.Object{root}
	if sec := r.secret(); sec != nil {
		objs = append(objs, sec)
	}
	if r.usesScripts() {
		objs = append(objs, r.scriptsConfigMap())
	}
	objs = append(objs, r.services()...)
	objs = append(objs, r.networkPolicy())
	workloads, err := r.workloads()
	if err != nil {
		return nil, err
	}
	if err := jobs.Invalid(s.Type, s.Name, r.errs); err != nil {
		return nil, err
	}
	return append(objs, workloads...), nil
}

// renderer holds what the builders of one job share.
type renderer struct {
	s            jobs.Spec
	ns           string
	cookie       string
	runID        string // JuliaParBatch: one Start's token, see scripts.EnvRunID
	passwordHash string
	// errs are the problems found while rendering: a pod template overlay
	// that changes what the SDK relies on.
	errs field.ErrorList
}

func (r *renderer) secrets(rand io.Reader) error {
	if jobs.HasMasterWorkers(r.s.Type) {
		c, err := newCookie(rand)
		if err != nil {
			return fmt.Errorf("generating the cluster cookie: %w", err)
		}
		r.cookie = c
	}
	if r.s.Type == jobs.TypeParBatch {
		id, err := newCookie(rand)
		if err != nil {
			return fmt.Errorf("generating the run ID: %w", err)
		}
		r.runID = id
	}
	if r.s.Password != "" {
		h, err := hashPassword(r.s.Password, rand)
		if err != nil {
			return fmt.Errorf("hashing the notebook password: %w", err)
		}
		r.passwordHash = h
	}
	return nil
}

// isJulia reports whether the job runs Julia through the shipped scripts.
func (r *renderer) usesScripts() bool {
	switch r.s.Type {
	case jobs.TypeWebserver, jobs.TypeMessageQ, jobs.TypeGeneric:
		return false
	}
	return true
}
