package render_test

import (
	"crypto/rand"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"

	"github.com/juliarun/sdk/internal/render"
	"github.com/juliarun/sdk/jobs"
)

// TestOverlayCannotReplaceTheSDKsParts: what validation of the overlay
// alone cannot see, the merged template shows: a mount at one of the SDK's
// paths replaces the SDK's mount (volumeMounts merge by mountPath), and
// Render refuses it with the field path.
func TestOverlayCannotReplaceTheSDKsParts(t *testing.T) {
	job := jobs.NewBatch("pi", "pi.jl", "work", jobs.WithPodOverlay(jobs.Master, corev1.PodTemplateSpec{Spec: corev1.PodSpec{
		Containers: []corev1.Container{{Name: jobs.MainContainer, VolumeMounts: []corev1.VolumeMount{
			{Name: "mine", MountPath: "/opt/juliarun/scripts"}}}},
		Volumes: []corev1.Volume{{Name: "mine", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}}},
	}}))
	if err := job.Validate(); err != nil {
		t.Fatalf("Validate: %v (the overlay alone is fine)", err)
	}
	_, err := render.Render(job.Spec(), testNamespace, rand.Reader)
	if !errors.Is(err, jobs.ErrInvalid) {
		t.Fatalf("Render = %v, want an error matching jobs.ErrInvalid", err)
	}
	var got []string
	for _, e := range jobs.AsErrorList(err) {
		got = append(got, e.Type.String()+" "+e.Field)
	}
	want := []string{"Forbidden master.overlay.spec.containers[main].volumeMounts[/opt/juliarun/scripts]"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Render's errors (-want +got):\n%s", diff)
	}
}

// TestOverlayMerges: an overlay's sidecar is added beside the main
// container, with what Pod Security "restricted" asks where the overlay
// says nothing; a field it sets on the main container is merged in, and
// the SDK's own settings stay.
func TestOverlayMerges(t *testing.T) {
	job := jobs.NewBatch("pi", "pi.jl", "work", jobs.WithPodOverlay(jobs.Master, corev1.PodTemplateSpec{Spec: corev1.PodSpec{
		Containers: []corev1.Container{
			{Name: jobs.MainContainer, TerminationMessagePolicy: corev1.TerminationMessageFallbackToLogsOnError},
			{Name: "proxy", Image: "envoy"},
		},
	}}))
	objs, err := render.Render(job.Spec(), testNamespace, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	var pod corev1.PodSpec
	for _, o := range objs {
		if j, ok := o.(*batchv1.Job); ok {
			pod = j.Spec.Template.Spec
		}
	}
	if len(pod.Containers) != 2 {
		t.Fatalf("containers = %d, want main and proxy", len(pod.Containers))
	}
	main, proxy := pod.Containers[0], pod.Containers[1]
	if main.Name != jobs.MainContainer || main.TerminationMessagePolicy != corev1.TerminationMessageFallbackToLogsOnError || len(main.Command) == 0 {
		t.Errorf("main container = %+v, want the SDK's command with the overlay's termination message policy", main)
	}
	want := &corev1.SecurityContext{AllowPrivilegeEscalation: ptr.To(false), Capabilities: &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}}}
	if diff := cmp.Diff(want, proxy.SecurityContext); diff != "" {
		t.Errorf("sidecar's security context (-want +got):\n%s", diff)
	}
	if pod.SecurityContext == nil || pod.SecurityContext.RunAsNonRoot == nil || !*pod.SecurityContext.RunAsNonRoot {
		t.Errorf("pod security context = %+v, want the SDK's runAsNonRoot kept", pod.SecurityContext)
	}
}
