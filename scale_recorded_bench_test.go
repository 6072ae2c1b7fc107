package main

import (
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wxmedia/wxmedia/internal/atomicfile"
	"github.com/wxmedia/wxmedia/lockfile"
	"github.com/wxmedia/wxmedia/noopcache"
)

// BenchmarkPlanScaleRecorded: the realistic large plan (issue 15). The
// tree of BenchmarkPlanScale (10,000 small files, and WXMEDIA_BENCH_SCALE)
// after an apply: a lockfile recording every file as apply writes it
// (endpoint, upload time, a 60-character media ID). Then, through the
// built binary under rsswrap, a cold no-op plan (no stat cache: every file
// is read), a warm one made in full (the stat cache the cold plan saved;
// its no-op record removed first: "warm-full") and a warm one the no-op
// record answers ("warm"). Reports wall time and peak RSS of each (target
// at 100,000, cold: ≤ 1.5 s, ≤ 150 MiB).
//
//	WXMEDIA_BENCH_SCALE=100000 go test -run '^$' -bench PlanScaleRecorded -benchtime 1x .
func BenchmarkPlanScaleRecorded(b *testing.B) {
	bin, wrap := buildBench(b)
	sizes := scaleSizes()[1:]
	dirs := make([]string, len(sizes))
	for i, n := range sizes {
		dirs[i] = b.TempDir()
		// Aged, as a tree checked out earlier: the warm plan's stat cache
		// may trust every file (see statcache.RacySlack).
		ageTree(b, benchTree(b, dirs[i], n, 1024, "image", "png"))
		writeRecordedLock(b, dirs[i])
	}
	for b.Loop() {
		for i, n := range sizes {
			os.RemoveAll(filepath.Join(dirs[i], ".wxmedia"))
			for _, phase := range []string{"cold", "warm-full", "warm"} {
				if phase == "warm-full" {
					os.Remove(noopcache.PathFor(filepath.Join(dirs[i], "wxmedia.yaml")))
				}
				d, rss, out := runMeasured(b, wrap, bin, dirs[i], "plan")
				if !strings.Contains(out, "No changes.") {
					b.Fatalf("the %s plan of %d recorded files is not a no-op:\n%.2000s", phase, n, out)
				}
				b.ReportMetric(d.Seconds(), fmt.Sprintf("%d-%s-s", n, phase))
				b.ReportMetric(rss, fmt.Sprintf("%d-%s-peak-MiB", n, phase))
			}
		}
	}
}

// writeRecordedLock records every asset of the manifest in dir as an apply
// against the sandbox would: writeLock's entries, with the endpoint, an
// upload time and a media ID of the sandbox's length.
func writeRecordedLock(b *testing.B, dir string) {
	writeLock(b, dir)
	path := filepath.Join(dir, "wxmedia.lock.json")
	st, err := lockfile.Load(path)
	if err != nil {
		b.Fatal(err)
	}
	for i, name := range st.Names() {
		e := st.Assets[name]
		e.ID = fmt.Sprintf("%.60s", hex.EncodeToString([]byte(e.SHA256)))
		e.Endpoint = "sandbox"
		e.UploadedAt = fmt.Sprintf("2026-11-28T02:%02d:%02dZ", i/6000%60, i/100%60)
	}
	st.Serial = uint64(len(st.Assets))
	data, err := st.Marshal()
	if err != nil {
		b.Fatal(err)
	}
	if err := atomicfile.WriteFile(path, data, 0o644); err != nil {
		b.Fatal(err)
	}
}
