package lockfile_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wxmedia/wxmedia/lockfile"
)

// BenchmarkUpdateWithHistory measures what keeping history adds to each
// lockfile write: one Update (a recorded upload) on a 1,000-entry lockfile,
// with and without a History, in the same run. It reports the ratio
// (history/none), which should stay near 2 (the document is written twice)
// rather than grow with the number of kept versions.
func BenchmarkUpdateWithHistory(b *testing.B) {
	sum := strings.Repeat("c", 64)
	run := func(b *testing.B, withHistory bool, n int) time.Duration {
		dir := b.TempDir()
		p := filepath.Join(dir, "wxmedia.lock.json")
		be := &lockfile.FileBackend{Path: p}
		if withHistory {
			h, err := lockfile.HistoryFor(dir, p)
			if err != nil {
				b.Fatal(err)
			}
			be.History = h
		}
		st, err := lockfile.OpenBackend(context.Background(), be, dir)
		if err != nil {
			b.Fatal(err)
		}
		if err := st.Update(func(s *lockfile.State) {
			for i := range 1000 {
				s.Assets[fmt.Sprint("seed", i)] = &lockfile.Entry{Type: "image", ID: fmt.Sprint("ID", i), SHA256: sum}
			}
		}); err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		for i := range n {
			if err := st.Update(func(s *lockfile.State) {
				s.Assets[fmt.Sprint("a", i)] = &lockfile.Entry{Type: "image", ID: fmt.Sprint("X", i), SHA256: sum}
			}); err != nil {
				b.Fatal(err)
			}
		}
		return time.Since(start)
	}
	b.ReportAllocs()
	var with, without time.Duration
	for b.Loop() {
		without += run(b, false, 150)
		with += run(b, true, 150) // past the 100-version limit: pruning runs
	}
	b.ReportMetric(float64(with)/float64(without), "history/none")
}
