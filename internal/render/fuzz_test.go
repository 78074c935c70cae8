package render_test

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/validation"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/juliarun/sdk/internal/render"
	"github.com/juliarun/sdk/jobs"
	"github.com/juliarun/sdk/resources"
)

// fuzzInput is what FuzzRender builds a job from: a type, a bit set of the
// options to apply, and the values they take.
type fuzzInput struct {
	Type                                int
	Options                             uint32
	Name, Script, Volume, Bundle, Extra string
	PortName                            string
	Container, Service, NWorkers, GPU   int
	MilliCores, MiB                     int64
	EnvKey, EnvValue, Image, Restart    string
	Password, Command, Arg, Shell       string
	External                            bool
}

// The option bits of fuzzInput.Options.
const (
	optBundle = 1 << iota
	optVolumes
	optPorts
	optExternal
	optImage
	optCPU
	optMemory
	optGPU
	optShell
	optEnv
	optPassword
	optNWorkers
	optRestart
	optWorkerCPU
	optWorkerMemory
	optWorkerGPU
	optWorkerShell
	optWorkerStartScript
	optWorkerEnv
	optCommand
	optArgs
	optCPULimit
	optMemoryLimit
)

// job builds the job in's type and options describe.
func (in fuzzInput) job() jobs.Job {
	cpu := *resource.NewMilliQuantity(in.MilliCores, resource.DecimalSI)
	mem := resources.MiB(in.MiB)
	env := map[string]string{in.EnvKey: in.EnvValue}
	all := []struct {
		bit uint32
		opt jobs.Option
	}{
		{optBundle, jobs.WithPkgBundle(in.Bundle)},
		{optVolumes, jobs.WithAdditionalVolumes(in.Extra)},
		{optPorts, jobs.WithPorts(map[string]jobs.Port{in.PortName: {Container: in.Container, Service: in.Service}})},
		{optExternal, jobs.WithExternal(in.External)},
		{optImage, jobs.WithImage(in.Image)},
		{optCPU, jobs.WithCPU(cpu)},
		{optMemory, jobs.WithMemory(mem)},
		{optGPU, jobs.WithGPU(in.GPU)},
		{optShell, jobs.WithShell(in.Shell)},
		{optEnv, jobs.WithEnvVars(env)},
		{optPassword, jobs.WithPassword(in.Password)},
		{optNWorkers, jobs.WithNWorkers(in.NWorkers)},
		{optRestart, jobs.WithRestart(jobs.RestartPolicy(in.Restart))},
		{optWorkerCPU, jobs.WithWorkerCPU(cpu)},
		{optWorkerMemory, jobs.WithWorkerMemory(mem)},
		{optWorkerGPU, jobs.WithWorkerGPU(in.GPU)},
		{optWorkerShell, jobs.WithWorkerShell(in.Shell)},
		{optWorkerStartScript, jobs.WithWorkerStartScript(in.Script)},
		{optWorkerEnv, jobs.WithWorkerEnvVars(env)},
		{optCommand, jobs.WithCommand(in.Command, in.Arg)},
		{optArgs, jobs.WithArgs(in.Arg)},
		{optCPULimit, jobs.WithCPULimit(*resource.NewMilliQuantity(2*in.MilliCores, resource.DecimalSI))},
		{optMemoryLimit, jobs.WithMemoryLimit(resources.MiB(2 * in.MiB))},
	}
	var opts []jobs.Option
	for _, o := range all {
		if in.Options&o.bit != 0 {
			opts = append(opts, o.opt)
		}
	}
	switch (in.Type%8 + 8) % 8 {
	case 0:
		return jobs.NewBatch(in.Name, in.Script, in.Volume, opts...)
	case 1:
		return jobs.NewParBatch(in.Name, in.Script, in.Volume, opts...)
	case 2:
		return jobs.NewParBatchWorkers(in.Name, in.Script, in.Volume, opts...)
	case 3:
		return jobs.NewNotebook(in.Name, in.Volume, opts...)
	case 4:
		return jobs.NewPkgBuilder(in.Name, in.Script, in.Volume, in.Bundle, opts...)
	case 5:
		return jobs.NewWebserver(in.Name, in.Script, in.Volume, opts...)
	case 6:
		return jobs.NewMessageQ(in.Name, in.Script, in.Volume, opts...)
	default:
		return jobs.NewGeneric(in.Name, in.Image, in.Volume, opts...)
	}
}

// fuzzSeeds are valid jobs of every type, most options set, and a few
// invalid ones.
func fuzzSeeds() []fuzzInput {
	base := fuzzInput{Name: "pi", Script: "pi.jl", Volume: "work", Bundle: "stats", Extra: "data",
		PortName: "web", Container: 8080, Service: 80, NWorkers: 3, GPU: 1, MilliCores: 500, MiB: 1024,
		EnvKey: "ALPHA", EnvValue: "1", Image: "julia:1.11", Restart: "OnFailure", Password: "s3cret",
		Command: "sleep", Arg: "3600", Shell: "master.sh", External: true}
	common := uint32(optVolumes | optPorts | optExternal | optImage | optCPU | optMemory | optEnv | optCPULimit | optMemoryLimit)
	workers := uint32(optNWorkers | optRestart | optWorkerCPU | optWorkerMemory | optWorkerGPU | optWorkerEnv)
	seeds := []fuzzInput{}
	for typ, opts := range []uint32{
		common | optBundle | optGPU | optShell,                 // Batch
		common | optBundle | workers | optWorkerStartScript,    // ParBatch
		common | optBundle | optNWorkers | optRestart | optGPU, // ParBatchWorkers
		common&^optPorts | optBundle | workers | optPassword,   // Notebook
		optVolumes | optImage | optCPU | optEnv | optGPU,       // PkgBuilder
		common | optNWorkers,                                   // Webserver
		optVolumes | optImage | optCPU | optMemory | optEnv,    // MessageQ
		common&^optImage | optNWorkers | optCommand | optArgs,  // Generic
	} {
		in := base
		in.Type, in.Options = typ, opts
		seeds = append(seeds, in)
	}
	bad := base
	bad.Type, bad.Options, bad.Name, bad.NWorkers = 1, workers, "X.y", -1
	return append(seeds, bad, fuzzInput{Type: -3, Options: ^uint32(0)})
}

// FuzzRender builds jobs from arbitrary inputs; for every valid one, Render
// must not panic and must give objects that all carry the job's labels, in
// the namespace, under valid names, led by a root ConfigMap that records
// the job (without its password).
func FuzzRender(f *testing.F) {
	for _, s := range fuzzSeeds() {
		f.Add(s.Type, s.Options, s.Name, s.Script, s.Volume, s.Bundle, s.Extra, s.PortName, s.Container, s.Service,
			s.NWorkers, s.GPU, s.MilliCores, s.MiB, s.EnvKey, s.EnvValue, s.Image, s.Restart, s.Password,
			s.Command, s.Arg, s.Shell, s.External)
	}
	f.Fuzz(func(t *testing.T, typ int, opts uint32, name, script, volume, bundle, extra, portName string,
		container, service, nworkers, gpu int, milliCores, mib int64, envKey, envValue, image, restart,
		password, command, arg, shell string, external bool) {
		in := fuzzInput{typ, opts, name, script, volume, bundle, extra, portName, container, service, nworkers,
			gpu, milliCores, mib, envKey, envValue, image, restart, password, command, arg, shell, external}
		job := in.job()
		if job.Validate() != nil {
			return
		}
		objs, err := render.Render(job.Spec(), testNamespace, &fixedRand{})
		if err != nil {
			t.Fatalf("Render of a valid job: %v", err)
		}
		for _, p := range checkRendered(job, objs) {
			t.Error(p)
		}
	})
}

// checkRendered returns what is wrong with objs, job rendered.
func checkRendered(job jobs.Job, objs []client.Object) []string {
	s := job.Spec()
	if len(objs) == 0 {
		return []string{"no objects"}
	}
	var problems []string
	root, ok := objs[0].(*corev1.ConfigMap)
	if !ok || root.Name != s.Name {
		return []string{fmt.Sprintf("the first object is %T %s, not the root ConfigMap %s", objs[0], objs[0].GetName(), s.Name)}
	}
	recorded, err := render.DecodeRoot(root)
	if err != nil {
		problems = append(problems, err.Error())
	}
	want := s
	want.Password = ""
	quantities := cmp.Comparer(func(a, b resource.Quantity) bool { return a.Cmp(b) == 0 })
	if diff := cmp.Diff(want, recorded, quantities, cmpopts.EquateEmpty()); diff != "" {
		problems = append(problems, fmt.Sprintf("the root records (-want +got):\n%s", diff))
	}
	for _, o := range objs {
		what := fmt.Sprintf("%T %s", o, o.GetName())
		if o.GetNamespace() != testNamespace {
			problems = append(problems, what+": namespace "+o.GetNamespace())
		}
		for _, msg := range validation.IsDNS1123Subdomain(o.GetName()) {
			problems = append(problems, what+": name: "+msg)
		}
		l := o.GetLabels()
		for _, key := range []string{"juliarun.io/job", "juliarun.io/type", "juliarun.io/role", "app.kubernetes.io/managed-by"} {
			if l[key] == "" {
				problems = append(problems, what+": no label "+key)
			}
		}
		for key, value := range l {
			for _, msg := range validation.IsValidLabelValue(value) {
				problems = append(problems, what+": label "+key+": "+msg)
			}
		}
		if l["juliarun.io/job"] != s.Name {
			problems = append(problems, what+": labelled with job "+l["juliarun.io/job"])
		}
	}
	return problems
}

// FuzzDecodeRoot feeds DecodeRoot arbitrary root ConfigMap contents, which
// anyone with rights on the namespace can edit: it returns a Spec or an
// error, never panics.
func FuzzDecodeRoot(f *testing.F) {
	objs, err := render.Render(jobs.NewParBatch("pi", "pi.jl", "work", jobs.WithNWorkers(2)).Spec(), testNamespace, &fixedRand{})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(objs[0].(*corev1.ConfigMap).Data[render.RootKeySpec])
	f.Add(`{"Type":"JuliaParBatch","NWorkers":-1,"Resources":{"CPU":"1e400"}}`)
	f.Add(`{"Ports":{"a":{"Container":1e99}}}`)
	f.Add(`null`)
	f.Fuzz(func(t *testing.T, data string) {
		cm := &corev1.ConfigMap{Data: map[string]string{render.RootKeySpec: data}}
		if _, err := render.DecodeRoot(cm); err != nil {
			return
		}
	})
}

// fuzzCorpus returns the seeds and the committed corpus of FuzzRender.
func fuzzCorpus(t *testing.T) map[string]fuzzInput {
	t.Helper()
	out := map[string]fuzzInput{}
	for i, s := range fuzzSeeds() {
		out[fmt.Sprintf("seed#%d", i)] = s
	}
	dir := filepath.Join("testdata", "fuzz", "FuzzRender")
	entries, err := os.ReadDir(dir)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		in, err := parseCorpusEntry(string(data))
		if err != nil {
			t.Fatalf("%s: %v", e.Name(), err)
		}
		out[e.Name()] = in
	}
	return out
}

// parseCorpusEntry reads a FuzzRender corpus file ("go test fuzz v1", then
// one Go literal per argument).
func parseCorpusEntry(data string) (fuzzInput, error) {
	lines := strings.Split(strings.TrimSpace(data), "\n")
	if len(lines) == 0 || lines[0] != "go test fuzz v1" {
		return fuzzInput{}, fmt.Errorf("not a fuzz corpus file")
	}
	var args []string
	for _, line := range lines[1:] {
		open, end := strings.Index(line, "("), strings.LastIndex(line, ")")
		if open < 0 || end < open {
			return fuzzInput{}, fmt.Errorf("cannot read %q", line)
		}
		typ, lit := line[:open], line[open+1:end]
		if typ == "string" {
			s, err := strconv.Unquote(lit)
			if err != nil {
				return fuzzInput{}, fmt.Errorf("%q: %w", line, err)
			}
			lit = s
		}
		args = append(args, lit)
	}
	if len(args) != 23 {
		return fuzzInput{}, fmt.Errorf("%d arguments, want 23", len(args))
	}
	var in fuzzInput
	ints := []*int{&in.Type, nil, nil, nil, nil, nil, nil, nil, &in.Container, &in.Service, &in.NWorkers, &in.GPU}
	strs := map[int]*string{2: &in.Name, 3: &in.Script, 4: &in.Volume, 5: &in.Bundle, 6: &in.Extra, 7: &in.PortName,
		14: &in.EnvKey, 15: &in.EnvValue, 16: &in.Image, 17: &in.Restart, 18: &in.Password, 19: &in.Command,
		20: &in.Arg, 21: &in.Shell}
	for i, a := range args {
		var err error
		switch {
		case i < len(ints) && ints[i] != nil:
			*ints[i], err = strconv.Atoi(a)
		case i == 1:
			var u uint64
			u, err = strconv.ParseUint(a, 0, 32)
			in.Options = uint32(u)
		case i == 12:
			in.MilliCores, err = strconv.ParseInt(a, 0, 64)
		case i == 13:
			in.MiB, err = strconv.ParseInt(a, 0, 64)
		case i == 22:
			in.External, err = strconv.ParseBool(a)
		default:
			*strs[i] = a
		}
		if err != nil {
			return fuzzInput{}, fmt.Errorf("argument %d %q: %w", i, a, err)
		}
	}
	return in, nil
}

// TestAPIServerAcceptsTheFuzzCorpus renders every valid job of FuzzRender's
// seeds and committed corpus (testdata/fuzz/FuzzRender) and creates its
// objects, and a Pod from each pod template, with a server-side dry run in
// a namespace that enforces Pod Security "restricted": the API server must
// accept them all, without a warning.
func TestAPIServerAcceptsTheFuzzCorpus(t *testing.T) {
	corpus := fuzzCorpus(t)
	d := newDryRun(t)
	valid, objects := 0, 0
	for _, name := range slices.Sorted(maps.Keys(corpus)) {
		job := corpus[name].job()
		if job.Validate() != nil {
			continue
		}
		valid++
		t.Run(name, func(t *testing.T) {
			objects += d.accepts(t, renderJob(t, job, &fixedRand{}))
		})
	}
	t.Logf("%d corpus entries, %d valid jobs, %d objects created", len(corpus), valid, objects)
	if valid < len(fuzzSeeds())-2 {
		t.Errorf("only %d valid jobs in the corpus", valid)
	}
}
