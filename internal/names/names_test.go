package names

import (
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/util/validation"
)

// TestLongestNameFits checks that the names derived from the longest job
// name, and the names controllers derive from those, are valid.
func TestLongestNameFits(t *testing.T) {
	job := strings.Repeat("j", MaxJobNameLength)
	for _, n := range []string{Root(job), Master(job), Workers(job), Scripts(job), Secret(job), Network(job)} {
		if msgs := validation.IsDNS1035Label(n); len(msgs) > 0 {
			t.Errorf("%s: %v", n, msgs)
		}
	}
	// StatefulSet revision hashes and ReplicaSet names append "-" and up to
	// 10 characters; pods then append an ordinal or another 5 characters.
	for _, n := range []string{Workers(job) + "-0123456789", Master(job) + "-0123456789"} {
		if msgs := validation.IsDNS1123Label(n); len(msgs) > 0 {
			t.Errorf("controller-made name %s: %v", n, msgs)
		}
	}
}
