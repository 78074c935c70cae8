package jobs

import (
	"errors"
	"fmt"
	"path"
	"slices"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/juliarun/sdk/bundles"
	"github.com/juliarun/sdk/internal/names"
	"github.com/juliarun/sdk/volumes"
)

// ReservedEnvPrefix starts the names of the environment variables the SDK
// sets in every pod (JRUN_NAME, JRUN_TYPE, JRUN_DIR, …); jobs may not set
// their own.
const ReservedEnvPrefix = "JRUN_"

// invalidError is what Validate returns: the list of problems, matched by
// errors.Is(err, ErrInvalid).
type invalidError struct {
	typ  Type
	name string
	errs field.ErrorList
}

func (e *invalidError) Error() string {
	return fmt.Sprintf("invalid %s job %q: %s", e.typ, e.name, e.errs.ToAggregate().Error())
}

func (e *invalidError) Is(target error) bool { return target == ErrInvalid }

// AsErrorList returns the problems a Validate error lists, or nil if err did
// not come from Validate.
func AsErrorList(err error) field.ErrorList {
	var ie *invalidError
	if errors.As(err, &ie) {
		return ie.errs
	}
	return nil
}

// validate checks s, a job of type s.Type, and reports misapplied, the
// options given that do not apply to the type, as Forbidden.
func validate(s Spec, misapplied []string) error {
	var errs field.ErrorList
	for _, e := range ValidateSpec(s) {
		// A setting given directly, not by an option, is Forbidden there
		// too: say it once.
		if e.Type == field.ErrorTypeForbidden && slices.ContainsFunc(misapplied, func(m string) bool {
			return m == e.Field || strings.HasPrefix(m, e.Field+".")
		}) {
			continue
		}
		errs = append(errs, e)
	}
	for _, p := range misapplied {
		errs = append(errs, field.Forbidden(field.NewPath(p), "does not apply to a "+string(s.Type)+" job"))
	}
	if len(errs) == 0 {
		return nil
	}
	return &invalidError{typ: s.Type, name: s.Name, errs: errs}
}

// ValidateSpec checks every field of s that applies to s.Type and returns
// every problem found, with paths in the job model's parameter names.
func ValidateSpec(s Spec) field.ErrorList {
	applies := func(p string) bool { return slices.Contains(optionalParams(s.Type), p) }
	var errs field.ErrorList
	if optionalParams(s.Type) == nil {
		return field.ErrorList{field.NotSupported(field.NewPath("type"), s.Type, Types())}
	}
	errs = append(errs, validateName(s.Name)...)
	switch s.Type {
	case TypeBatch, TypeParBatch, TypeParBatchWorkers:
		errs = append(errs, validateScriptPath(field.NewPath(paramStartScript), s.StartScript)...)
	case TypePkgBuilder:
		errs = append(errs, validateScriptPath(field.NewPath(paramBuilderScript), s.BuilderScript)...)
	case TypeWebserver, TypeMessageQ:
		errs = append(errs, validateScriptPath(field.NewPath(paramCfgFile), s.CfgFile)...)
	}
	errs = append(errs, validateVolumes(s)...)
	errs = append(errs, validateImage(s.Image)...)
	errs = append(errs, s.Resources.Validate(nil, "")...)
	if applies(paramPorts) {
		errs = append(errs, validatePorts(s)...)
	}
	if applies(paramShell) {
		errs = append(errs, validateShell(field.NewPath(paramShell), s.Shell)...)
	}
	errs = append(errs, validateEnv(field.NewPath(paramEnvVars), s.EnvVars, s.PkgBundle, s.Type == TypePkgBuilder)...)
	if applies(paramNWorkers) && (s.NWorkers < 0 || s.NWorkers > MaxWorkers) {
		errs = append(errs, field.Invalid(field.NewPath(paramNWorkers), s.NWorkers,
			fmt.Sprintf("must be between 0 and %d", MaxWorkers)))
	}
	if applies(paramRestart) {
		switch s.Restart {
		case RestartAlways, RestartOnFailure, RestartNever:
		default:
			errs = append(errs, field.NotSupported(field.NewPath(paramRestart), s.Restart,
				[]RestartPolicy{RestartAlways, RestartOnFailure, RestartNever}))
		}
	}
	if applies(paramWorkerShell) {
		errs = append(errs, s.WorkerResources.Validate(nil, "worker_")...)
		errs = append(errs, validateShell(field.NewPath(paramWorkerShell), s.WorkerShell)...)
		errs = append(errs, validateScriptPath(field.NewPath(paramWorkerStartScript), s.WorkerStartScript)...)
		errs = append(errs, validateEnv(field.NewPath(paramWorkerEnvVars), s.WorkerEnvVars, s.PkgBundle, false)...)
	}
	for i, c := range s.Command {
		if c == "" {
			errs = append(errs, field.Invalid(field.NewPath(paramCommand).Index(i), c, "must not be empty"))
		}
	}
	errs = append(errs, validateSettings(s)...)
	return append(errs, validateUTF8(s)...)
}

func validateName(name string) field.ErrorList {
	p := field.NewPath(paramName)
	if name == "" {
		return field.ErrorList{field.Required(p, "every job needs a name, unique in its namespace")}
	}
	var errs field.ErrorList
	// Services are named after the job, so the name must be a DNS-1035
	// label: lower case letters, digits and '-', starting with a letter.
	for _, msg := range validation.IsDNS1035Label(name) {
		errs = append(errs, field.Invalid(p, name, msg))
	}
	if len(name) > names.MaxJobNameLength {
		errs = append(errs, field.TooLong(p, name, names.MaxJobNameLength))
	}
	return errs
}

// validateScriptPath checks a path to a script or configuration file:
// relative to the run volume, or absolute in the container.
func validateScriptPath(p *field.Path, file string) field.ErrorList {
	switch {
	case file == "":
		return field.ErrorList{field.Required(p, "a path relative to the run volume, or absolute in the container")}
	case strings.IndexFunc(file, unicode.IsControl) >= 0:
		return field.ErrorList{field.Invalid(p, file, "must not contain control characters")}
	case path.Clean(file) == "." || strings.HasSuffix(file, "/"):
		return field.ErrorList{field.Invalid(p, file, "must name a file, not a directory")}
	}
	return nil
}

func validateShell(p *field.Path, shell string) field.ErrorList {
	switch {
	case shell == "":
		return field.ErrorList{field.Required(p, fmt.Sprintf("one of %s, or an absolute path in the image", strings.Join(ShippedShells(), ", ")))}
	case slices.Contains(ShippedShells(), shell):
		return nil
	case !path.IsAbs(shell):
		return field.ErrorList{field.Invalid(p, shell, fmt.Sprintf("must be one of %s, or an absolute path in the image", strings.Join(ShippedShells(), ", ")))}
	}
	return validateScriptPath(p, shell)
}

// validateUTF8 reports the text parameters that are not valid UTF-8: the
// API server's JSON would carry them with their invalid bytes replaced, so
// the job would not run what it says. (Names, volumes, ports and variable
// names are checked as ASCII identifiers elsewhere.) The password is named,
// never shown.
func validateUTF8(s Spec) field.ErrorList {
	var errs field.ErrorList
	check := func(p *field.Path, v string) {
		if !utf8.ValidString(v) {
			errs = append(errs, field.Invalid(p, v, "must be valid UTF-8"))
		}
	}
	for param, v := range map[string]string{paramStartScript: s.StartScript, paramBuilderScript: s.BuilderScript,
		paramCfgFile: s.CfgFile, paramImage: s.Image, paramShell: s.Shell, paramWorkerShell: s.WorkerShell,
		paramWorkerStartScript: s.WorkerStartScript} {
		check(field.NewPath(param), v)
	}
	for param, list := range map[string][]string{paramCommand: s.Command, paramArgs: s.Args} {
		for i, v := range list {
			check(field.NewPath(param).Index(i), v)
		}
	}
	for param, env := range map[string]map[string]string{paramEnvVars: s.EnvVars, paramWorkerEnvVars: s.WorkerEnvVars} {
		for k, v := range env {
			check(field.NewPath(param).Key(k), v)
		}
	}
	if !utf8.ValidString(s.Password) {
		errs = append(errs, field.Invalid(field.NewPath(paramPassword), "", "must be valid UTF-8"))
	}
	// Map iteration order is random: report in a stable order.
	sort.Slice(errs, func(i, j int) bool { return errs[i].Field < errs[j].Field })
	return errs
}

func validateImage(image string) field.ErrorList {
	p := field.NewPath(paramImage)
	switch {
	case image == "":
		return field.ErrorList{field.Required(p, "a container image reference")}
	case strings.IndexFunc(image, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0:
		return field.ErrorList{field.Invalid(p, image, "must not contain spaces or control characters")}
	}
	return nil
}

func validateVolumes(s Spec) field.ErrorList {
	var errs field.ErrorList
	errs = append(errs, volumes.ValidateName(field.NewPath(paramRunVolume), s.RunVolume)...)
	seen := map[string]bool{s.RunVolume: true}
	for i, v := range s.AdditionalVolumes {
		p := field.NewPath(paramAdditionalVolumes).Index(i)
		errs = append(errs, volumes.ValidateName(p, v)...)
		if v != "" && seen[v] {
			errs = append(errs, field.Duplicate(p, v))
		}
		seen[v] = true
	}
	if s.PkgBundle == "" {
		if s.Type == TypePkgBuilder {
			errs = append(errs, field.Required(field.NewPath(paramPkgBundle), "the claim holding the bundle to build"))
		}
		return errs
	}
	p := field.NewPath(paramPkgBundle)
	errs = append(errs, volumes.ValidateName(p, s.PkgBundle)...)
	switch {
	case s.PkgBundle == s.RunVolume:
		errs = append(errs, field.Invalid(p, s.PkgBundle, "must not be the run volume"))
	case slices.Contains(s.AdditionalVolumes, s.PkgBundle):
		errs = append(errs, field.Invalid(p, s.PkgBundle, "must not also be listed in additional_volumes"))
	}
	return errs
}

func validatePorts(s Spec) field.ErrorList {
	var errs field.ErrorList
	portNames := make([]string, 0, len(s.Ports))
	for n := range s.Ports {
		portNames = append(portNames, n)
	}
	sort.Strings(portNames)
	root := field.NewPath(paramPorts)
	if s.Type == TypeNotebook {
		if _, ok := s.Ports["nb"]; !ok {
			errs = append(errs, field.Required(root.Key("nb"), "the port Jupyter listens on"))
		}
	}
	containerSeen, serviceSeen := map[int]bool{}, map[int]bool{}
	for _, n := range portNames {
		port, p := s.Ports[n], root.Key(n)
		for _, msg := range validation.IsValidPortName(n) {
			errs = append(errs, field.Invalid(p, n, msg))
		}
		for _, side := range []struct {
			name string
			num  int
			seen map[int]bool
		}{{"container", port.Container, containerSeen}, {"service", port.Service, serviceSeen}} {
			sp := p.Child(side.name)
			for _, msg := range validation.IsValidPortNum(side.num) {
				errs = append(errs, field.Invalid(sp, side.num, msg))
			}
			switch {
			case side.seen[side.num]:
				errs = append(errs, field.Duplicate(sp, side.num))
			case HasMasterWorkers(s.Type) && side.num == MasterPort:
				errs = append(errs, field.Invalid(sp, side.num, fmt.Sprintf("port %d is reserved for Julia Distributed", MasterPort)))
			}
			side.seen[side.num] = true
		}
	}
	return errs
}

// validateEnv checks extra environment variables: C identifiers, none the
// SDK sets itself (JRUN_*, and the Julia paths a bundle sets).
func validateEnv(root *field.Path, env map[string]string, bundle string, writableBundle bool) field.ErrorList {
	reserved := map[string]bool{}
	if bundle != "" {
		for _, e := range append(bundles.Env(bundle, writableBundle), bundles.DirectEnv(bundle, writableBundle)...) {
			reserved[e.Name] = true
		}
	}
	keys := make([]string, 0, len(env))
	for k := range env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var errs field.ErrorList
	for _, k := range keys {
		p := root.Key(k)
		for _, msg := range validation.IsCIdentifier(k) {
			errs = append(errs, field.Invalid(p, k, msg))
		}
		switch {
		case strings.HasPrefix(k, ReservedEnvPrefix):
			errs = append(errs, field.Forbidden(p, "names starting with "+ReservedEnvPrefix+" are set by juliarun"))
		case reserved[k]:
			errs = append(errs, field.Forbidden(p, "set by juliarun from pkg_bundle"))
		}
	}
	return errs
}
