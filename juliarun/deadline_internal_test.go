package juliarun

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"
)

// TestJobFailure checks how a failed Job's condition reads in Status: a
// Job past its active deadline says the run-time limit it ran past.
func TestJobFailure(t *testing.T) {
	limited := &batchv1.Job{Spec: batchv1.JobSpec{ActiveDeadlineSeconds: ptr.To(int64(90))}}
	unlimited := &batchv1.Job{}
	deadline := batchv1.JobCondition{Type: batchv1.JobFailed, Status: corev1.ConditionTrue,
		Reason: batchv1.JobReasonDeadlineExceeded, Message: "Job was active longer than specified deadline"}
	backoff := batchv1.JobCondition{Type: batchv1.JobFailed, Status: corev1.ConditionTrue,
		Reason: batchv1.JobReasonBackoffLimitExceeded, Message: "Job has reached the specified backoff limit"}
	for _, tt := range []struct {
		name string
		job  *batchv1.Job
		cond batchv1.JobCondition
		want string
	}{
		{"past the deadline", limited, deadline,
			"run-time limit of 1m30s exceeded (DeadlineExceeded); Job was active longer than specified deadline"},
		{"retries used up, with a limit", limited, backoff, "Job has reached the specified backoff limit"},
		{"deadline reason without a deadline", unlimited, deadline, "Job was active longer than specified deadline"},
	} {
		if diff := cmp.Diff(tt.want, jobFailure(tt.job, tt.cond)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.name, diff)
		}
	}
}
