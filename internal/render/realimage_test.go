package render_test

import (
	"slices"
	"sort"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/juliarun/sdk/internal/render"
	"github.com/juliarun/sdk/jobs"
)

// podsOf returns the pod templates of every workload in objs, by workload
// name.
func podsOf(objs []client.Object) map[string]*corev1.PodTemplateSpec {
	out := map[string]*corev1.PodTemplateSpec{}
	for _, o := range objs {
		if tmpl := podTemplate(o); tmpl != nil {
			out[o.GetName()] = tmpl
		}
	}
	return out
}

// writableDirs returns the paths of the container's writable emptyDir
// mounts, sorted.
func writableDirs(tmpl *corev1.PodTemplateSpec) []string {
	empty := map[string]bool{}
	for _, v := range tmpl.Spec.Volumes {
		if v.EmptyDir != nil {
			empty[v.Name] = true
		}
	}
	var dirs []string
	for _, m := range tmpl.Spec.Containers[0].VolumeMounts {
		if empty[m.Name] && !m.ReadOnly {
			dirs = append(dirs, m.MountPath)
		}
	}
	sort.Strings(dirs)
	return dirs
}

// TestPodsRunOnTheDefaultImagesAsNonRoot checks what a real node needs
// from every pod, which a simulated node never shows: a non-root process
// in the official images gets writable HOME (runc falls back to "/" when
// uid 1000 has no passwd entry), nginx gets its root-owned cache and pid
// directories as emptyDirs, and ports below 1024 are bound through the
// namespaced sysctl, never a capability (a non-root process with
// allowPrivilegeEscalation false never has an added capability in its
// effective set: kubernetes/kubernetes#56374).
func TestPodsRunOnTheDefaultImagesAsNonRoot(t *testing.T) {
	tests := []struct {
		name     string
		job      jobs.Job
		writable []string          // writable emptyDirs of every pod
		home     string            // HOME, "" for none
		sysctls  map[string]string // on the pods that serve the job's ports
	}{
		{"batch", jobs.NewBatch("b", "run.jl", "work"), []string{render.HomeDir}, render.HomeDir, nil},
		{"parbatch", jobs.NewParBatch("p", "run.jl", "work", jobs.WithNWorkers(2)), []string{render.HomeDir}, render.HomeDir, nil},
		{"notebook", jobs.NewNotebook("n", "work"), []string{render.HomeDir}, render.HomeDir, nil},
		{"webserver", jobs.NewWebserver("w", "nginx.conf", "work"), []string{"/var/cache/nginx", "/var/run"}, "",
			map[string]string{"net.ipv4.ip_unprivileged_port_start": "80"}},
		{"webserver-high-ports", jobs.NewWebserver("w", "nginx.conf", "work",
			jobs.WithPorts(map[string]jobs.Port{"http": {Container: 8080, Service: 80}})), []string{"/var/cache/nginx", "/var/run"}, "", nil},
		{"generic-low-port", jobs.NewGeneric("g", "busybox", "work",
			jobs.WithPorts(map[string]jobs.Port{"dns": {Container: 53, Service: 53}, "web": {Container: 8080, Service: 80}})),
			[]string{render.HomeDir}, render.HomeDir, map[string]string{"net.ipv4.ip_unprivileged_port_start": "53"}},
		{"messageq", jobs.NewMessageQ("q", "rabbitmq.conf", "work"), []string{"/opt/juliarun/rabbitmq"}, "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			objs := renderJob(t, tt.job, &fixedRand{})
			pods := podsOf(objs)
			if len(pods) == 0 {
				t.Fatal("no pod template rendered")
			}
			for name, tmpl := range pods {
				c := tmpl.Spec.Containers[0]
				if diff := cmp.Diff(tt.writable, writableDirs(tmpl)); diff != "" {
					t.Errorf("%s: writable directories (-want +got):\n%s", name, diff)
				}
				if got := envValue(c.Env, "HOME"); got != tt.home {
					t.Errorf("%s: HOME = %q, want %q", name, got, tt.home)
				}
				if add := c.SecurityContext.Capabilities.Add; len(add) > 0 {
					t.Errorf("%s: capabilities added %v; a non-root process never gets them", name, add)
				}
				got := map[string]string{}
				for _, s := range tmpl.Spec.SecurityContext.Sysctls {
					got[s.Name] = s.Value
				}
				want := map[string]string{}
				if tmpl.Labels["juliarun.io/role"] == render.ServingRole(tt.job.Type()) {
					for k, v := range tt.sysctls {
						want[k] = v
					}
				}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("%s: sysctls (-want +got):\n%s", name, diff)
				}
			}
		})
	}
}

// TestServicesSelectTheServingPods checks, for every job type with a
// Service, that the Service's selector matches the labels of the pods that
// listen on its target ports. (The cluster test
// TestServicesHaveReadyEndpoints shows the same through EndpointSlices.)
func TestServicesSelectTheServingPods(t *testing.T) {
	for _, tc := range goldenCases() {
		t.Run(tc.name, func(t *testing.T) {
			objs := renderJob(t, tc.job, &fixedRand{})
			pods := podsOf(objs)
			for _, o := range objs {
				svc, ok := o.(*corev1.Service)
				if !ok {
					continue
				}
				var matched []string
				for name, tmpl := range pods {
					if selects(svc.Spec.Selector, tmpl.Labels) {
						matched = append(matched, name)
						for _, p := range svc.Spec.Ports {
							if !slices.ContainsFunc(tmpl.Spec.Containers[0].Ports, func(cp corev1.ContainerPort) bool {
								return cp.ContainerPort == p.TargetPort.IntVal
							}) {
								t.Errorf("Service %s port %s: target %d is no container port of %s", svc.Name, p.Name, p.TargetPort.IntVal, name)
							}
						}
					}
				}
				if len(matched) == 0 {
					t.Errorf("Service %s (selector %v) selects no pod of the job", svc.Name, svc.Spec.Selector)
				}
			}
		})
	}
}

func selects(selector, podLabels map[string]string) bool {
	for k, v := range selector {
		if podLabels[k] != v {
			return false
		}
	}
	return len(selector) > 0
}

func envValue(env []corev1.EnvVar, name string) string {
	for _, e := range env {
		if e.Name == name {
			return e.Value
		}
	}
	return ""
}

// TestMessageQServesItsPortsAndKeepsItsData checks the broker
// configuration a real rabbitmq image needs for the default ports and for
// queues that survive a restart (the real-node test checks the outcome):
// the management plugin, which serves mgmt and mgmttls, is enabled, and
// the broker's data directory is on the run volume.
func TestMessageQServesItsPortsAndKeepsItsData(t *testing.T) {
	objs := renderJob(t, jobs.NewMessageQ("q", "rabbitmq.conf", "work"), &fixedRand{})
	for name, tmpl := range podsOf(objs) {
		env := tmpl.Spec.Containers[0].Env
		want := map[string]string{
			"RABBITMQ_CONFIG_FILE":          "/mnt/work/rabbitmq.conf",
			"RABBITMQ_ENABLED_PLUGINS":      "rabbitmq_management,rabbitmq_prometheus",
			"RABBITMQ_ENABLED_PLUGINS_FILE": "/opt/juliarun/rabbitmq/enabled_plugins",
			"RABBITMQ_MNESIA_BASE":          "/mnt/work/rabbitmq",
		}
		got := map[string]string{}
		for k := range want {
			got[k] = envValue(env, k)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s: broker environment (-want +got):\n%s", name, diff)
		}
	}
}

// TestBundleReachesEveryShell: the shipped scripts add a bundle to the
// image's Julia paths themselves (juliaenv.sh, tested with the scripts); a
// shell of the image's own does not source them, so its container gets the
// paths with the bundle on them directly.
func TestBundleReachesEveryShell(t *testing.T) {
	for _, tt := range []struct {
		name string
		job  jobs.Job
		want map[string]string // JULIA_DEPOT_PATH, JULIA_LOAD_PATH, JRUN_BUNDLE_APPLIED of the master
	}{
		{"shipped shell", jobs.NewBatch("b", "run.jl", "work", jobs.WithPkgBundle("stats")),
			map[string]string{"JULIA_DEPOT_PATH": "", "JULIA_LOAD_PATH": "", "JRUN_BUNDLE_APPLIED": ""}},
		{"the image's shell", jobs.NewBatch("b", "run.jl", "work", jobs.WithPkgBundle("stats"), jobs.WithShell("/usr/local/bin/run.sh")),
			map[string]string{"JULIA_DEPOT_PATH": ":/opt/juliarun/bundles/stats",
				"JULIA_LOAD_PATH": ":/opt/juliarun/bundles/stats/environment", "JRUN_BUNDLE_APPLIED": "true"}},
		{"the builder with the image's shell", jobs.NewPkgBuilder("p", "build.jl", "work", "stats", jobs.WithShell("/usr/local/bin/run.sh")),
			map[string]string{"JULIA_DEPOT_PATH": "/opt/juliarun/bundles/stats:",
				"JULIA_LOAD_PATH": ":/opt/juliarun/bundles/stats/environment", "JRUN_BUNDLE_APPLIED": "true"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			for name, tmpl := range podsOf(renderJob(t, tt.job, &fixedRand{})) {
				got := map[string]string{}
				for k := range tt.want {
					got[k] = envValue(tmpl.Spec.Containers[0].Env, k)
				}
				if diff := cmp.Diff(tt.want, got); diff != "" {
					t.Errorf("%s (-want +got):\n%s", name, diff)
				}
			}
		})
	}
}
