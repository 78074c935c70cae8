package jobs

import (
	"fmt"
	"math"
	"path"
	"reflect"
	"slices"
	"sort"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/juliarun/sdk/internal/labels"
	"github.com/juliarun/sdk/internal/names"
	"github.com/juliarun/sdk/volumes"
)

// validateSettings checks s.Settings: what applies to s.Type, and every
// value, with paths in the job model's terms (workers.tolerations[0].effect).
func validateSettings(s Spec) field.ErrorList {
	set := s.Settings
	var errs field.ErrorList
	errs = append(errs, validateMetadata(field.NewPath(paramLabels), field.NewPath(paramAnnotations), set.Labels, set.Annotations)...)
	for i, name := range set.ImagePullSecrets {
		errs = append(errs, validateObjectName(field.NewPath(paramImagePullSecrets).Index(i), name)...)
	}
	switch set.ImagePullPolicy {
	case "", corev1.PullAlways, corev1.PullIfNotPresent, corev1.PullNever:
	default:
		errs = append(errs, field.NotSupported(field.NewPath(paramImagePullPolicy), set.ImagePullPolicy,
			[]corev1.PullPolicy{corev1.PullAlways, corev1.PullIfNotPresent, corev1.PullNever}))
	}
	errs = append(errs, validateLifecycle(s)...)
	errs = append(errs, validatePodSettings(s, Master)...)
	if HasMasterWorkers(s.Type) {
		errs = append(errs, validatePodSettings(s, Workers)...)
	} else if !reflect.ValueOf(set.Workers).IsZero() {
		errs = append(errs, field.Forbidden(field.NewPath(string(Workers)), "a "+string(s.Type)+" job has no Distributed workers"))
	}
	return errs
}

func validateLifecycle(s Spec) field.ErrorList {
	set := s.Settings
	var errs field.ErrorList
	for _, f := range []struct {
		param string
		set   bool
	}{{paramRunTimeLimit, set.RunTimeLimit != 0}, {paramTTLAfterFinished, set.TTLAfterFinished != nil}} {
		if f.set && !finishes(s.Type) {
			errs = append(errs, field.Forbidden(field.NewPath(f.param), "does not apply to a "+string(s.Type)+" job, which runs until deleted"))
		}
	}
	if set.RetryLimit != 0 && !retries(s.Type) {
		errs = append(errs, field.Forbidden(field.NewPath(paramRetryLimit), "does not apply to a "+string(s.Type)+" job"))
	}
	if set.RunTimeLimit < 0 || (set.RunTimeLimit > 0 && set.RunTimeLimit < time.Second) {
		errs = append(errs, field.Invalid(field.NewPath(paramRunTimeLimit), set.RunTimeLimit.String(), "must be at least 1s, or 0 for no limit"))
	}
	if ttl := set.TTLAfterFinished; ttl != nil && (*ttl < 0 || *ttl > math.MaxInt32*time.Second) {
		errs = append(errs, field.Invalid(field.NewPath(paramTTLAfterFinished), ttl.String(), "must be between 0s and 68 years"))
	}
	if set.RetryLimit < 0 || set.RetryLimit > MaxRetryLimit {
		errs = append(errs, field.Invalid(field.NewPath(paramRetryLimit), set.RetryLimit, fmt.Sprintf("must be between 0 and %d", MaxRetryLimit)))
	}
	return errs
}

// MaxRetryLimit is the largest retry limit: a master failing more often is
// not transient.
const MaxRetryLimit = 100

func validatePodSettings(s Spec, role Role) field.ErrorList {
	p := s.Settings.Pods(role)
	root := field.NewPath(string(role))
	var errs field.ErrorList
	errs = append(errs, metav1validation.ValidateLabels(p.NodeSelector, root.Child(podNodeSelector))...)
	for i, t := range p.Tolerations {
		errs = append(errs, validateToleration(root.Child(podTolerations).Index(i), t)...)
	}
	if p.Affinity != nil {
		errs = append(errs, validateAffinity(root.Child(podAffinity), p.Affinity)...)
	}
	for i, c := range p.TopologySpreadConstraints {
		errs = append(errs, validateSpread(root.Child(podTopologySpread).Index(i), c)...)
	}
	for param, name := range map[string]string{podPriorityClass: p.PriorityClassName,
		podRuntimeClass: p.RuntimeClassName, podServiceAccount: p.ServiceAccountName} {
		if name != "" {
			errs = append(errs, validateObjectName(root.Child(param), name)...)
		}
	}
	errs = append(errs, validateMetadata(root.Child(podLabels), root.Child(podAnnotations), p.Labels, p.Annotations)...)
	literal := s.EnvVars
	if role == Workers {
		literal = s.WorkerEnvVars
	}
	errs = append(errs, validateEnvFrom(root.Child(podEnvFrom), p.EnvFrom, literal, s.PkgBundle, s.Type == TypePkgBuilder)...)
	for param, list := range map[string][]string{podEnvFromSecrets: p.EnvFromSecrets, podEnvFromConfigMaps: p.EnvFromConfigMaps} {
		for i, name := range list {
			errs = append(errs, validateObjectName(root.Child(param).Index(i), name)...)
		}
	}
	errs = append(errs, validateSettingsVolumes(root, p)...)
	if p.Overlay != nil {
		errs = append(errs, validateOverlay(root.Child(podOverlay), p.Overlay)...)
	}
	// Map iteration order is random: report in a stable order.
	sort.SliceStable(errs, func(i, j int) bool { return errs[i].Field < errs[j].Field })
	return errs
}

// validateMetadata checks labels and annotations given for a job's objects
// or pods: valid keys and values, none of the SDK's own.
func validateMetadata(labelsPath, annotationsPath *field.Path, l, a map[string]string) field.ErrorList {
	errs := metav1validation.ValidateLabels(l, labelsPath)
	errs = append(errs, apivalidation.ValidateAnnotations(a, annotationsPath)...)
	for _, m := range []struct {
		p    *field.Path
		keys map[string]string
	}{{labelsPath, l}, {annotationsPath, a}} {
		for _, k := range sortedKeys(m.keys) {
			if labels.Reserved(k) {
				errs = append(errs, field.Forbidden(m.p.Key(k), "keys under "+labels.Prefix+" and "+labels.ManagedBy+" are set by juliarun"))
			}
		}
	}
	return errs
}

func validateObjectName(p *field.Path, name string) field.ErrorList {
	var errs field.ErrorList
	for _, msg := range validation.IsDNS1123Subdomain(name) {
		errs = append(errs, field.Invalid(p, name, msg))
	}
	return errs
}

func validateToleration(p *field.Path, t corev1.Toleration) field.ErrorList {
	var errs field.ErrorList
	if t.Key != "" {
		errs = append(errs, metav1validation.ValidateLabelName(t.Key, p.Child("key"))...)
	}
	switch t.Operator {
	case corev1.TolerationOpEqual, "":
		for _, msg := range validation.IsValidLabelValue(t.Value) {
			errs = append(errs, field.Invalid(p.Child("value"), t.Value, msg))
		}
		if t.Key == "" {
			errs = append(errs, field.Required(p.Child("key"), "operator Equal needs a key (operator Exists without one tolerates every taint)"))
		}
	case corev1.TolerationOpExists:
		if t.Value != "" {
			errs = append(errs, field.Invalid(p.Child("value"), t.Value, "must be empty with operator Exists"))
		}
	default:
		errs = append(errs, field.NotSupported(p.Child("operator"), t.Operator,
			[]corev1.TolerationOperator{corev1.TolerationOpEqual, corev1.TolerationOpExists}))
	}
	switch t.Effect {
	case "", corev1.TaintEffectNoSchedule, corev1.TaintEffectPreferNoSchedule, corev1.TaintEffectNoExecute:
	default:
		errs = append(errs, field.NotSupported(p.Child("effect"), t.Effect, []corev1.TaintEffect{
			corev1.TaintEffectNoSchedule, corev1.TaintEffectPreferNoSchedule, corev1.TaintEffectNoExecute}))
	}
	if t.TolerationSeconds != nil && t.Effect != corev1.TaintEffectNoExecute {
		errs = append(errs, field.Invalid(p.Child("tolerationSeconds"), *t.TolerationSeconds, "applies only with effect NoExecute"))
	}
	return errs
}

func validateAffinity(p *field.Path, a *corev1.Affinity) field.ErrorList {
	var errs field.ErrorList
	if na := a.NodeAffinity; na != nil {
		np := p.Child("nodeAffinity")
		if r := na.RequiredDuringSchedulingIgnoredDuringExecution; r != nil {
			rp := np.Child("requiredDuringSchedulingIgnoredDuringExecution", "nodeSelectorTerms")
			if len(r.NodeSelectorTerms) == 0 {
				errs = append(errs, field.Required(rp, "at least one term"))
			}
			for i, term := range r.NodeSelectorTerms {
				errs = append(errs, validateNodeSelectorTerm(rp.Index(i), term)...)
			}
		}
		for i, pref := range na.PreferredDuringSchedulingIgnoredDuringExecution {
			pp := np.Child("preferredDuringSchedulingIgnoredDuringExecution").Index(i)
			errs = append(errs, validateWeight(pp.Child("weight"), pref.Weight)...)
			errs = append(errs, validateNodeSelectorTerm(pp.Child("preference"), pref.Preference)...)
		}
	}
	for _, pa := range []struct {
		name      string
		required  []corev1.PodAffinityTerm
		preferred []corev1.WeightedPodAffinityTerm
	}{{"podAffinity", podAffinityRequired(a.PodAffinity), podAffinityPreferred(a.PodAffinity)},
		{"podAntiAffinity", antiAffinityRequired(a.PodAntiAffinity), antiAffinityPreferred(a.PodAntiAffinity)}} {
		for i, term := range pa.required {
			errs = append(errs, validatePodAffinityTerm(p.Child(pa.name, "requiredDuringSchedulingIgnoredDuringExecution").Index(i), term)...)
		}
		for i, w := range pa.preferred {
			wp := p.Child(pa.name, "preferredDuringSchedulingIgnoredDuringExecution").Index(i)
			errs = append(errs, validateWeight(wp.Child("weight"), w.Weight)...)
			errs = append(errs, validatePodAffinityTerm(wp.Child("podAffinityTerm"), w.PodAffinityTerm)...)
		}
	}
	return errs
}

func podAffinityRequired(a *corev1.PodAffinity) []corev1.PodAffinityTerm {
	if a == nil {
		return nil
	}
	return a.RequiredDuringSchedulingIgnoredDuringExecution
}

func podAffinityPreferred(a *corev1.PodAffinity) []corev1.WeightedPodAffinityTerm {
	if a == nil {
		return nil
	}
	return a.PreferredDuringSchedulingIgnoredDuringExecution
}

func antiAffinityRequired(a *corev1.PodAntiAffinity) []corev1.PodAffinityTerm {
	if a == nil {
		return nil
	}
	return a.RequiredDuringSchedulingIgnoredDuringExecution
}

func antiAffinityPreferred(a *corev1.PodAntiAffinity) []corev1.WeightedPodAffinityTerm {
	if a == nil {
		return nil
	}
	return a.PreferredDuringSchedulingIgnoredDuringExecution
}

func validateWeight(p *field.Path, w int32) field.ErrorList {
	if w < 1 || w > 100 {
		return field.ErrorList{field.Invalid(p, w, "must be between 1 and 100")}
	}
	return nil
}

func validateNodeSelectorTerm(p *field.Path, term corev1.NodeSelectorTerm) field.ErrorList {
	var errs field.ErrorList
	for _, list := range []struct {
		name string
		reqs []corev1.NodeSelectorRequirement
	}{{"matchExpressions", term.MatchExpressions}, {"matchFields", term.MatchFields}} {
		for i, r := range list.reqs {
			rp := p.Child(list.name).Index(i)
			errs = append(errs, metav1validation.ValidateLabelName(r.Key, rp.Child("key"))...)
			switch r.Operator {
			case corev1.NodeSelectorOpIn, corev1.NodeSelectorOpNotIn:
				if len(r.Values) == 0 {
					errs = append(errs, field.Required(rp.Child("values"), "operators In and NotIn need values"))
				}
			case corev1.NodeSelectorOpExists, corev1.NodeSelectorOpDoesNotExist:
				if len(r.Values) > 0 {
					errs = append(errs, field.Forbidden(rp.Child("values"), "operators Exists and DoesNotExist take no values"))
				}
			case corev1.NodeSelectorOpGt, corev1.NodeSelectorOpLt:
				if len(r.Values) != 1 {
					errs = append(errs, field.Invalid(rp.Child("values"), r.Values, "operators Gt and Lt take one integer"))
				}
			default:
				errs = append(errs, field.NotSupported(rp.Child("operator"), r.Operator, []corev1.NodeSelectorOperator{
					corev1.NodeSelectorOpIn, corev1.NodeSelectorOpNotIn, corev1.NodeSelectorOpExists,
					corev1.NodeSelectorOpDoesNotExist, corev1.NodeSelectorOpGt, corev1.NodeSelectorOpLt}))
			}
		}
	}
	return errs
}

func validatePodAffinityTerm(p *field.Path, term corev1.PodAffinityTerm) field.ErrorList {
	var errs field.ErrorList
	if term.TopologyKey == "" {
		errs = append(errs, field.Required(p.Child("topologyKey"), "the node label that groups nodes (kubernetes.io/hostname, topology.kubernetes.io/zone)"))
	} else {
		errs = append(errs, metav1validation.ValidateLabelName(term.TopologyKey, p.Child("topologyKey"))...)
	}
	opts := metav1validation.LabelSelectorValidationOptions{}
	errs = append(errs, metav1validation.ValidateLabelSelector(term.LabelSelector, opts, p.Child("labelSelector"))...)
	return errs
}

func validateSpread(p *field.Path, c corev1.TopologySpreadConstraint) field.ErrorList {
	var errs field.ErrorList
	if c.MaxSkew < 1 {
		errs = append(errs, field.Invalid(p.Child("maxSkew"), c.MaxSkew, "must be at least 1"))
	}
	if c.TopologyKey == "" {
		errs = append(errs, field.Required(p.Child("topologyKey"), "the node label that groups nodes"))
	} else {
		errs = append(errs, metav1validation.ValidateLabelName(c.TopologyKey, p.Child("topologyKey"))...)
	}
	switch c.WhenUnsatisfiable {
	case corev1.DoNotSchedule, corev1.ScheduleAnyway:
	default:
		errs = append(errs, field.NotSupported(p.Child("whenUnsatisfiable"), c.WhenUnsatisfiable,
			[]corev1.UnsatisfiableConstraintAction{corev1.DoNotSchedule, corev1.ScheduleAnyway}))
	}
	errs = append(errs, metav1validation.ValidateLabelSelector(c.LabelSelector, metav1validation.LabelSelectorValidationOptions{}, p.Child("labelSelector"))...)
	return errs
}

// validateEnvFrom checks variables taken from Secret and ConfigMap keys:
// names as for envvars, none also given a literal value, each from exactly
// one object.
func validateEnvFrom(root *field.Path, vars map[string]EnvSource, literal map[string]string, bundle string, writableBundle bool) field.ErrorList {
	asNames := make(map[string]string, len(vars))
	for k := range vars {
		asNames[k] = ""
	}
	errs := validateEnv(root, asNames, bundle, writableBundle)
	for _, k := range sortedKeys(vars) {
		src, p := vars[k], root.Key(k)
		if _, ok := literal[k]; ok {
			errs = append(errs, field.Duplicate(p, k+" (also given a literal value)"))
		}
		switch {
		case (src.Secret == "") == (src.ConfigMap == ""):
			errs = append(errs, field.Invalid(p, src, "must name exactly one Secret or ConfigMap (FromSecret, FromConfigMap)"))
		case src.Secret != "":
			errs = append(errs, validateObjectName(p.Child("secret"), src.Secret)...)
		default:
			errs = append(errs, validateObjectName(p.Child("configmap"), src.ConfigMap)...)
		}
		if src.Key == "" {
			errs = append(errs, field.Required(p.Child("key"), "the key whose value the variable takes"))
		}
		for _, msg := range validation.IsConfigMapKey(src.Key) {
			if src.Key != "" {
				errs = append(errs, field.Invalid(p.Child("key"), src.Key, msg))
			}
		}
	}
	return errs
}

// validateSettingsVolumes checks Secret, ConfigMap and emptyDir volumes and
// the shared-memory size: each from one source, at a distinct absolute
// path outside the claims' /mnt and /dev/shm when that is set.
func validateSettingsVolumes(root *field.Path, p *PodSettings) field.ErrorList {
	var errs field.ErrorList
	seen := map[string]bool{}
	if !p.ShmSize.IsZero() {
		seen[ShmPath] = true
		if p.ShmSize.Sign() < 0 {
			errs = append(errs, field.Invalid(root.Child(podShmSize), p.ShmSize.String(), "must be positive"))
		}
	}
	for i, v := range p.Volumes {
		vp := root.Child(podVolumes).Index(i)
		sources := 0
		for _, set := range []bool{v.Secret != "", v.ConfigMap != "", v.EmptyDir} {
			if set {
				sources++
			}
		}
		if sources != 1 {
			errs = append(errs, field.Invalid(vp, v.MountPath, "must be exactly one of a Secret, a ConfigMap or an emptyDir (SecretVolume, ConfigMapVolume, EmptyDirVolume)"))
		}
		if v.Secret != "" {
			errs = append(errs, validateObjectName(vp.Child("secret"), v.Secret)...)
		}
		if v.ConfigMap != "" {
			errs = append(errs, validateObjectName(vp.Child("configmap"), v.ConfigMap)...)
		}
		switch {
		case v.SizeLimit.Sign() < 0:
			errs = append(errs, field.Invalid(vp.Child("size_limit"), v.SizeLimit.String(), "must not be negative"))
		case !v.SizeLimit.IsZero() && !v.EmptyDir:
			errs = append(errs, field.Invalid(vp.Child("size_limit"), v.SizeLimit.String(), "applies only to an emptyDir"))
		}
		mp := vp.Child("mount_path")
		switch clean := path.Clean(v.MountPath); {
		case !path.IsAbs(v.MountPath):
			errs = append(errs, field.Invalid(mp, v.MountPath, "must be an absolute path"))
		case clean == "/" || clean == volumes.MountRoot || strings.HasPrefix(clean, volumes.MountRoot+"/"):
			errs = append(errs, field.Invalid(mp, v.MountPath, "must not be / or under "+volumes.MountRoot+", where the claims are mounted"))
		case seen[clean]:
			errs = append(errs, field.Duplicate(mp, v.MountPath))
		default:
			seen[clean] = true
		}
	}
	return errs
}

// validateOverlay reports what a pod template overlay may not change: the
// SDK's labels, its volumes, JRUN_* variables, and the main container's
// name-keyed identity (command, args, working directory, image).
// render checks the merged template again, as only it knows every volume.
func validateOverlay(root *field.Path, o *corev1.PodTemplateSpec) field.ErrorList {
	var errs field.ErrorList
	meta := root.Child("metadata")
	for _, m := range []struct {
		name string
		keys map[string]string
	}{{"labels", o.Labels}, {"annotations", o.Annotations}} {
		for _, k := range sortedKeys(m.keys) {
			if labels.Reserved(k) {
				errs = append(errs, field.Forbidden(meta.Child(m.name).Key(k), "set by juliarun"))
			}
		}
	}
	if o.Name != "" || o.Namespace != "" || o.GenerateName != "" || len(o.OwnerReferences) > 0 || len(o.Finalizers) > 0 {
		errs = append(errs, field.Forbidden(meta, "only labels and annotations may be set on the pods' metadata"))
	}
	spec := root.Child("spec")
	for i, v := range o.Spec.Volumes {
		if names.ReservedVolume(v.Name) {
			errs = append(errs, field.Forbidden(spec.Child("volumes").Index(i).Child("name"), v.Name+" is a name juliarun gives its own volumes"))
		}
	}
	for _, list := range []struct {
		name       string
		containers []corev1.Container
	}{{"containers", o.Spec.Containers}, {"initContainers", o.Spec.InitContainers}} {
		for i, c := range list.containers {
			cp := spec.Child(list.name).Index(i)
			if c.Name == "" {
				errs = append(errs, field.Required(cp.Child("name"), "containers merge by name: \"main\" is juliarun's, any other adds one"))
			}
			for j, e := range c.Env {
				if strings.HasPrefix(e.Name, ReservedEnvPrefix) {
					errs = append(errs, field.Forbidden(cp.Child("env").Index(j).Child("name"), "names starting with "+ReservedEnvPrefix+" are set by juliarun"))
				}
			}
			if list.name == "containers" && c.Name == MainContainer {
				for _, f := range []struct {
					name string
					set  bool
				}{{"command", len(c.Command) > 0}, {"args", len(c.Args) > 0}, {"workingDir", c.WorkingDir != ""}, {"image", c.Image != ""}} {
					if f.set {
						errs = append(errs, field.Forbidden(cp.Child(f.name), "juliarun sets the main container's "+f.name+" from the job's parameters"))
					}
				}
			}
		}
	}
	return errs
}

// MainContainer is the name of the container that runs the job's process,
// by which a pod template overlay changes it.
const MainContainer = "main"

// Warnings returns what in the job's settings makes its pods inadmissible
// in a namespace that enforces Pod Security "restricted" (the SDK's own
// pods are admissible): an overlay that runs privileged, as root, with host
// namespaces or paths, added capabilities, or privilege escalation. Each is
// a field path and why. Start logs them; the job is still valid.
func Warnings(j Job) []string {
	s := j.Spec()
	var out []string
	roles := []Role{Master}
	if HasMasterWorkers(s.Type) {
		roles = append(roles, Workers)
	}
	for _, role := range roles {
		if o := s.Settings.Pods(role).Overlay; o != nil {
			out = append(out, restrictedWarnings(field.NewPath(string(role), podOverlay, "spec"), &o.Spec)...)
		}
	}
	return out
}

func restrictedWarnings(p *field.Path, spec *corev1.PodSpec) []string {
	var out []string
	warn := func(fp *field.Path, why string) {
		out = append(out, fp.String()+": "+why+" (not allowed under Pod Security \"restricted\")")
	}
	for _, f := range []struct {
		name string
		set  bool
	}{{"hostNetwork", spec.HostNetwork}, {"hostPID", spec.HostPID}, {"hostIPC", spec.HostIPC}} {
		if f.set {
			warn(p.Child(f.name), "shares the node's namespace")
		}
	}
	for i, v := range spec.Volumes {
		if v.HostPath != nil {
			warn(p.Child("volumes").Index(i).Child("hostPath"), "mounts a path of the node")
		}
	}
	if sc := spec.SecurityContext; sc != nil {
		if sc.RunAsNonRoot != nil && !*sc.RunAsNonRoot {
			warn(p.Child("securityContext", "runAsNonRoot"), "allows running as root")
		}
		if sc.RunAsUser != nil && *sc.RunAsUser == 0 {
			warn(p.Child("securityContext", "runAsUser"), "runs as root")
		}
	}
	for _, list := range []struct {
		name       string
		containers []corev1.Container
	}{{"containers", spec.Containers}, {"initContainers", spec.InitContainers}} {
		for i, c := range list.containers {
			sc := c.SecurityContext
			if sc == nil {
				continue
			}
			cp := p.Child(list.name).Index(i).Child("securityContext")
			if sc.Privileged != nil && *sc.Privileged {
				warn(cp.Child("privileged"), "runs privileged")
			}
			if sc.AllowPrivilegeEscalation != nil && *sc.AllowPrivilegeEscalation {
				warn(cp.Child("allowPrivilegeEscalation"), "allows privilege escalation")
			}
			if sc.RunAsUser != nil && *sc.RunAsUser == 0 {
				warn(cp.Child("runAsUser"), "runs as root")
			}
			if sc.RunAsNonRoot != nil && !*sc.RunAsNonRoot {
				warn(cp.Child("runAsNonRoot"), "allows running as root")
			}
			if caps := sc.Capabilities; caps != nil {
				if slices.ContainsFunc(caps.Add, func(c corev1.Capability) bool { return c != "NET_BIND_SERVICE" }) {
					warn(cp.Child("capabilities", "add"), "adds capabilities")
				}
				if !slices.Contains(caps.Drop, "ALL") {
					warn(cp.Child("capabilities", "drop"), "keeps capabilities (drop ALL)")
				}
			}
		}
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
