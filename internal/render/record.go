package render

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"

	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/juliarun/sdk/jobs"
	"github.com/juliarun/sdk/resources"
)

// RecordVersion is the newest version of the job record this SDK writes:
// version 2 adds the Kubernetes settings (jobs.Settings). A job without
// settings is recorded as version 1, which SDKs before version 2 read. A
// record without a version is the first SDK's (a jobs.Spec as JSON), still
// read.
const RecordVersion = 2

// ErrNewerRecord says a job's record was written by a newer SDK, whose
// fields this one may not know: reading it could lose them on the next
// write, so it is refused.
var ErrNewerRecord = errors.New("the job's record was written by a newer juliarun SDK")

// record is the job record, with keys named after the job model's
// parameters (JOB-TYPES.md), so that `kubectl get configmap <job> -o yaml`
// reads like the job's definition. The notebook password is never in it.
type record struct {
	Version           int                   `json:"version"`
	Type              jobs.Type             `json:"type"`
	Name              string                `json:"name"`
	StartScript       string                `json:"start_script,omitempty"`
	BuilderScript     string                `json:"builder_script,omitempty"`
	CfgFile           string                `json:"cfg_file,omitempty"`
	RunVolume         string                `json:"run_volume"`
	PkgBundle         string                `json:"pkg_bundle,omitempty"`
	AdditionalVolumes []string              `json:"additional_volumes,omitempty"`
	Ports             map[string]portRecord `json:"ports,omitempty"`
	External          bool                  `json:"external,omitempty"`
	Image             string                `json:"image"`
	Command           []string              `json:"command,omitempty"`
	Args              []string              `json:"args,omitempty"`
	Shell             string                `json:"shell,omitempty"`
	EnvVars           map[string]string     `json:"envvars,omitempty"`
	resourcesRecord
	NWorkers          int                `json:"nworkers,omitempty"`
	Restart           jobs.RestartPolicy `json:"restart,omitempty"`
	WorkerCPU         string             `json:"worker_cpu,omitempty"`
	WorkerCPULimit    string             `json:"worker_cpu_limit,omitempty"`
	WorkerMemory      string             `json:"worker_memory,omitempty"`
	WorkerMemoryLimit string             `json:"worker_memory_limit,omitempty"`
	WorkerGPU         int                `json:"worker_gpu,omitempty"`
	WorkerShell       string             `json:"worker_shell,omitempty"`
	WorkerStartScript string             `json:"worker_start_script,omitempty"`
	WorkerEnvVars     map[string]string  `json:"worker_envvars,omitempty"`
	// Settings appeared in version 2.
	Settings *settingsRecord `json:"settings,omitempty"`
}

// portRecord is a port as the job model writes it: container and service.
type portRecord struct {
	Container int `json:"container"`
	Service   int `json:"service"`
}

// resourcesRecord is what one process asks for; a limit that is not set is
// left out.
type resourcesRecord struct {
	CPU         string `json:"cpu,omitempty"`
	CPULimit    string `json:"cpu_limit,omitempty"`
	Memory      string `json:"memory,omitempty"`
	MemoryLimit string `json:"memory_limit,omitempty"`
	GPU         int    `json:"gpu,omitempty"`
}

// EncodeRecord returns the record of s, the password left out.
func EncodeRecord(s jobs.Spec) ([]byte, error) {
	r := record{
		Version: 1, Type: s.Type, Name: s.Name,
		StartScript: s.StartScript, BuilderScript: s.BuilderScript, CfgFile: s.CfgFile,
		RunVolume: s.RunVolume, PkgBundle: s.PkgBundle, AdditionalVolumes: s.AdditionalVolumes,
		External: s.External, Image: s.Image, Command: s.Command, Args: s.Args, Shell: s.Shell,
		EnvVars: s.EnvVars, resourcesRecord: encodeResources(s.Resources),
		NWorkers: s.NWorkers, Restart: s.Restart,
		WorkerShell: s.WorkerShell, WorkerStartScript: s.WorkerStartScript, WorkerEnvVars: s.WorkerEnvVars,
	}
	if len(s.Ports) > 0 {
		r.Ports = map[string]portRecord{}
		for n, p := range s.Ports {
			r.Ports[n] = portRecord{Container: p.Container, Service: p.Service}
		}
	}
	if hasSettings(s) {
		r.Version, r.Settings = RecordVersion, encodeSettings(s.Settings)
	}
	w := encodeResources(s.WorkerResources)
	r.WorkerCPU, r.WorkerCPULimit, r.WorkerMemory, r.WorkerMemoryLimit, r.WorkerGPU = w.CPU, w.CPULimit, w.Memory, w.MemoryLimit, w.GPU
	return json.Marshal(r)
}

// DecodeRecord returns the Spec recorded in data: a record of any version
// up to RecordVersion, or the first SDK's unversioned one. A newer record is
// refused with ErrNewerRecord.
func DecodeRecord(data []byte) (jobs.Spec, error) {
	var head struct {
		Version *int `json:"version"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return jobs.Spec{}, fmt.Errorf("decoding the job record: %w", err)
	}
	switch {
	case head.Version == nil:
		var s jobs.Spec // the first SDK wrote the Spec itself
		if err := json.Unmarshal(data, &s); err != nil {
			return jobs.Spec{}, fmt.Errorf("decoding the job record (unversioned): %w", err)
		}
		return s, nil
	case *head.Version > RecordVersion:
		return jobs.Spec{}, fmt.Errorf("%w: record version %d, this SDK reads up to %d", ErrNewerRecord, *head.Version, RecordVersion)
	case *head.Version < 1:
		return jobs.Spec{}, fmt.Errorf("decoding the job record: version %d is not one", *head.Version)
	}
	var r record
	if err := json.Unmarshal(data, &r); err != nil {
		return jobs.Spec{}, fmt.Errorf("decoding the job record (version %d): %w", *head.Version, err)
	}
	s := jobs.Spec{
		Type: r.Type, Name: r.Name,
		StartScript: r.StartScript, BuilderScript: r.BuilderScript, CfgFile: r.CfgFile,
		RunVolume: r.RunVolume, PkgBundle: r.PkgBundle, AdditionalVolumes: r.AdditionalVolumes,
		External: r.External, Image: r.Image, Command: r.Command, Args: r.Args, Shell: r.Shell,
		EnvVars: maps.Clone(r.EnvVars), NWorkers: r.NWorkers, Restart: r.Restart,
		WorkerShell: r.WorkerShell, WorkerStartScript: r.WorkerStartScript, WorkerEnvVars: maps.Clone(r.WorkerEnvVars),
	}
	var err error
	if s.Settings, err = decodeSettings(r.Settings); err != nil {
		return jobs.Spec{}, err
	}
	if s.Resources, err = decodeResources(r.resourcesRecord, ""); err != nil {
		return jobs.Spec{}, err
	}
	worker := resourcesRecord{CPU: r.WorkerCPU, CPULimit: r.WorkerCPULimit, Memory: r.WorkerMemory,
		MemoryLimit: r.WorkerMemoryLimit, GPU: r.WorkerGPU}
	if s.WorkerResources, err = decodeResources(worker, "worker_"); err != nil {
		return jobs.Spec{}, err
	}
	if len(r.Ports) > 0 {
		s.Ports = map[string]jobs.Port{}
		for n, p := range r.Ports {
			s.Ports[n] = jobs.Port{Container: p.Container, Service: p.Service}
		}
	}
	return s, nil
}

func encodeResources(r resources.Requirements) resourcesRecord {
	q := func(v resource.Quantity) string {
		if v.IsZero() {
			return ""
		}
		return v.String()
	}
	return resourcesRecord{CPU: q(r.CPU), CPULimit: q(r.CPULimit), Memory: q(r.Memory), MemoryLimit: q(r.MemoryLimit), GPU: r.GPU}
}

func decodeResources(r resourcesRecord, prefix string) (resources.Requirements, error) {
	out := resources.Requirements{GPU: r.GPU}
	for _, f := range []struct {
		key string
		in  string
		out *resource.Quantity
	}{{"cpu", r.CPU, &out.CPU}, {"cpu_limit", r.CPULimit, &out.CPULimit},
		{"memory", r.Memory, &out.Memory}, {"memory_limit", r.MemoryLimit, &out.MemoryLimit}} {
		if f.in == "" {
			continue
		}
		q, err := resource.ParseQuantity(f.in)
		if err != nil {
			return out, fmt.Errorf("decoding the job record: %s%s %q: %w", prefix, f.key, f.in, err)
		}
		*f.out = q
	}
	return out, nil
}
