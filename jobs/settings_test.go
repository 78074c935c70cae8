package jobs

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/utils/ptr"
)

// TestValidateSettings checks every setting's validation, with paths in
// the job model's terms, and that settings that do not apply to a type are
// Forbidden, once.
func TestValidateSettings(t *testing.T) {
	gpu := corev1.Toleration{Key: "nvidia.com/gpu", Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule}
	tests := []struct {
		name string
		job  Job
		want field.ErrorList
	}{
		{"every setting, valid", NewParBatch(testName, testScript, testVolume,
			WithLabels(map[string]string{"team": "risk"}), WithAnnotations(map[string]string{"example.com/x": "y"}),
			WithImagePullSecrets("cred"), WithImagePullPolicy(corev1.PullIfNotPresent),
			WithRunTimeLimit(time.Hour), WithTTLAfterFinished(0),
			WithTolerations(Workers, gpu), WithNodeSelector(Workers, map[string]string{"pool": "gpu"}),
			WithNodeSelector(Master, map[string]string{"pool": "cpu"}), WithPriorityClass(Workers, "high"),
			WithEnvFrom(Master, map[string]EnvSource{"TOKEN": FromSecret("api", "token")}),
			WithVolumes(Workers, SecretVolume("tls", "/etc/tls"), EmptyDirVolume("/scratch", resource.MustParse("1Gi"))),
			WithShmSize(Workers, resource.MustParse("2Gi"))), nil},

		// What does not apply.
		{"workers of a job without workers", NewBatch(testName, testScript, testVolume, WithTolerations(Workers, gpu)),
			errs(forbidden("workers.tolerations"))},
		{"workers set directly on a job without workers", func() Job {
			j := NewWebserver(testName, testCfg, testVolume)
			j.Settings.Workers.PriorityClassName = "high"
			return j
		}(), errs(forbidden("workers"))},
		{"lifecycle of a job that runs until deleted", NewNotebook(testName, testVolume,
			WithRunTimeLimit(time.Hour), WithTTLAfterFinished(time.Hour), WithRetryLimit(1)),
			errs(forbidden("run_time_limit"), forbidden("ttl_after_finished"), forbidden("retry_limit"))},
		{"retries of a JuliaParBatch master", NewParBatch(testName, testScript, testVolume, WithRetryLimit(1)),
			errs(forbidden("retry_limit"))},

		// Metadata.
		{"SDK labels and annotations", NewBatch(testName, testScript, testVolume,
			WithLabels(map[string]string{"juliarun.io/job": "other", "app.kubernetes.io/managed-by": "me"}),
			WithPodAnnotations(Master, map[string]string{"juliarun.io/role": "x"})),
			errs(forbidden("labels[app.kubernetes.io/managed-by]"), forbidden("labels[juliarun.io/job]"),
				forbidden("master.annotations[juliarun.io/role]"))},
		{"bad label value", NewBatch(testName, testScript, testVolume, WithLabels(map[string]string{"team": "a b"})),
			errs(invalid("labels", "a b"))},

		// Identity and images.
		{"bad pull policy and secret", NewBatch(testName, testScript, testVolume,
			WithImagePullPolicy("Sometimes"), WithImagePullSecrets("Bad_Name")),
			errs(invalid("image_pull_secrets[0]", "Bad_Name"), notSupported("image_pull_policy", corev1.PullPolicy("Sometimes")))},
		{"bad class and account names", NewBatch(testName, testScript, testVolume,
			WithPriorityClass(Master, "High!"), WithServiceAccount(Master, "a_b")),
			errs(invalid("master.priority_class", "High!"), invalid("master.service_account", "a_b"))},

		// Placement.
		{"bad tolerations", NewParBatch(testName, testScript, testVolume,
			WithTolerations(Workers,
				corev1.Toleration{Key: "gpu", Operator: corev1.TolerationOpExists, Value: "yes"},
				corev1.Toleration{Key: "gpu", Effect: "Sometimes"},
				corev1.Toleration{Operator: "Maybe"},
				corev1.Toleration{Key: "gpu", Value: "x", Effect: corev1.TaintEffectNoSchedule, TolerationSeconds: ptr.To[int64](5)})),
			errs(invalid("workers.tolerations[0].value", "yes"),
				notSupported("workers.tolerations[1].effect", corev1.TaintEffect("Sometimes")),
				notSupported("workers.tolerations[2].operator", corev1.TolerationOperator("Maybe")),
				invalid("workers.tolerations[3].tolerationSeconds", int64(5)))},
		{"bad affinity and spread", NewBatch(testName, testScript, testVolume,
			WithAffinity(Master, &corev1.Affinity{
				NodeAffinity: &corev1.NodeAffinity{RequiredDuringSchedulingIgnoredDuringExecution: &corev1.NodeSelector{
					NodeSelectorTerms: []corev1.NodeSelectorTerm{{MatchExpressions: []corev1.NodeSelectorRequirement{{Key: "zone", Operator: corev1.NodeSelectorOpIn}}}}}},
				PodAntiAffinity: &corev1.PodAntiAffinity{PreferredDuringSchedulingIgnoredDuringExecution: []corev1.WeightedPodAffinityTerm{
					{Weight: 200, PodAffinityTerm: corev1.PodAffinityTerm{LabelSelector: &metav1.LabelSelector{}}}}}}),
			WithTopologySpread(Master, corev1.TopologySpreadConstraint{WhenUnsatisfiable: "Never"})),
			errs(required("master.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].values"),
				invalid("master.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].weight", int32(200)),
				required("master.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].podAffinityTerm.topologyKey"),
				invalid("master.topology_spread_constraints[0].maxSkew", int32(0)),
				required("master.topology_spread_constraints[0].topologyKey"),
				notSupported("master.topology_spread_constraints[0].whenUnsatisfiable", corev1.UnsatisfiableConstraintAction("Never")))},

		// Secrets and config.
		{"bad env from", NewBatch(testName, testScript, testVolume,
			WithEnvVars(map[string]string{"TOKEN": "literal"}),
			WithEnvFrom(Master, map[string]EnvSource{
				"TOKEN":    FromSecret("api", "token"),
				"JRUN_DIR": FromConfigMap("c", "k"),
				"BOTH":     {Secret: "a", ConfigMap: "b", Key: "k"},
				"NOKEY":    FromSecret("api", ""),
			})),
			errs(invalid("master.env_from[BOTH]", EnvSource{Secret: "a", ConfigMap: "b", Key: "k"}),
				forbidden("master.env_from[JRUN_DIR]"),
				required("master.env_from[NOKEY].key"),
				duplicate("master.env_from[TOKEN]", "TOKEN (also given a literal value)"))},

		// Storage.
		{"bad volumes", NewParBatch(testName, testScript, testVolume,
			WithShmSize(Workers, resource.MustParse("1Gi")),
			WithVolumes(Workers,
				SecretVolume("tls", "etc/tls"),
				ConfigMapVolume("c", "/mnt/work/conf"),
				EmptyDirVolume("/dev/shm", resource.Quantity{}),
				Volume{MountPath: "/x"},
				Volume{MountPath: "/y", Secret: "s", SizeLimit: resource.MustParse("1Gi")})),
			errs(invalid("workers.volumes[0].mount_path", "etc/tls"),
				invalid("workers.volumes[1].mount_path", "/mnt/work/conf"),
				duplicate("workers.volumes[2].mount_path", "/dev/shm"),
				invalid("workers.volumes[3]", "/x"),
				invalid("workers.volumes[4].size_limit", "1Gi"))},

		// Lifecycle values.
		{"bad lifecycle values", NewBatch(testName, testScript, testVolume,
			WithRunTimeLimit(time.Millisecond), WithTTLAfterFinished(-time.Second), WithRetryLimit(MaxRetryLimit+1)),
			errs(invalid("run_time_limit", "1ms"), invalid("ttl_after_finished", "-1s"), invalid("retry_limit", MaxRetryLimit+1))},

		// The overlay may not change what the SDK relies on.
		{"overlay on the SDK's parts", NewNotebook(testName, testVolume, WithPodOverlay(Master, corev1.PodTemplateSpec{
			ObjectMeta: metav1.ObjectMeta{Name: "x", Labels: map[string]string{"juliarun.io/role": "worker"}},
			Spec: corev1.PodSpec{
				Volumes: []corev1.Volume{{Name: "scripts"}, {Name: "pvc-work"}, {Name: "mine"}},
				Containers: []corev1.Container{
					{Name: MainContainer, Command: []string{"sh"}, Env: []corev1.EnvVar{{Name: "JRUN_DIR", Value: "/"}}},
					{Image: "nameless"},
				},
			}})),
			errs(forbidden("master.overlay.metadata.labels[juliarun.io/role]"), forbidden("master.overlay.metadata"),
				forbidden("master.overlay.spec.volumes[0].name"), forbidden("master.overlay.spec.volumes[1].name"),
				forbidden("master.overlay.spec.containers[0].env[0].name"), forbidden("master.overlay.spec.containers[0].command"),
				required("master.overlay.spec.containers[1].name"))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, AsErrorList(tt.job.Validate()), errorListOpts()); diff != "" {
				t.Errorf("Validate (-want +got):\n%s", diff)
			}
		})
	}
}

// TestSettingsWarnings: an overlay that makes pods inadmissible under Pod
// Security "restricted" is valid, but each such field is named.
func TestSettingsWarnings(t *testing.T) {
	yes := true
	job := NewParBatch(testName, testScript, testVolume, WithPodOverlay(Workers, corev1.PodTemplateSpec{Spec: corev1.PodSpec{
		HostNetwork: true,
		Volumes:     []corev1.Volume{{Name: "drivers", VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/usr/lib/nvidia"}}}},
		Containers: []corev1.Container{{Name: "debug", SecurityContext: &corev1.SecurityContext{Privileged: &yes,
			Capabilities: &corev1.Capabilities{Add: []corev1.Capability{"SYS_ADMIN"}}}}},
	}}))
	if err := job.Validate(); err != nil {
		t.Fatalf("a job whose overlay is only inadmissible under restricted is valid: %v", err)
	}
	var got []string
	for _, w := range Warnings(job) {
		got = append(got, strings.SplitN(w, ":", 2)[0])
	}
	want := []string{"workers.overlay.spec.hostNetwork", "workers.overlay.spec.volumes[0].hostPath",
		"workers.overlay.spec.containers[0].securityContext.privileged",
		"workers.overlay.spec.containers[0].securityContext.capabilities.add",
		"workers.overlay.spec.containers[0].securityContext.capabilities.drop"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Warnings (-want +got):\n%s", diff)
	}
	if w := Warnings(NewParBatch(testName, testScript, testVolume)); len(w) != 0 {
		t.Errorf("Warnings of a job without an overlay = %q, want none", w)
	}
}

// TestSettingsChanged: Changed names settings as the options do.
func TestSettingsChanged(t *testing.T) {
	a := NewParBatch(testName, testScript, testVolume, WithNodeSelector(Workers, map[string]string{"pool": "gpu"})).Spec()
	b := NewParBatch(testName, testScript, testVolume, WithNodeSelector(Workers, map[string]string{"pool": "cpu"}),
		WithTolerations(Master), WithLabels(map[string]string{"team": "x"})).Spec()
	if diff := cmp.Diff([]string{"labels", "workers.node_selector"}, Changed(a, b)); diff != "" {
		t.Errorf("Changed (-want +got):\n%s", diff)
	}
}

// TestSettingsOptionsLastWins: a setting given twice keeps the last value,
// and options share nothing with what they were given.
func TestSettingsOptionsLastWins(t *testing.T) {
	sel := map[string]string{"pool": "a"}
	opt := WithNodeSelector(Workers, sel)
	sel["pool"] = "changed"
	j := NewParBatch(testName, testScript, testVolume, opt, WithPriorityClass(Workers, "low"), WithPriorityClass(Workers, "high"))
	got := j.Settings.Workers
	if got.NodeSelector["pool"] != "a" || got.PriorityClassName != "high" {
		t.Errorf("workers settings = %+v, want node selector pool=a and priority class high", got)
	}
}
