package executor_test

import (
	"context"
	"fmt"
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

// BenchmarkAdaptiveRate uploads 200 images with no rate_limit and
// parallelism 8 through the pacer apply uses, against an emulator limiting
// each merchant to 5 and then 20 requests per second. Targets: no failure,
// wall time ≤ 1.15 × 200/limit, at most one throttled request per four
// assets.
//
//	go test -run '^$' -bench AdaptiveRate -benchtime 1x ./executor/
//
// WXMEDIA_BENCH_FILES overrides the file count (default 200).
func BenchmarkAdaptiveRate(b *testing.B) {
	n := 200
	if v, err := strconv.Atoi(os.Getenv("WXMEDIA_BENCH_FILES")); err == nil && v > 0 {
		n = v
	}
	for b.Loop() {
		for _, limit := range []float64{5, 20} {
			e := newEnv(b, emulator.Config{RateLimit: limit}, n, "")
			store, p := e.plan(b, context.Background())
			start := time.Now()
			rep, err := e.pacedExecutor(store, 8, nil).Apply(context.Background(), p)
			wall := time.Since(start).Seconds()
			if err != nil {
				b.Logf("limit %g: %v", limit, err)
			}
			tag := fmt.Sprintf("limit%g-", limit)
			b.ReportMetric(float64(rep.Failed), tag+"failed")
			b.ReportMetric(wall/(float64(n)/limit), tag+"wall/ideal")
			b.ReportMetric(float64(e.stats.count(429))/float64(n), tag+"throttled/asset")
		}
	}
}
