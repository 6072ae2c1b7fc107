// Package archtest holds the architecture test (issue 13, item 5): rules on
// which package may import which, read from `go list -deps`, that fail the
// test suite when broken. It has no non-test code.
package archtest
