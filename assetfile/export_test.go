package assetfile

// SetGlobListed sets the function a glob calls with each directory it
// lists, before its files are stat'ed ahead (nil: none), for tests that
// change the tree mid-glob.
func SetGlobListed(f func(rel string)) { globListed = f }

// SetPrefetchDrain makes Glob (on) wait until every directory it queued
// for early stats is stat'ed, so that what is stat'ed ahead does not
// depend on timing.
func SetPrefetchDrain(on bool) { prefetchDrain = on }

// Prefetched is the number of files the Tree's last Glob stat'ed ahead,
// until a Stat takes them.
func Prefetched(t *Tree) int {
	if t.pre == nil {
		return 0
	}
	return t.pre.count()
}

// SetPrefetchWorkers sets the number of goroutines stat'ing ahead (0: the
// default, GOMAXPROCS-1 and at least 1).
func SetPrefetchWorkers(n int) {
	if n <= 0 {
		prefetchWorkers = defaultPrefetchWorkers
		return
	}
	prefetchWorkers = func() int { return n }
}
