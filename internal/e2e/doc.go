// Package e2e holds the reliability suites that run the real wxmedia binary
// as a separate process against the emulator, also a separate process
// (`wxmedia emulator -addr 127.0.0.1:0 -url-file F -log F`), and check the
// one promise that matters most: the lockfile is the only record of the
// uploaded media IDs, so it must never lose or corrupt one.
//
// It has no non-test code. TestMain builds the binary once with
// `go build -o <tmp>/wxmedia github.com/wxmedia/wxmedia` (not -race: the
// suites exercise the process, not the test code) and writes the sandbox
// keys with `wxmedia emulator -write-keys-only`. The suites are:
//
//   - crash_test.go: apply is SIGKILLed at a random (seeded) moment; the
//     lockfile must parse, every recorded ID must be one the emulator issued
//     for that content, a re-run must finish without re-uploading anything
//     recorded, and at most -parallelism issued IDs may be lost (those in
//     flight at the kill). Stray temporary files and stale lock files that
//     a kill leaves behind must not get in the way.
//   - faults_test.go: the emulator fails, throttles, resets and truncates up
//     to 30% of requests; apply must converge within five runs (exit 1 for
//     a run that leaves failures, 0 at the end) and record for each asset
//     the last ID issued for its content. Slow responses, and an emulator
//     that goes away mid-apply (exit 1, then a clean re-run).
//   - interrupt_test.go: SIGINT (or SIGTERM) lets uploads in flight finish
//     and be recorded (exit 130); two SIGINTs abort at once.
//   - concurrency_test.go: the apply lock (a second apply fails naming the
//     holder, or waits with -lock-timeout; applies started at the same
//     instant), plans saved while an apply writes the lockfile, and
//     force-unlock of a stale lock.
//   - paths_test.go: two applies through two spellings of one lockfile (a
//     symbolic link) share one lock, so the emulator issues one ID per
//     asset; the errored dump falls back to the user cache directory when
//     the lockfile's directory vanishes mid-apply; the private key file
//     permission warning.
//
// # Long mode
//
// The default trial counts keep the package well under a minute under
// -race on two cores. Set WXMEDIA_LONG=1 to raise them:
//
//	crash trials                20 -> 100
//	fault trials                 3 -> 12
//	interrupt points             1 -> 5
//	plan-loop iterations        40 -> 200
//	simultaneous-apply rounds   25 -> 150
//
// WXMEDIA_E2E_SEED=N picks the seed behind the kill times and file
// contents (default 1), so a failing trial can be replayed; with -v every
// crash trial logs its kill time, how many IDs were recorded, issued and
// lost, and each suite logs its totals.
package e2e
