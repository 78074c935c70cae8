package render

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/util/strategicpatch"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/juliarun/sdk/jobs"
)

// overlaid merges overlay into t with strategic-merge semantics, as
// `kubectl patch --type strategic` would: containers, volumes, env and
// mounts merge by name, other lists are replaced. It then checks that the
// merge kept what the SDK relies on (its labels, its volumes and mounts,
// the main container's command, args, working directory, image and JRUN_*
// variables), reporting each change as Forbidden under root.
func overlaid(t corev1.PodTemplateSpec, overlay *corev1.PodTemplateSpec, root *field.Path) (corev1.PodTemplateSpec, field.ErrorList) {
	fail := func(err error) (corev1.PodTemplateSpec, field.ErrorList) {
		return t, field.ErrorList{field.Invalid(root, "", err.Error())}
	}
	original, err := json.Marshal(t)
	if err != nil {
		return fail(err)
	}
	patch, err := patchOf(overlay)
	if err != nil {
		return fail(err)
	}
	out, err := strategicpatch.StrategicMergePatch(original, patch, corev1.PodTemplateSpec{})
	if err != nil {
		return fail(fmt.Errorf("merging the overlay: %w", err))
	}
	var merged corev1.PodTemplateSpec
	if err := json.Unmarshal(out, &merged); err != nil {
		return fail(err)
	}
	restrictAdded(t.Spec.Containers, merged.Spec.Containers)
	restrictAdded(t.Spec.InitContainers, merged.Spec.InitContainers)
	return merged, keptByOverlay(t, merged, root)
}

// restrictAdded gives the containers an overlay added (a sidecar) what Pod
// Security "restricted" asks of every container, where the overlay leaves
// it unsaid: no privilege escalation, no capabilities. An overlay that sets
// either keeps its own (and Warnings names it).
func restrictAdded(rendered, merged []corev1.Container) {
	for i := range merged {
		c := &merged[i]
		if slices.ContainsFunc(rendered, func(r corev1.Container) bool { return r.Name == c.Name }) {
			continue
		}
		if c.SecurityContext == nil {
			c.SecurityContext = &corev1.SecurityContext{}
		}
		if c.SecurityContext.AllowPrivilegeEscalation == nil {
			no := false
			c.SecurityContext.AllowPrivilegeEscalation = &no
		}
		if c.SecurityContext.Capabilities == nil {
			c.SecurityContext.Capabilities = &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}}
		}
	}
}

// patchOf returns overlay as a strategic merge patch. A typed template
// marshals unset lists as null (containers has no omitempty), which in a
// patch means "delete": those are dropped, so only what the overlay sets
// is patched.
func patchOf(overlay *corev1.PodTemplateSpec) ([]byte, error) {
	data, err := json.Marshal(overlay)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, err
	}
	return json.Marshal(dropNulls(m))
}

func dropNulls(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if e == nil {
				delete(x, k)
				continue
			}
			x[k] = dropNulls(e)
		}
	case []any:
		for i := range x {
			x[i] = dropNulls(x[i])
		}
	}
	return v
}

// keptByOverlay reports what the merge changed of the SDK's parts of
// before.
func keptByOverlay(before, after corev1.PodTemplateSpec, root *field.Path) field.ErrorList {
	var errs field.ErrorList
	forbid := func(p *field.Path, what string) {
		errs = append(errs, field.Forbidden(p, "juliarun sets "+what+"; the overlay may not change it"))
	}
	for k, v := range before.Labels {
		if after.Labels[k] != v {
			forbid(root.Child("metadata", "labels").Key(k), "this label")
		}
	}
	afterVolumes := map[string]corev1.Volume{}
	for _, v := range after.Spec.Volumes {
		afterVolumes[v.Name] = v
	}
	for _, v := range before.Spec.Volumes {
		if got, ok := afterVolumes[v.Name]; !ok || !equality.Semantic.DeepEqual(v, got) {
			forbid(root.Child("spec", "volumes").Key(v.Name), "this volume")
		}
	}
	main := root.Child("spec", "containers").Key(jobs.MainContainer)
	b, a := mainContainer(&before), mainContainer(&after)
	if a == nil {
		forbid(main, "the main container")
		return errs
	}
	for _, f := range []struct {
		name          string
		before, after any
	}{{"command", b.Command, a.Command}, {"args", b.Args, a.Args}, {"workingDir", b.WorkingDir, a.WorkingDir},
		{"image", b.Image, a.Image}, {"env", sdkEnv(b.Env), sdkEnv(a.Env)}} {
		if !equality.Semantic.DeepEqual(f.before, f.after) {
			forbid(main.Child(f.name), "the main container's "+f.name)
		}
	}
	afterMounts := map[string]corev1.VolumeMount{}
	for _, m := range a.VolumeMounts {
		afterMounts[m.MountPath] = m
	}
	for _, m := range b.VolumeMounts {
		if got, ok := afterMounts[m.MountPath]; !ok || !equality.Semantic.DeepEqual(got, m) {
			forbid(main.Child("volumeMounts").Key(m.MountPath), "this mount")
		}
	}
	return errs
}

func mainContainer(t *corev1.PodTemplateSpec) *corev1.Container {
	for i := range t.Spec.Containers {
		if t.Spec.Containers[i].Name == jobs.MainContainer {
			return &t.Spec.Containers[i]
		}
	}
	return nil
}

// sdkEnv returns the variables the SDK sets itself (JRUN_*).
func sdkEnv(env []corev1.EnvVar) []corev1.EnvVar {
	var out []corev1.EnvVar
	for _, e := range env {
		if strings.HasPrefix(e.Name, jobs.ReservedEnvPrefix) {
			out = append(out, e)
		}
	}
	return out
}
