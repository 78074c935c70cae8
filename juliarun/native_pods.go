package juliarun

import (
	"strconv"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// PodOf reports whether pod is a name the controller of the native
// layout's worker workload gives its pods.
func (nativeLayout) PodOf(workers client.Object, pod string) bool { return podOf(workers, pod) }

// maxGeneratedPrefix is the longest generateName prefix the API server
// keeps whole (63 less the 5 random characters).
const maxGeneratedPrefix = 58

// podOf reports whether pod is a name the controller of workload gives its
// pods: "<statefulset>-<ordinal>", "<job>-<index>-<random>" (the job name
// cut short when the prefix would exceed maxGeneratedPrefix, as the Job
// controller does) or "<deployment>-<hash>-<random>".
func podOf(workload client.Object, pod string) bool {
	name := workload.GetName()
	switch workload.(type) {
	case *appsv1.StatefulSet:
		ordinal, ok := strings.CutPrefix(pod, name+"-")
		return ok && isIndex(ordinal)
	case *batchv1.Job:
		rest, random, ok := cutLast(pod)
		if !ok || random == "" {
			return false
		}
		prefix, index, ok := cutLast(rest)
		if !ok || !isIndex(index) {
			return false
		}
		if prefix == name {
			return true
		}
		// Cut short: prefix + "-<index>-" fills the allowed length.
		return len(prefix) < len(name) && strings.HasPrefix(name, prefix) &&
			len(prefix)+len(index)+2 == maxGeneratedPrefix
	case *appsv1.Deployment:
		rest, random, ok := cutLast(pod)
		if !ok || random == "" {
			return false
		}
		prefix, hash, ok := cutLast(rest)
		return ok && hash != "" && prefix == name
	}
	return false
}

// cutLast cuts s around its last "-".
func cutLast(s string) (before, after string, found bool) {
	i := strings.LastIndex(s, "-")
	if i < 0 {
		return s, "", false
	}
	return s[:i], s[i+1:], true
}

// isIndex reports whether s is a pod index: decimal digits, no sign.
func isIndex(s string) bool {
	if s == "" || strings.TrimLeft(s, "0123456789") != "" {
		return false
	}
	_, err := strconv.Atoi(s)
	return err == nil
}
