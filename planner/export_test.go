package planner

// SetParallelBuildMin sets parallelBuildMin for a test and returns the
// function restoring it.
func SetParallelBuildMin(n int) (restore func()) {
	old := parallelBuildMin
	parallelBuildMin = n
	return func() { parallelBuildMin = old }
}
