package manifest

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/bmatcuk/doublestar/v4"
)

// BenchmarkGlobExpand10k compares the manifest's glob expansion (doublestar,
// with the extension matched in any case) against io/fs.Glob, which it
// replaced, on one directory of 10,000 files, in the same run: the ratio
// is what a warm plan pays for `**` and case-insensitive extensions.
func BenchmarkGlobExpand10k(b *testing.B) {
	dir := b.TempDir()
	media := filepath.Join(dir, "media")
	if err := os.MkdirAll(media, 0o755); err != nil {
		b.Fatal(err)
	}
	for i := range 10000 {
		if err := os.WriteFile(filepath.Join(media, fmt.Sprintf("%05d.png", i)), []byte(pngData), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	fsys := os.DirFS(dir)
	var base, ours time.Duration
	for b.Loop() {
		start := time.Now()
		m1, err := fs.Glob(fsys, "media/*.png")
		base += time.Since(start)
		if err != nil || len(m1) != 10000 {
			b.Fatalf("fs.Glob: %d matches, %v", len(m1), err)
		}
		start = time.Now()
		m2, err := doublestar.Glob(fsys, anyCaseExt("media/*.png"), doublestar.WithNoFollow())
		ours += time.Since(start)
		if err != nil || len(m2) != 10000 {
			b.Fatalf("doublestar.Glob: %d matches, %v", len(m2), err)
		}
	}
	b.ReportMetric(ours.Seconds()/base.Seconds(), "doublestar/fs.Glob")
	b.ReportMetric(ours.Seconds()/float64(b.N), "doublestar-s")
}
