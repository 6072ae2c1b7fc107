package main

// Benchmarks behind BENCHMARKS.md. They generate their own data and run
// only with -bench, e.g.
//
//	go test -run '^$' -bench . -benchtime 5x .
//
// Every comparison is measured in the same run and printed as a metric.

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wxmedia/wxmedia/internal/atomicfile"
	"github.com/wxmedia/wxmedia/lockfile"
	"github.com/wxmedia/wxmedia/manifest"
	"github.com/wxmedia/wxmedia/providers/registry"
	"github.com/wxmedia/wxmedia/scan"
	"github.com/wxmedia/wxmedia/statcache"
)

const benchManifest = `version: 1
accounts:
  shop: {api: v3, mchid: "1900000001", endpoint: sandbox}
assets:
  pics: {type: %s, account: shop, glob: media/*.%s}
`

// benchTree writes n distinct files of size bytes (ext's magic number, then
// pseudo-random bytes) under dir/media and a manifest globbing them, and
// returns the file paths.
func benchTree(b *testing.B, dir string, n, size int, typ, ext string) []string {
	b.Helper()
	if err := os.MkdirAll(filepath.Join(dir, "media"), 0o755); err != nil {
		b.Fatal(err)
	}
	data := mediaBytes(ext, size, 1)
	paths := make([]string, n)
	for i := range n {
		// Distinct content without generating n×size random bytes: stamp
		// the index past the magic number.
		if ext == "csv" { // an audience file must stay one openid a line
			copy(data[min(8, size-8):], fmt.Sprintf("%08x", i))
		} else {
			binary.BigEndian.PutUint64(data[min(16, size-8):], uint64(i))
		}
		paths[i] = filepath.Join(dir, "media", fmt.Sprintf("%05d.%s", i, ext))
		if err := os.WriteFile(paths[i], data, 0o644); err != nil {
			b.Fatal(err)
		}
	}
	mf := fmt.Sprintf(benchManifest, typ, ext)
	if err := os.WriteFile(filepath.Join(dir, "wxmedia.yaml"), []byte(mf), 0o644); err != nil {
		b.Fatal(err)
	}
	return paths
}

// ageTree moves every file's mtime an hour back, as for a tree checked out
// earlier, so the stat cache may trust it (see statcache.RacySlack).
func ageTree(b *testing.B, paths []string) {
	old := time.Now().Add(-time.Hour)
	for _, p := range paths {
		if err := os.Chtimes(p, old, old); err != nil {
			b.Fatal(err)
		}
	}
}

// writeLock records every asset of the manifest in dir as uploaded, so the
// plan is all no-ops.
func writeLock(b *testing.B, dir string) {
	m, err := manifest.Load(filepath.Join(dir, "wxmedia.yaml"))
	if err != nil {
		b.Fatal(err)
	}
	facts, err := scan.Hashes(context.Background(), m, scan.Options{})
	if err != nil {
		b.Fatal(err)
	}
	st := lockfile.New()
	for _, a := range m.Assets {
		f := facts[a.Name]
		// As an apply by this wxmedia records it, endpoint included (a
		// lockfile without endpoints makes every plan print a note).
		st.Assets[a.Name] = &lockfile.Entry{Type: a.Type, Account: a.Account, MchID: "1900000001", File: a.File,
			Filename: a.Filename, Size: f.Size, SHA256: f.SHA256, ID: "bench-" + f.SHA256[:16], Endpoint: m.Accounts[a.Account].Endpoint}
	}
	data, err := st.Marshal()
	if err != nil {
		b.Fatal(err)
	}
	if err := atomicfile.WriteFile(filepath.Join(dir, "wxmedia.lock.json"), data, 0o644); err != nil {
		b.Fatal(err)
	}
}

// benchPlan runs `wxmedia -chdir dir plan args...` in process and returns
// how long it took.
func benchPlan(b *testing.B, dir string, args ...string) time.Duration {
	// run obeys -chdir by changing the process's directory: come back, so
	// that later benchmarks do not start in a removed temporary directory.
	wd, err := os.Getwd()
	if err != nil {
		b.Fatal(err)
	}
	defer os.Chdir(wd)
	var out, errs bytes.Buffer
	start := time.Now()
	code := run(append([]string{"-chdir", dir, "plan"}, args...), strings.NewReader(""), &out, &errs)
	d := time.Since(start)
	if code != exitOK {
		b.Fatalf("plan exited %d: %s", code, errs.String())
	}
	return d
}

func coldPlan(b *testing.B, dir string, args ...string) time.Duration {
	if err := os.RemoveAll(filepath.Join(dir, statcache.Dir)); err != nil {
		b.Fatal(err)
	}
	return benchPlan(b, dir, args...)
}

func seconds(d time.Duration, n int) float64 { return d.Seconds() / float64(n) }

// BenchmarkColdPlan1GiB: a first plan (no stat cache) of 2,000 files of
// 512 KiB, against GNU sha256sum reading the same files in one process.
// Both read from the page cache (the data was just written). The scan stage
// alone is also timed with one worker and with the default (GOMAXPROCS), to
// show what the parallelism buys.
func BenchmarkColdPlan1GiB(b *testing.B) {
	dir := b.TempDir()
	paths := benchTree(b, dir, 2000, 512<<10, "image", "png")
	sha, err := exec.LookPath("sha256sum")
	if err != nil {
		b.Logf("no sha256sum on PATH: the ratio is not measured")
	}
	m, err := manifest.Load(filepath.Join(dir, "wxmedia.yaml"))
	if err != nil {
		b.Fatal(err)
	}
	scan := func(workers int) time.Duration {
		start := time.Now()
		if _, err := scan.Files(context.Background(), m, scan.Options{Workers: workers}); err != nil {
			b.Fatal(err)
		}
		return time.Since(start)
	}
	coldPlan(b, dir) // warm the page cache
	var ours, theirs, serial, parallel time.Duration
	n := 0
	for b.Loop() {
		serial += scan(1)
		parallel += scan(0)
		ours += coldPlan(b, dir)
		if sha != "" {
			cmd := exec.Command(sha, paths...)
			cmd.Stdout = io.Discard
			start := time.Now()
			if err := cmd.Run(); err != nil {
				b.Fatal(err)
			}
			theirs += time.Since(start)
		}
		n++
	}
	b.ReportMetric(seconds(ours, n), "plan-s")
	b.ReportMetric(serial.Seconds()/parallel.Seconds(), "scan-speedup-vs-1-worker")
	if sha != "" {
		b.ReportMetric(seconds(theirs, n), "sha256sum-s")
		b.ReportMetric(ours.Seconds()/theirs.Seconds(), "plan/sha256sum")
	}
}

// BenchmarkWarmPlan10k: 10,000 unchanged files (16 KiB, 128 KiB and
// 512 KiB) recorded in the lockfile; plan with a warm stat cache against a
// cold plan (cache removed) of the same tree. scan-warm/scan-cold isolates
// the hashing stage (scan.Files on a loaded manifest) from manifest
// loading and rendering, which both plans share; manifest-load-s times
// manifest.Load alone, which checks every file on disk, and lockfile-load-s
// reading and decoding the lockfile (plan does both at once).
func BenchmarkWarmPlan10k(b *testing.B) {
	for _, size := range []int{16 << 10, 128 << 10, 512 << 10} {
		b.Run(fmt.Sprintf("%dKiB", size>>10), func(b *testing.B) { benchWarmPlan(b, size) })
	}
}

func benchWarmPlan(b *testing.B, size int) {
	dir := b.TempDir()
	paths := benchTree(b, dir, 10000, size, "image", "png")
	ageTree(b, paths)
	writeLock(b, dir)
	m, err := manifest.Load(filepath.Join(dir, "wxmedia.yaml"))
	if err != nil {
		b.Fatal(err)
	}
	coldPlan(b, dir)
	var warm, cold, scanWarm, scanCold, load, lock, floor time.Duration
	n := 0
	for b.Loop() {
		start := time.Now()
		if _, err := manifest.Load(m.Path); err != nil {
			b.Fatal(err)
		}
		load += time.Since(start)
		start = time.Now()
		if _, err := lockfile.Load(filepath.Join(dir, "wxmedia.lock.json")); err != nil {
			b.Fatal(err)
		}
		lock += time.Since(start)
		cold += coldPlan(b, dir)
		warm += benchPlan(b, dir)
		start = time.Now()
		if _, err := scan.Files(context.Background(), m, scan.Options{}); err != nil {
			b.Fatal(err)
		}
		scanCold += time.Since(start)
		c, err := statcache.Load(statcache.PathFor(m.Path))
		if err != nil {
			b.Fatal(err)
		}
		start = time.Now()
		r, err := scan.Files(context.Background(), m, scan.Options{Cache: c})
		scanWarm += time.Since(start)
		if err != nil || r.Cached != len(paths) {
			b.Fatalf("warm scan: %d of %d cached, %v", r.Cached, len(paths), err)
		}
		floor += statFloor(b, filepath.Join(dir, "media"), paths)
		n++
	}
	b.ReportMetric(seconds(warm, n), "warm-s")
	b.ReportMetric(seconds(cold, n), "cold-s")
	b.ReportMetric(warm.Seconds()/cold.Seconds(), "warm/cold")
	b.ReportMetric(seconds(scanWarm, n), "scan-warm-s")
	b.ReportMetric(seconds(scanCold, n), "scan-cold-s")
	b.ReportMetric(scanWarm.Seconds()/scanCold.Seconds(), "scan-warm/scan-cold")
	b.ReportMetric(seconds(load, n), "manifest-load-s")
	b.ReportMetric(seconds(lock, n), "lockfile-load-s")
	b.ReportMetric(seconds(floor, n), "stat-floor-s")
	b.ReportMetric(floor.Seconds()/cold.Seconds(), "stat-floor/cold")
}

// statFloor times the system calls no warm plan can skip: listing the
// directory the glob names and one lstat per file (git status makes the
// same calls), spread over GOMAXPROCS goroutines, with nothing else. Its
// ratio to the cold plan is the lowest warm/cold any implementation could
// reach on this machine.
func statFloor(b *testing.B, dir string, paths []string) time.Duration {
	start := time.Now()
	if _, err := os.ReadDir(dir); err != nil {
		b.Fatal(err)
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < len(paths); i = int(next.Add(1) - 1) {
				if _, err := os.Lstat(paths[i]); err != nil {
					b.Error(err)
				}
			}
		})
	}
	wg.Wait()
	return time.Since(start)
}

// BenchmarkPlanJSON10k: `plan -json` over 10,000 recorded assets with a
// warm stat cache, from manifest load to the JSON rendered.
func BenchmarkPlanJSON10k(b *testing.B) {
	dir := b.TempDir()
	paths := benchTree(b, dir, 10000, 16<<10, "image", "png")
	ageTree(b, paths)
	writeLock(b, dir)
	benchPlan(b, dir, "-json")
	var d time.Duration
	n := 0
	for b.Loop() {
		d += benchPlan(b, dir, "-json")
		n++
	}
	b.ReportMetric(seconds(d, n), "plan-json-s")
}

// BenchmarkApplyPeakRSS builds the binary and runs `wxmedia apply
// -auto-approve -parallelism 8` on 8 large and on 8 small files, reporting
// the child's peak RSS (getrusage ru_maxrss, read by testdata/rsswrap).
// Video is the largest type the v3 providers take (5 MiB), measured against
// the in-process sandbox (endpoint: sandbox), so the figure includes the
// emulator's memory. user_package (20 MiB) is measured once this build has
// an uploader for it: against an emulator in its own process (`wxmedia
// emulator`), so that the figure is the client's alone, and, labelled
// "+sandbox", against the in-process sandbox, whose emulator reads each
// part body whole.
func BenchmarkApplyPeakRSS(b *testing.B) {
	tmp := b.TempDir()
	bin, wrap := filepath.Join(tmp, "wxmedia"), filepath.Join(tmp, "rsswrap")
	for _, args := range [][]string{{"-o", bin, "."}, {"-o", wrap, "./testdata/rsswrap"}} {
		build := exec.Command("go", append([]string{"build"}, args...)...)
		build.Stderr = os.Stderr
		if err := build.Run(); err != nil {
			b.Fatal(err)
		}
	}
	type load struct {
		label            string // metric prefix
		typ, ext         string
		big, small       int    // file sizes
		manifest         string // "" for benchManifest (in-process sandbox)
		bigDir, smallDir string
		bigRSS, smallRSS float64
	}
	loads := []*load{{label: "video", typ: "video", ext: "mp4", big: 5 << 20, small: 512 << 10}}
	if _, ok := registry.Lookup("user_package"); ok {
		sandbox := strings.Replace(strings.Replace(fmt.Sprintf(benchManifest, "user_package", "csv"), "api: v3", "api: brand", 1),
			"glob: media/*.csv}", "glob: media/*.csv, data_type: openid}", 1)
		loads = append(loads,
			&load{label: "user_package", typ: "user_package", ext: "csv", big: 20 << 20, small: 2 << 20,
				manifest: externalEmulator(b, bin, filepath.Join(tmp, "emulator"))},
			&load{label: "user_package+sandbox", typ: "user_package", ext: "csv", big: 20 << 20, small: 2 << 20,
				manifest: sandbox})
	} else {
		b.Logf("this build has no user_package uploader: measuring video only")
	}
	for _, l := range loads {
		l.bigDir, l.smallDir = b.TempDir(), b.TempDir()
		benchTree(b, l.bigDir, 8, l.big, l.typ, l.ext)
		benchTree(b, l.smallDir, 8, l.small, l.typ, l.ext)
		if l.manifest != "" {
			for _, d := range []string{l.bigDir, l.smallDir} {
				if err := os.WriteFile(filepath.Join(d, "wxmedia.yaml"), []byte(l.manifest), 0o644); err != nil {
					b.Fatal(err)
				}
			}
		}
	}
	apply := func(dir string) float64 {
		if err := os.Remove(filepath.Join(dir, "wxmedia.lock.json")); err != nil && !os.IsNotExist(err) {
			b.Fatal(err)
		}
		// Through rsswrap: our own peak would be inherited by a direct child.
		cmd := exec.Command(wrap, bin, "-chdir", dir, "apply", "-auto-approve", "-parallelism", "8")
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Run(); err != nil {
			b.Fatalf("apply in %s: %v\n%s", dir, err, out.String())
		}
		if !strings.Contains(out.String(), "Assets: 8 uploaded") {
			b.Fatalf("apply in %s did not upload 8 files:\n%s", dir, out.String())
		}
		var kib float64
		if i := strings.LastIndex(out.String(), "maxrss-kib "); i < 0 {
			b.Fatalf("rsswrap printed no peak RSS:\n%s", out.String())
		} else if _, err := fmt.Sscan(out.String()[i+len("maxrss-kib "):], &kib); err != nil {
			b.Fatal(err)
		}
		return kib / 1024
	}
	for b.Loop() {
		for _, l := range loads {
			l.bigRSS = max(l.bigRSS, apply(l.bigDir))
			l.smallRSS = max(l.smallRSS, apply(l.smallDir))
		}
	}
	for _, l := range loads {
		b.ReportMetric(l.bigRSS, fmt.Sprintf("%s-8x%dKiB-peak-MiB", l.label, l.big>>10))
		b.ReportMetric(l.smallRSS, fmt.Sprintf("%s-8x%dKiB-peak-MiB", l.label, l.small>>10))
		b.ReportMetric(l.bigRSS/l.smallRSS, l.label+"-big/small-rss")
	}
}

// externalEmulator starts `bin emulator` on a free loopback port, stopped
// when the benchmark ends, writes the sandbox keys under dir with `bin
// emulator -write-keys`, and returns a manifest uploading media/*.csv as
// user_package through a brand account that reaches it.
func externalEmulator(b *testing.B, bin, dir string) string {
	b.Helper()
	keys := filepath.Join(dir, "keys")
	out, err := exec.Command(bin, "emulator", "-write-keys-only", keys).CombinedOutput()
	if err != nil {
		b.Fatalf("emulator -write-keys: %v\n%s", err, out)
	}
	var mchid, serial, keyID string
	for line := range strings.Lines(string(out)) {
		f := strings.Fields(line)
		switch {
		case len(f) == 5 && f[0] == "brand" && f[1] == "mchid" && f[3] == "serial_no":
			mchid, serial = f[2], f[4]
		case len(f) == 2 && f[0] == "wechatpay_public_key_id":
			keyID = f[1]
		}
	}
	if mchid == "" || keyID == "" {
		b.Fatalf("emulator -write-keys printed no brand identity:\n%s", out)
	}

	urlFile := filepath.Join(dir, "url.txt")
	emu := exec.Command(bin, "emulator", "-addr", "127.0.0.1:0", "-url-file", urlFile)
	var logs bytes.Buffer
	emu.Stdout, emu.Stderr = &logs, &logs
	if err := emu.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		emu.Process.Kill()
		emu.Wait()
	})
	var url []byte
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if url, err = os.ReadFile(urlFile); err == nil && len(bytes.TrimSpace(url)) > 0 {
			break
		}
		if time.Now().After(deadline) {
			emu.Process.Kill()
			emu.Wait()
			b.Fatalf("the emulator wrote no URL to %s within 20 s:\n%s", urlFile, logs.String())
		}
	}
	return fmt.Sprintf(`version: 1
accounts:
  brand:
    api: brand
    mchid: %q
    serial_no: %s
    private_key_file: %s
    wechatpay_public_key_id: %s
    wechatpay_public_key_file: %s
    endpoint: %s
    rate_limit: 1000
assets:
  p: {type: user_package, account: brand, glob: media/*.csv, data_type: openid}
`, mchid, serial, filepath.Join(keys, "brand_key.pem"), keyID, filepath.Join(keys, "wechatpay_pub.pem"), bytes.TrimSpace(url))
}
