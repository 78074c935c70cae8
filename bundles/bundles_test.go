package bundles

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
)

func TestEnv(t *testing.T) {
	tests := []struct {
		writable bool
		want     []corev1.EnvVar
	}{
		{false, []corev1.EnvVar{
			{Name: "JRUN_BUNDLE_DEPOT", Value: "/opt/juliarun/bundles/stats"},
			{Name: "JRUN_BUNDLE_ENVIRONMENT", Value: "/opt/juliarun/bundles/stats/environment"},
		}},
		{true, []corev1.EnvVar{
			{Name: "JRUN_BUNDLE_DEPOT", Value: "/opt/juliarun/bundles/stats"},
			{Name: "JRUN_BUNDLE_ENVIRONMENT", Value: "/opt/juliarun/bundles/stats/environment"},
			{Name: "JRUN_BUNDLE_WRITABLE", Value: "true"},
			{Name: "JULIA_PROJECT", Value: "/opt/juliarun/bundles/stats/environment"},
		}},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, Env("stats", tt.writable)); diff != "" {
			t.Errorf("Env(stats, %v) (-want +got):\n%s", tt.writable, diff)
		}
	}
	if diff := cmp.Diff("/opt/juliarun/bundles/stats", MountPath("stats")); diff != "" {
		t.Errorf("MountPath (-want +got):\n%s", diff)
	}
}
