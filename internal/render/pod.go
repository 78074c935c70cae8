package render

import (
	"fmt"
	"path"
	"sort"
	"strconv"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/juliarun/sdk/bundles"
	"github.com/juliarun/sdk/internal/labels"
	"github.com/juliarun/sdk/internal/names"
	"github.com/juliarun/sdk/internal/scripts"
	"github.com/juliarun/sdk/jobs"
	"github.com/juliarun/sdk/resources"
	"github.com/juliarun/sdk/volumes"
)

// Fixed paths and identities of every pod.
const (
	HomeDir = "/home/juliarun"
	// RunAsUser and RunAsGroup are the non-root identity every container
	// runs as, which Pod Security "restricted" requires.
	RunAsUser  = 1000
	RunAsGroup = 1000

	containerName  = jobs.MainContainer
	scriptsVolume  = names.VolumeScripts
	bundleVolume   = names.VolumeBundle
	scriptsMode    = 0o555
	readinessDelay = 2 // seconds between readiness checks

	// rabbitmqPluginsDir holds a MessageQ's enabled_plugins file.
	rabbitmqPluginsDir = "/opt/juliarun/rabbitmq"

	// unprivilegedPortStart is the namespaced sysctl that sets the lowest
	// port a process may bind without CAP_NET_BIND_SERVICE. Pod Security
	// "restricted" allows it, unlike a capability that a non-root process
	// with allowPrivilegeEscalation false never gets in its effective set
	// (kubernetes/kubernetes#56374).
	unprivilegedPortStart = "net.ipv4.ip_unprivileged_port_start"
)

// scratchDir is an emptyDir a container may write: the image's own copy of
// the path is root-owned, and the container runs as RunAsUser. env, if set,
// names a variable that points at it.
type scratchDir struct{ volume, path, env string }

// scratchDirs returns the writable directories a job's container needs:
// HOME for Julia and Generic jobs (runc falls back to "/" when the uid has
// no passwd entry, which uid 1000 cannot write); for nginx, the official
// image's compiled-in temp directory and pid file directory
// (nginxinc/docker-nginx mainline/debian/Dockerfile: the nginx.org package
// is built with --http-*-temp-path=/var/cache/nginx/*_temp and
// --pid-path=/var/run/nginx.pid, both owned by root).
func (r *renderer) scratchDirs() []scratchDir {
	switch r.s.Type {
	case jobs.TypeWebserver:
		return []scratchDir{{names.VolumeNginxCache, "/var/cache/nginx", ""}, {names.VolumeNginxRun, "/var/run", ""}}
	case jobs.TypeMessageQ:
		// The official rabbitmq image makes its data, config and log
		// directories mode 1777 for any uid (docker-library/rabbitmq
		// Dockerfile), and the broker's data lives on the run volume; but
		// its enabled_plugins file belongs to uid 999, and the broker
		// rewrites that file at boot with RABBITMQ_ENABLED_PLUGINS
		// (BOOT FAILED: failed_to_update_enabled_plugins_file, seen on the
		// real test node): the file goes here instead.
		return []scratchDir{{names.VolumeRabbitMQPlugins, rabbitmqPluginsDir, ""}}
	}
	return []scratchDir{{names.VolumeHome, HomeDir, "HOME"}}
}

// process is one kind of container of a job: the master (or main) process,
// or a worker.
type process struct {
	role      string
	resources resources.Requirements
	command   []string // nil: the image's entrypoint
	shell     string   // the job model's shell the command runs, "" for none
	args      []string
	env       map[string]string // the job's own variables
	restart   corev1.RestartPolicy
	// unitIndex is the downward-API field that holds the pod's index, for
	// job arrays; "" for none.
	unitIndex string
	// listens: the process is a Distributed worker listening on
	// scripts.WorkerPort, ready once it accepts connections.
	listens bool
	// exposes: the process serves the job's ports.
	exposes bool
	// settings are the Kubernetes settings of the process's pods: the
	// job's settings for role who.
	who      jobs.Role
	settings *jobs.PodSettings
}

// runDir is the run volume's mount path, JRUN_DIR.
func (r *renderer) runDir() string { return volumes.MountPath(r.s.RunVolume) }

// inRunDir resolves a path given relative to the run volume.
func (r *renderer) inRunDir(p string) string {
	if path.IsAbs(p) {
		return p
	}
	return path.Join(r.runDir(), p)
}

func (r *renderer) podTemplate(p process) corev1.PodTemplateSpec {
	yes, no, token := true, false, p.settings.ServiceAccountToken
	t := corev1.PodTemplateSpec{
		ObjectMeta: r.podMeta(p.role, p.settings),
		Spec: corev1.PodSpec{
			RestartPolicy:                p.restart,
			AutomountServiceAccountToken: &token,
			EnableServiceLinks:           &no,
			SecurityContext: &corev1.PodSecurityContext{
				RunAsNonRoot:   &yes,
				RunAsUser:      int64Ptr(RunAsUser),
				RunAsGroup:     int64Ptr(RunAsGroup),
				FSGroup:        int64Ptr(RunAsGroup),
				SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
			},
			Containers: []corev1.Container{r.container(p)},
			Volumes:    r.podVolumes(p),
		},
	}
	r.place(&t.Spec, p)
	if low, ok := r.lowestPrivilegedPort(p); ok {
		t.Spec.SecurityContext.Sysctls = []corev1.Sysctl{{Name: unprivilegedPortStart, Value: strconv.Itoa(low)}}
	}
	if p.settings.Overlay == nil {
		return t
	}
	merged, errs := overlaid(t, p.settings.Overlay, field.NewPath(string(p.who), "overlay"))
	r.errs = append(r.errs, errs...)
	return merged
}

// lowestPrivilegedPort returns the lowest port below 1024 that process p
// listens on, if any: a web server's 80 and 443.
func (r *renderer) lowestPrivilegedPort(p process) (int, bool) {
	low := 1024
	if p.exposes {
		for _, port := range r.s.Ports {
			low = min(low, port.Container)
		}
	}
	return low, low < 1024
}

func (r *renderer) container(p process) corev1.Container {
	no := false
	c := corev1.Container{
		Name:            containerName,
		Image:           r.s.Image,
		Command:         p.command,
		Args:            p.args,
		Env:             r.env(p),
		EnvFrom:         envFrom(p.settings),
		ImagePullPolicy: r.s.Settings.ImagePullPolicy,
		Resources:       p.resources.Core(),
		VolumeMounts:    r.mounts(p),
		SecurityContext: &corev1.SecurityContext{
			AllowPrivilegeEscalation: &no,
			Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
		},
	}
	if r.usesScripts() {
		c.WorkingDir = r.runDir()
	}
	if p.exposes {
		for _, n := range r.portNames() {
			c.Ports = append(c.Ports, corev1.ContainerPort{Name: n, ContainerPort: int32(r.s.Ports[n].Container), Protocol: corev1.ProtocolTCP})
		}
	}
	if p.listens {
		c.Ports = append(c.Ports, corev1.ContainerPort{Name: distributedPortName, ContainerPort: scripts.WorkerPort, Protocol: corev1.ProtocolTCP})
		c.ReadinessProbe = listeningProbe(scripts.WorkerPort)
	} else if p.exposes && r.s.Type == jobs.TypeNotebook {
		c.ReadinessProbe = tcpProbe(int32(r.s.Ports["nb"].Container))
	}
	return c
}

// listeningProbe is ready once something listens on port. It reads
// /proc/net/tcp rather than connecting: a Julia worker takes every
// connection for its master and logs a failed cookie read for a probe's.
func listeningProbe(port int32) *corev1.Probe {
	local := fmt.Sprintf("00000000:%04X 00000000:0000 0A", port) // 0.0.0.0:port, LISTEN
	return &corev1.Probe{
		ProbeHandler:  corev1.ProbeHandler{Exec: &corev1.ExecAction{Command: []string{"/bin/sh", "-c", "grep -q '" + local + "' /proc/net/tcp"}}},
		PeriodSeconds: readinessDelay,
	}
}

func tcpProbe(port int32) *corev1.Probe {
	return &corev1.Probe{
		ProbeHandler:  corev1.ProbeHandler{TCPSocket: &corev1.TCPSocketAction{Port: intstr.FromInt32(port)}},
		PeriodSeconds: readinessDelay,
	}
}

// env returns the container's environment, sorted by name.
func (r *renderer) env(p process) []corev1.EnvVar {
	plain := map[string]string{
		scripts.EnvName:      r.s.Name,
		scripts.EnvType:      string(r.s.Type),
		scripts.EnvNamespace: r.ns,
		scripts.EnvDir:       r.runDir(),
	}
	var env []corev1.EnvVar
	if r.usesScripts() {
		plain[scripts.EnvScripts] = scripts.Dir
	}
	for _, d := range r.scratchDirs() {
		if d.env != "" {
			plain[d.env] = d.path
		}
	}
	if HasService(r.s) {
		plain[scripts.EnvMaster] = names.Master(r.s.Name) + "." + r.ns + ".svc"
	}
	if jobs.HasMasterWorkers(r.s.Type) {
		plain[scripts.EnvWorkers] = names.Workers(r.s.Name) + "." + r.ns + ".svc"
		plain[scripts.EnvWorkerPort] = strconv.Itoa(scripts.WorkerPort)
		plain[scripts.EnvNWorkers] = strconv.Itoa(r.s.NWorkers)
		env = append(env, r.secretEnv(scripts.EnvCookie, SecretKeyCookie))
	}
	if r.s.Type == jobs.TypeParBatch {
		env = append(env, r.secretEnv(scripts.EnvRunID, SecretKeyRunID))
		if p.role == labels.RoleWorker {
			plain[scripts.EnvWorkerRestart] = string(r.s.Restart)
		}
	}
	if r.s.Type == jobs.TypeNotebook && p.role == labels.RoleMaster {
		plain[scripts.EnvNotebookPort] = strconv.Itoa(r.s.Ports["nb"].Container)
		if r.passwordHash != "" {
			env = append(env, r.secretEnv(scripts.EnvPasswordHash, SecretKeyPasswordHash))
		}
	}
	if r.s.Type == jobs.TypeMessageQ {
		for k, v := range r.rabbitmqEnv() {
			plain[k] = v
		}
	}
	if r.s.PkgBundle != "" {
		writable := r.s.Type == jobs.TypePkgBuilder
		env := bundles.Env(r.s.PkgBundle, writable)
		if !scripts.Shipped(p.shell) {
			env = append(env, bundles.DirectEnv(r.s.PkgBundle, writable)...)
		}
		for _, e := range env {
			plain[e.Name] = e.Value
		}
	}
	for k, v := range p.env {
		plain[k] = v
	}
	for k, v := range plain {
		env = append(env, corev1.EnvVar{Name: k, Value: v})
	}
	env = append(env, envFromKeys(p.settings)...)
	if p.unitIndex != "" {
		env = append(env, corev1.EnvVar{Name: scripts.EnvUnitIndex, ValueFrom: &corev1.EnvVarSource{
			FieldRef: &corev1.ObjectFieldSelector{FieldPath: p.unitIndex}}})
	}
	sort.Slice(env, func(i, j int) bool { return env[i].Name < env[j].Name })
	return env
}

// rabbitmqEnv configures the official rabbitmq image's broker
// (docker-library/rabbitmq: rabbitmq-server run by docker-entrypoint.sh)
// through the variables RabbitMQ reads (rabbit_env.erl): the job's config
// file; the management plugin, which serves the default mgmt and mgmttls
// ports and which the plain image ships but does not enable (its
// enabled_plugins file lists only rabbitmq_prometheus, kept here); and the
// broker's data on the run volume, the job's "master volume", so queues
// survive a restart of the pod. The node's data directory is
// <base>/rabbit@<hostname>, and a StatefulSet pod keeps its hostname.
func (r *renderer) rabbitmqEnv() map[string]string {
	return map[string]string{
		"RABBITMQ_CONFIG_FILE":          r.inRunDir(r.s.CfgFile),
		"RABBITMQ_ENABLED_PLUGINS":      "rabbitmq_management,rabbitmq_prometheus",
		"RABBITMQ_ENABLED_PLUGINS_FILE": path.Join(rabbitmqPluginsDir, "enabled_plugins"),
		"RABBITMQ_MNESIA_BASE":          path.Join(r.runDir(), "rabbitmq"),
	}
}

// claims returns the claims the job mounts, in order: run volume first.
func (r *renderer) claims() []string {
	return append([]string{r.s.RunVolume}, r.s.AdditionalVolumes...)
}

func (r *renderer) podVolumes(p process) []corev1.Volume {
	var vs []corev1.Volume
	for _, c := range r.claims() {
		vs = append(vs, corev1.Volume{Name: volumes.PodVolumeName(c), VolumeSource: corev1.VolumeSource{
			PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: c}}})
	}
	if r.s.PkgBundle != "" {
		vs = append(vs, corev1.Volume{Name: bundleVolume, VolumeSource: corev1.VolumeSource{
			PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{
				ClaimName: r.s.PkgBundle, ReadOnly: r.s.Type != jobs.TypePkgBuilder}}})
	}
	if r.usesScripts() {
		mode := int32(scriptsMode)
		vs = append(vs, corev1.Volume{Name: scriptsVolume, VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{
			LocalObjectReference: corev1.LocalObjectReference{Name: names.Scripts(r.s.Name)}, DefaultMode: &mode}}})
	}
	for _, d := range r.scratchDirs() {
		vs = append(vs, corev1.Volume{Name: d.volume, VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}})
	}
	return append(vs, settingsVolumes(p.settings)...)
}

func (r *renderer) mounts(p process) []corev1.VolumeMount {
	var ms []corev1.VolumeMount
	for _, c := range r.claims() {
		ms = append(ms, corev1.VolumeMount{Name: volumes.PodVolumeName(c), MountPath: volumes.MountPath(c)})
	}
	if r.s.PkgBundle != "" {
		ms = append(ms, corev1.VolumeMount{Name: bundleVolume, MountPath: bundles.MountPath(r.s.PkgBundle),
			ReadOnly: r.s.Type != jobs.TypePkgBuilder})
	}
	if r.usesScripts() {
		ms = append(ms, corev1.VolumeMount{Name: scriptsVolume, MountPath: scripts.Dir, ReadOnly: true})
	}
	for _, d := range r.scratchDirs() {
		ms = append(ms, corev1.VolumeMount{Name: d.volume, MountPath: d.path})
	}
	return append(ms, settingsMounts(p.settings)...)
}

func int64Ptr(v int64) *int64 { return &v }
