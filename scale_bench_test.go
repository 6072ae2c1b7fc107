package main

// Scale benchmarks (issue 15). Heavy: they run only with -bench, and the
// 100,000-file sizes only when WXMEDIA_BENCH_SCALE is set:
//
//	go test -run '^$' -bench 'ApplyScale|PlanScale' -benchtime 1x .
//	WXMEDIA_BENCH_SCALE=100000 go test -run '^$' -bench 'ApplyScale|PlanScale' -benchtime 1x -timeout 30m .

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/wxmedia/wxmedia/noopcache"
)

// buildBench builds the binary and testdata/rsswrap into a temporary
// directory.
func buildBench(b *testing.B) (bin, wrap string) {
	tmp := b.TempDir()
	bin, wrap = filepath.Join(tmp, "wxmedia"), filepath.Join(tmp, "rsswrap")
	for _, args := range [][]string{{"-o", bin, "."}, {"-o", wrap, "./testdata/rsswrap"}} {
		build := exec.Command("go", append([]string{"build"}, args...)...)
		build.Stderr = os.Stderr
		if err := build.Run(); err != nil {
			b.Fatal(err)
		}
	}
	return bin, wrap
}

// runMeasured runs `bin -chdir dir args...` under rsswrap and returns its
// wall time and peak RSS in MiB.
func runMeasured(b *testing.B, wrap, bin, dir string, args ...string) (time.Duration, float64, string) {
	cmd := exec.Command(wrap, append([]string{bin, "-chdir", dir}, args...)...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	err := cmd.Run()
	d := time.Since(start)
	if err != nil {
		b.Fatalf("%v in %s: %v\n%.2000s", args, dir, err, out.String())
	}
	var kib float64
	if i := strings.LastIndex(out.String(), "maxrss-kib "); i < 0 {
		b.Fatalf("rsswrap printed no peak RSS:\n%.2000s", out.String())
	} else if _, err := fmt.Sscan(out.String()[i+len("maxrss-kib "):], &kib); err != nil {
		b.Fatal(err)
	}
	return d, kib / 1024, out.String()
}

func scaleSizes() []int {
	sizes := []int{1000, 10000}
	if v, err := strconv.Atoi(os.Getenv("WXMEDIA_BENCH_SCALE")); err == nil && v > 0 {
		sizes = append(sizes, v)
	}
	return sizes
}

// BenchmarkApplyScale: `apply -auto-approve -parallelism 8` of 1,000 and
// 10,000 small images (and WXMEDIA_BENCH_SCALE) against the in-process
// sandbox, from no lockfile. Reports uploads/s, the 10,000/1,000 ratio
// (target ≥ 0.8) and the peak RSS (target at 100,000: ≤ 256 MiB, and
// ≤ 10 minutes).
func BenchmarkApplyScale(b *testing.B) {
	bin, wrap := buildBench(b)
	sizes := scaleSizes()
	dirs := make([]string, len(sizes))
	for i, n := range sizes {
		dirs[i] = b.TempDir()
		benchTree(b, dirs[i], n, 1024, "image", "png")
	}
	rates := make([]float64, len(sizes))
	for b.Loop() {
		for i, n := range sizes {
			for _, f := range []string{"wxmedia.lock.json", "wxmedia.lock.json.journal"} {
				os.Remove(filepath.Join(dirs[i], f))
			}
			d, rss, out := runMeasured(b, wrap, bin, dirs[i], "apply", "-auto-approve", "-parallelism", "8")
			if !strings.Contains(out, fmt.Sprintf("Assets: %d uploaded", n)) {
				b.Fatalf("apply of %d files:\n%.2000s", n, out[max(0, len(out)-2000):])
			}
			rates[i] = float64(n) / d.Seconds()
			b.ReportMetric(rates[i], fmt.Sprintf("%d-uploads/s", n))
			b.ReportMetric(d.Seconds(), fmt.Sprintf("%d-s", n))
			b.ReportMetric(rss, fmt.Sprintf("%d-peak-MiB", n))
		}
		b.ReportMetric(rates[1]/rates[0], "10k/1k-rate")
	}
}

// BenchmarkPlanScale: a cold plan (no stat cache, no lockfile) of 10,000
// (and WXMEDIA_BENCH_SCALE) small files through the built binary: wall
// time and peak RSS (target at 100,000: ≤ 1.5 s, ≤ 150 MiB).
func BenchmarkPlanScale(b *testing.B) {
	bin, wrap := buildBench(b)
	sizes := scaleSizes()[1:]
	dirs := make([]string, len(sizes))
	for i, n := range sizes {
		dirs[i] = b.TempDir()
		benchTree(b, dirs[i], n, 1024, "image", "png")
	}
	for b.Loop() {
		for i, n := range sizes {
			os.RemoveAll(filepath.Join(dirs[i], ".wxmedia"))
			d, rss, _ := runMeasured(b, wrap, bin, dirs[i], "plan")
			b.ReportMetric(d.Seconds(), fmt.Sprintf("%d-cold-s", n))
			b.ReportMetric(rss, fmt.Sprintf("%d-cold-peak-MiB", n))
		}
	}
}

// BenchmarkWarmPlanVsGitStatus: a warm no-op `wxmedia plan` of 10,000
// unchanged files, the whole command (process start included), against
// `git status` on the same tree with every file committed, alternating
// runs. Target: wxmedia/git ≤ 2. The plan is answered by the no-op record
// (.wxmedia/noop) the first plan made, as on any unchanged tree; the same
// plan made in full (the record removed first, so it is also written
// again) is reported beside it as wxmedia-full-plan-ms.
func BenchmarkWarmPlanVsGitStatus(b *testing.B) {
	git, err := exec.LookPath("git")
	if err != nil {
		b.Skip("no git on PATH")
	}
	bin, _ := buildBench(b)
	dir := b.TempDir()
	paths := benchTree(b, dir, 10000, 1024, "image", "png")
	ageTree(b, paths)
	writeLock(b, dir)
	if err := os.WriteFile(filepath.Join(dir, ".gitignore"), []byte(".wxmedia/\n"), 0o644); err != nil {
		b.Fatal(err)
	}
	for _, args := range [][]string{{"init", "-q"}, {"add", "-A"}, {"-c", "user.email=b@example.com", "-c", "user.name=bench", "commit", "-qm", "tree"}} {
		cmd := exec.Command(git, append([]string{"-C", dir}, args...)...)
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	runOnce := func(name string, args ...string) time.Duration {
		cmd := exec.Command(name, args...)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		start := time.Now()
		if err := cmd.Run(); err != nil {
			b.Fatalf("%s %v: %v\n%s", name, args, err, out.String())
		}
		d := time.Since(start)
		if name == bin && !strings.Contains(out.String(), "No changes.") {
			b.Fatalf("the plan is not a no-op:\n%.1000s", out.String())
		}
		return d
	}
	runOnce(bin, "-chdir", dir, "plan") // warm the stat cache
	runOnce(git, "-C", dir, "status")
	var ours, theirs, full time.Duration
	n := 0
	record := noopcache.PathFor(filepath.Join(dir, "wxmedia.yaml"))
	for b.Loop() {
		for range 10 {
			ours += runOnce(bin, "-chdir", dir, "plan")
			theirs += runOnce(git, "-C", dir, "status")
			if err := os.Remove(record); err != nil {
				b.Fatalf("no no-op record after a warm no-op plan: %v", err)
			}
			full += runOnce(bin, "-chdir", dir, "plan")
			n++
		}
	}
	b.ReportMetric(full.Seconds()/float64(n)*1000, "wxmedia-full-plan-ms")
	b.ReportMetric(ours.Seconds()/float64(n)*1000, "wxmedia-plan-ms")
	b.ReportMetric(theirs.Seconds()/float64(n)*1000, "git-status-ms")
	b.ReportMetric(ours.Seconds()/theirs.Seconds(), "wxmedia/git")
}
