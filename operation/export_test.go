package operation

// SetPrefetchLate sets prefetchLate for a test and returns the function
// restoring it.
func SetPrefetchLate(n int64) (restore func()) {
	old := prefetchLate
	prefetchLate = n
	return func() { prefetchLate = old }
}
