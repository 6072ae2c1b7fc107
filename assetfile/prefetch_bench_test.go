package assetfile_test

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"testing"
	"time"

	"github.com/wxmedia/wxmedia/assetfile"
)

// BenchmarkGlobStat10k: a warm plan's manifest check of a glob over
// 10,000 files (100 directories × 100 files of 1 KiB, every file vouched
// for by the stat cache, as in a warm plan): Glob then Stat, with the
// files stat'ed ahead during the glob (prefetch) and without (serial),
// alternating in each iteration. Reports each one's time per glob, their
// ratio and how many files were stat'ed ahead. As in a plan, the
// collector does not run during the glob and stat (operation/gctune.go
// turns it off): it runs between them instead, so that its marking on the
// other processor does not compete with the early stats as it would not
// in a plan.
func BenchmarkGlobStat10k(b *testing.B) {
	dir := b.TempDir()
	data := make([]byte, 1024)
	for d := range 100 {
		sub := filepath.Join(dir, "media", fmt.Sprintf("d%03d", d))
		if err := os.MkdirAll(sub, 0o755); err != nil {
			b.Fatal(err)
		}
		for f := range 100 {
			if err := os.WriteFile(filepath.Join(sub, fmt.Sprintf("f%03d.png", f)), data, 0o644); err != nil {
				b.Fatal(err)
			}
		}
	}
	vouch := func(string, fs.FileInfo) bool { return true }
	max := assetfile.StatPrefetchMax
	defer func() { assetfile.StatPrefetchMax = max }()
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	ahead := 0
	run := func(prefetch int) time.Duration {
		assetfile.StatPrefetchMax = prefetch
		runtime.GC()
		start := time.Now()
		tree := assetfile.NewTree(dir, vouch)
		m, err := tree.Glob("media/**/*.[pP][nN][gG]")
		if err != nil || len(m) != 10000 {
			b.Fatalf("glob: %d matches, %v", len(m), err)
		}
		ahead += assetfile.Prefetched(tree)
		if st := tree.Stat(m); st[len(st)-1].Info == nil {
			b.Fatal("no stat")
		}
		return time.Since(start)
	}
	var serial, pre time.Duration
	for i := range b.N {
		if i%2 == 0 {
			serial += run(0)
			pre += run(max)
		} else {
			pre += run(max)
			serial += run(0)
		}
	}
	b.ReportMetric(float64(serial.Nanoseconds())/float64(b.N), "serial-ns/op")
	b.ReportMetric(float64(pre.Nanoseconds())/float64(b.N), "prefetch-ns/op")
	b.ReportMetric(float64(pre)/float64(serial), "prefetch/serial")
	b.ReportMetric(float64(ahead)/float64(b.N), "ahead/op")
}
