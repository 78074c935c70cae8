package volumes

import (
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// MountRoot is the directory every volume is mounted under.
const MountRoot = "/mnt"

// podVolumePrefix keeps claim volumes apart from the SDK's own pod volumes
// (scripts, bundle) whatever the claim is called.
const podVolumePrefix = "pvc-"

// MaxNameLength is the longest claim name a job may mount: the pod volume
// derived from it (PodVolumeName) must still be a DNS-1123 label.
const MaxNameLength = validation.DNS1123LabelMaxLength - len(podVolumePrefix)

// MountPath returns where the claim called name is mounted: /mnt/<name>.
func MountPath(name string) string { return MountRoot + "/" + name }

// PodVolumeName returns the name of the pod volume that mounts the claim.
func PodVolumeName(name string) string { return podVolumePrefix + name }

// ValidateName checks that name can be mounted: a DNS-1123 label (so it is a
// valid claim name and a valid pod volume name once prefixed) no longer than
// MaxNameLength.
func ValidateName(p *field.Path, name string) field.ErrorList {
	if name == "" {
		return field.ErrorList{field.Required(p, "the name of a PersistentVolumeClaim in the job's namespace")}
	}
	var errs field.ErrorList
	for _, msg := range validation.IsDNS1123Label(name) {
		errs = append(errs, field.Invalid(p, name, msg))
	}
	if len(name) > MaxNameLength {
		errs = append(errs, field.TooLong(p, name, MaxNameLength))
	}
	return errs
}
