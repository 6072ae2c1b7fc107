package operation

import (
	"os"
	"runtime/debug"
)

// planHeapLimit is the heap a plan may grow to before the garbage
// collector runs (see TuneGCForPlan). A cold plan of 100,000 new files
// needs about 140 MiB: at 112 MiB the collector ran nearly all the time
// (1.51 s, 120 MiB peak RSS), at 140 MiB it takes 1.38–1.40 s and peaks at
// 146–147 MiB (BENCHMARKS.md, session 3).
const planHeapLimit = 140 << 20

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
