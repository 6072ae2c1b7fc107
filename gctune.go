package main

import (
	"os"
	"runtime/debug"
)

// planHeapLimit is the heap a plan may grow to before the garbage
// collector runs (see tuneGCForPlan).
const planHeapLimit = 112 << 20

// tuneGCForPlan turns the garbage collector's proportional pacing off for
// a short-lived plan and bounds the heap instead: a warm plan of 10,000
// assets allocates a few tens of megabytes and exits, and collecting them
// on the way cost a third of its time on a busy two-core machine (146 ms
// against 96 ms with GOGC=off, BENCHMARKS.md); a plan large enough to
// reach the limit is collected to stay near it, which also bounds its peak
// memory. GOGC or GOMEMLIMIT in the environment win. It returns a function
// restoring the previous settings (tests run many commands in one
// process).
func tuneGCForPlan() (restore func()) {
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
