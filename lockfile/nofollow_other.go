//go:build !unix

package lockfile

// oNoFollow is not available here; callers check with IsLink first.
const oNoFollow = 0
