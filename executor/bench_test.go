package executor_test

import (
	"context"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/wxmedia/wxmedia/providers/emulator"
)

// BenchmarkApplyParallelism uploads the same files against an emulator
// that adds latency to every request, with parallelism 1 and then 8, and
// reports the speed-up. Target: ≥ 6×.
//
//	go test -run '^$' -bench ApplyParallelism -benchtime 1x ./executor/
//
// WXMEDIA_BENCH_FILES overrides the file count (default 500). The account
// sets rate_limit: 1000 so that the default per-account limit (10/s) does
// not hide the parallelism.
func BenchmarkApplyParallelism(b *testing.B) {
	n := 500
	if v, err := strconv.Atoi(os.Getenv("WXMEDIA_BENCH_FILES")); err == nil && v > 0 {
		n = v
	}
	for i := 0; i < b.N; i++ {
		var secs [2]float64
		for j, par := range []int{1, 8} {
			e := newEnv(b, emulator.Config{Faults: emulator.Faults{Latency: 50 * time.Millisecond}}, n, "rate_limit: 1000")
			start := time.Now()
			if _, err := e.apply(b, context.Background(), par, nil); err != nil {
				b.Fatal(err)
			}
			secs[j] = time.Since(start).Seconds()
			if got := len(e.srv.Issued()); got != n {
				b.Fatalf("parallelism %d issued %d IDs for %d files", par, got, n)
			}
		}
		b.ReportMetric(secs[0], "s/p1")
		b.ReportMetric(secs[1], "s/p8")
		b.ReportMetric(secs[0]/secs[1], "speedup")
	}
}
