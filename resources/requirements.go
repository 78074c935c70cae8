package resources

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// GPUResource is the extended resource name GPUs are requested under.
const GPUResource corev1.ResourceName = "nvidia.com/gpu"

// Requirements is what one process of a job asks for: CPU and memory
// requests, optional limits for bursting above them, and whole GPUs.
// A zero limit means none.
type Requirements struct {
	CPU         resource.Quantity
	CPULimit    resource.Quantity
	Memory      resource.Quantity
	MemoryLimit resource.Quantity
	GPU         int
}

// Validate checks r. Field names are prefix + "cpu", "cpu_limit", "memory",
// "memory_limit" and "gpu" under root, so a worker's problems read as
// worker_cpu and so on.
func (r Requirements) Validate(root *field.Path, prefix string) field.ErrorList {
	var errs field.ErrorList
	cpu, mem := root.Child(prefix+"cpu"), root.Child(prefix+"memory")
	if r.CPU.Sign() <= 0 {
		errs = append(errs, field.Invalid(cpu, r.CPU.String(), "must be greater than zero"))
	} else if r.CPU.MilliValue() < 1 || r.CPU.Cmp(*resource.NewMilliQuantity(r.CPU.MilliValue(), resource.DecimalSI)) != 0 {
		errs = append(errs, field.Invalid(cpu, r.CPU.String(), "must be a whole number of millicores (at least 1m)"))
	}
	if r.Memory.Sign() <= 0 {
		errs = append(errs, field.Invalid(mem, r.Memory.String(), "must be greater than zero"))
	}
	errs = append(errs, validateLimit(root.Child(prefix+"cpu_limit"), r.CPULimit, r.CPU, prefix+"cpu")...)
	errs = append(errs, validateLimit(root.Child(prefix+"memory_limit"), r.MemoryLimit, r.Memory, prefix+"memory")...)
	if r.GPU < 0 {
		errs = append(errs, field.Invalid(root.Child(prefix+"gpu"), r.GPU, "must be zero or more"))
	}
	return errs
}

func validateLimit(p *field.Path, limit, request resource.Quantity, requestName string) field.ErrorList {
	switch {
	case limit.IsZero():
		return nil
	case limit.Sign() < 0:
		return field.ErrorList{field.Invalid(p, limit.String(), "must be greater than zero (or zero for no limit)")}
	case limit.Cmp(request) < 0:
		return field.ErrorList{field.Invalid(p, limit.String(), "must not be less than "+requestName+" ("+request.String()+")")}
	}
	return nil
}

// Core returns r as a container's resource requirements: CPU and memory as
// requests (and limits where set), GPUs as a limit of GPUResource, which
// Kubernetes also takes as the request.
func (r Requirements) Core() corev1.ResourceRequirements {
	out := corev1.ResourceRequirements{Requests: corev1.ResourceList{
		corev1.ResourceCPU:    r.CPU.DeepCopy(),
		corev1.ResourceMemory: r.Memory.DeepCopy(),
	}}
	limits := corev1.ResourceList{}
	if !r.CPULimit.IsZero() {
		limits[corev1.ResourceCPU] = r.CPULimit.DeepCopy()
	}
	if !r.MemoryLimit.IsZero() {
		limits[corev1.ResourceMemory] = r.MemoryLimit.DeepCopy()
	}
	if r.GPU > 0 {
		limits[GPUResource] = *resource.NewQuantity(int64(r.GPU), resource.DecimalSI)
	}
	if len(limits) > 0 {
		out.Limits = limits
	}
	return out
}
