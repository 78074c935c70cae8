package names

import (
	"slices"
	"strconv"
	"strings"
)

// Names of the pod volumes the SDK gives a job's pods, besides its claims
// (volumes.PodVolumeName: "pvc-<claim>").
const (
	VolumeScripts         = "scripts"
	VolumeBundle          = "bundle"
	VolumeShm             = "shm"
	VolumeHome            = "home"
	VolumeNginxCache      = "nginx-cache"
	VolumeNginxRun        = "nginx-run"
	VolumeRabbitMQPlugins = "rabbitmq-plugins"

	claimVolumePrefix    = "pvc-"
	settingsVolumePrefix = "extra-"
)

// SettingsVolume returns the name of the i-th volume a job's settings
// mount (a Secret, ConfigMap or emptyDir).
func SettingsVolume(i int) string { return settingsVolumePrefix + strconv.Itoa(i) }

// ReservedVolume reports whether name is, or could be, a pod volume the
// SDK names itself: a pod template overlay may not replace one.
func ReservedVolume(name string) bool {
	return slices.Contains([]string{VolumeScripts, VolumeBundle, VolumeShm, VolumeHome, VolumeNginxCache,
		VolumeNginxRun, VolumeRabbitMQPlugins}, name) ||
		strings.HasPrefix(name, claimVolumePrefix) || strings.HasPrefix(name, settingsVolumePrefix)
}
