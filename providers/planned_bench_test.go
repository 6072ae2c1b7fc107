package providers_test

import (
	"bytes"
	"io"
	"testing"
	"time"

	"github.com/wxmedia/wxmedia/providers"
)

// BenchmarkPlannedReader measures what proving the sent bytes costs: a
// 4 MiB file copied through a PlannedReader (SHA-256 in the same pass)
// against the plain section read it replaced, measured in the same run.
// The metric x_plain is the ratio of the two times per file.
func BenchmarkPlannedReader(b *testing.B) {
	data := bytes.Repeat([]byte("0123456789abcdef"), 4<<20/16)
	want := hexSum(data)
	buf := make([]byte, 32<<10)
	b.SetBytes(int64(len(data)))
	var plain, planned time.Duration
	for b.Loop() {
		t0 := time.Now()
		if _, err := io.CopyBuffer(io.Discard, io.NewSectionReader(bytes.NewReader(data), 0, int64(len(data))), buf); err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		r := providers.NewPlannedReader(bytes.NewReader(data), 0, int64(len(data)), int64(len(data)), want)
		if _, err := io.CopyBuffer(io.Discard, r, buf); err != nil {
			b.Fatal(err)
		}
		plain += t1.Sub(t0)
		planned += time.Since(t1)
	}
	b.ReportMetric(float64(planned)/float64(plain), "x_plain")
}
