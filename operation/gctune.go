package operation

import (
	"os"
	"runtime/debug"
)

// planHeapLimit is the heap a plan may grow to before the garbage
// collector runs (see TuneGCForPlan). The largest plan measured is the
// cold no-op plan of 100,000 recorded files (a lockfile of 42 MB, no stat
// cache), whose live heap peaks at about 110 MiB (session 4, after the
// lockfile, scan and planner stopped keeping the lockfile's text, whole
// FileInfos and the manifest check's stats). Its peak RSS follows the
// limit: by hand, 3 runs each with GOGC=off GOMEMLIMIT, 130–138 MB at
// 120 MiB (1.23–1.39 s user CPU), 138–148 MB at 128 MiB (1.17–1.27 s),
// 151 MB at 140 MiB (1.01–1.05 s), 168–172 MB at 160 MiB: 128 MiB keeps
// the 150 MiB target with a margin for a little more per asset, at a few
// more collections (BENCHMARKS.md, session 4). In session 3, before those
// savings, 140 MiB was needed for 100,000 new files.
const planHeapLimit = 128 << 20

// TuneGCForPlan turns the garbage collector's proportional pacing off for
// a short-lived plan and bounds the heap instead: a warm plan of 10,000
// assets allocates a few tens of megabytes and exits, and collecting them
// on the way cost a third of its time on a busy two-core machine (146 ms
// against 96 ms with GOGC=off, BENCHMARKS.md); a plan large enough to
// reach the limit is collected to stay near it, which also bounds its peak
// memory. GOGC or GOMEMLIMIT in the environment win. It returns a function
// restoring the previous settings (tests run many commands in one
// process).
func TuneGCForPlan() (restore func()) {
	if os.Getenv("GOGC") != "" || os.Getenv("GOMEMLIMIT") != "" {
		return func() {}
	}
	limit := debug.SetMemoryLimit(planHeapLimit)
	pct := debug.SetGCPercent(-1)
	return func() {
		debug.SetGCPercent(pct)
		debug.SetMemoryLimit(limit)
	}
}

// applyHeapLimit bounds the heap of apply (see TuneGCForApply).
const applyHeapLimit = 192 << 20

// TuneGCForApply keeps the garbage collector's usual pacing for a long
// apply but caps the heap: the state of 100,000 assets (plan, lockfile, and
// the sandbox emulator's records when endpoint: sandbox) is ~100 MB live,
// and proportional pacing alone let the heap double that. Near the limit
// the collector runs more often instead. GOGC or GOMEMLIMIT in the
// environment win.
func TuneGCForApply() (restore func()) {
	if os.Getenv("GOGC") != "" || os.Getenv("GOMEMLIMIT") != "" {
		return func() {}
	}
	limit := debug.SetMemoryLimit(applyHeapLimit)
	return func() { debug.SetMemoryLimit(limit) }
}
