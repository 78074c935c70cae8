package render_test

import (
	"crypto/rand"
	"testing"

	"github.com/juliarun/sdk/internal/render"
)

// BenchmarkRender renders each golden case. The notebook with a password is
// dominated by the argon2 hash (10 passes over 10 MiB), by design.
func BenchmarkRender(b *testing.B) {
	for _, tc := range goldenCases() {
		spec := tc.job.Spec()
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := render.Render(spec, testNamespace, rand.Reader); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
