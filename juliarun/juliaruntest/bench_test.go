package juliaruntest

import (
	"context"
	"testing"
	"time"
)

// BenchmarkStart measures the time to a ready cluster (Start returns once
// the API server answers and, with nodes, every node is Ready) and to Stop.
//
//	go test ./juliarun/juliaruntest -run XXX -bench Start -benchtime 3x
func BenchmarkStart(b *testing.B) {
	SkipIfUnavailable(b)
	for _, tc := range []struct {
		name  string
		nodes int
	}{{"apiserver-only", 0}, {"two-nodes", 2}} {
		b.Run(tc.name, func(b *testing.B) {
			var stopping time.Duration
			for b.Loop() {
				c, err := Start(context.Background(), Options{Nodes: tc.nodes})
				if err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				t := time.Now()
				if err := c.Stop(); err != nil {
					b.Fatal(err)
				}
				stopping += time.Since(t)
				b.StartTimer()
			}
			b.ReportMetric(stopping.Seconds()/float64(b.N), "stop-s/op")
		})
	}
}
