package jobs

import (
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Valid required arguments, shared by the tests.
const (
	testName   = "pi"
	testScript = "pi.jl"
	testVolume = "work"
	testBundle = "stats"
	testCfg    = "server.conf"
	testImage  = "busybox"
)

// newOf builds a job of type t with valid required arguments.
func newOf(t Type, opts ...Option) Job {
	switch t {
	case TypeBatch:
		return NewBatch(testName, testScript, testVolume, opts...)
	case TypeParBatch:
		return NewParBatch(testName, testScript, testVolume, opts...)
	case TypeParBatchWorkers:
		return NewParBatchWorkers(testName, testScript, testVolume, opts...)
	case TypeNotebook:
		return NewNotebook(testName, testVolume, opts...)
	case TypePkgBuilder:
		return NewPkgBuilder(testName, testScript, testVolume, testBundle, opts...)
	case TypeWebserver:
		return NewWebserver(testName, testCfg, testVolume, opts...)
	case TypeMessageQ:
		return NewMessageQ(testName, testCfg, testVolume, opts...)
	case TypeGeneric:
		return NewGeneric(testName, testImage, testVolume, opts...)
	}
	panic("unknown type " + string(t))
}

// cmpOpts compares quantities by value and ignores what tests cannot set.
func cmpOpts() cmp.Options {
	return cmp.Options{
		cmp.Comparer(func(a, b resource.Quantity) bool { return a.Cmp(b) == 0 && a.String() == b.String() }),
		cmpopts.IgnoreUnexported(Batch{}, ParBatch{}, ParBatchWorkers{}, Notebook{}, PkgBuilder{},
			Webserver{}, MessageQ{}, Generic{}),
		cmpopts.EquateEmpty(),
	}
}

// errorListOpts compares field errors by type, path and bad value, not by
// their wording.
func errorListOpts() cmp.Options {
	return cmp.Options{
		cmpopts.IgnoreFields(field.Error{}, "Detail", "Origin", "CoveredByDeclarative"),
		cmpopts.SortSlices(func(a, b *field.Error) bool {
			if a.Field != b.Field {
				return a.Field < b.Field
			}
			return a.Type < b.Type
		}),
		cmpopts.EquateEmpty(),
	}
}
