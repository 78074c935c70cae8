package juliarun

import (
	"fmt"
	"strings"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
)

// jobFailure says why a Job failed, from its Failed condition: its message,
// and, for a Job ended by its active deadline, the run-time limit it ran
// past in the job model's terms (jobs.WithRunTimeLimit), beside the Job
// controller's own reason.
func jobFailure(j *batchv1.Job, failed batchv1.JobCondition) string {
	if failed.Reason == batchv1.JobReasonPodFailurePolicy && strings.Contains(failed.Message, string(corev1.DisruptionTarget)) {
		// The pod failure rule on disruptions (render's masterJob): the
		// pod the message names is gone with the disruption.
		return joinReasons("master preempted or evicted (DisruptionTarget)", failed.Message)
	}
	if failed.Reason != batchv1.JobReasonDeadlineExceeded || j.Spec.ActiveDeadlineSeconds == nil {
		return failed.Message
	}
	limit := time.Duration(*j.Spec.ActiveDeadlineSeconds) * time.Second
	return joinReasons(fmt.Sprintf("run-time limit of %s exceeded (%s)", limit, failed.Reason), failed.Message)
}
