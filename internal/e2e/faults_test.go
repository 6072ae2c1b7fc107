package e2e

import (
	"fmt"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/wxmedia/wxmedia/lockfile"
)

// faultMix is one emulator fault configuration; the rates add up to at
// most 30%.
type faultMix struct {
	name                            string
	fail, throttle, reset, truncate float64
	latency                         string
}

var faultMixes = []faultMix{
	{name: "mixed", fail: 0.10, throttle: 0.05, reset: 0.075, truncate: 0.075, latency: "10ms"},
	{name: "truncate", fail: 0.10, truncate: 0.20, latency: "5ms"},
	{name: "reset", reset: 0.20, throttle: 0.10, latency: "5ms"},
}

func (m faultMix) flags(seed int) []string {
	return []string{
		"-fail-rate", fmt.Sprint(m.fail), "-throttle-rate", fmt.Sprint(m.throttle),
		"-reset-rate", fmt.Sprint(m.reset), "-truncate-rate", fmt.Sprint(m.truncate),
		"-latency", m.latency, "-seed", fmt.Sprint(seed),
	}
}

// TestFaults runs apply against an emulator that fails, throttles, resets
// and truncates up to 30% of requests, until it converges: at most five
// runs, exit 1 for each run that leaves failures, 0 at the end, and at
// every step each recorded ID is the last one issued for its content.
func TestFaults(t *testing.T) {
	t.Parallel()
	const (
		files       = 20
		parallelism = 4
		maxRuns     = 5
	)
	trials := 3
	if long {
		trials = 12
	}
	var (
		mu                                      sync.Mutex
		failedRuns, runs, retries, extra, wrong int
	)
	runTrials(t, trials, 3, "trial", func(t *testing.T, i int) {
		mix := faultMixes[i%len(faultMixes)]
		seed := int(baseSeed)*1000 + i
		e := startEmulator(t, mix.flags(seed)...)
		w := newWorkspace(t, e.url, files, baseSeed*1_000_000+500_000+int64(i))
		var codes []int
		trialWrong, trialRetries := 0, 0
		for run := 1; ; run++ {
			p := w.run(3*time.Minute, applyArgs(parallelism)...)
			code := p.cmd.ProcessState.ExitCode()
			codes = append(codes, code)
			stderr := p.stderr.String()
			trialRetries += strings.Count(stderr, "retrying in")
			st := w.load()
			issued := e.issued()
			trialWrong += w.verify(st, issued)
			trialWrong += checkLastIssued(t, st, issued)
			switch code {
			case 0:
				if len(st.Assets) != files {
					t.Fatalf("run %d exited 0 but the lockfile records %d of %d assets", run, len(st.Assets), files)
				}
			case 1:
				if !strings.Contains(stderr, "Apply failed.") || !strings.Contains(stderr, "Error:") {
					t.Errorf("run %d exited 1 without saying what failed:\n%s", run, stderr)
				}
				if len(st.Assets) == files {
					t.Errorf("run %d exited 1 but every asset is recorded:\n%s", run, stderr)
				}
			default:
				t.Fatalf("run %d exited %d, want 0 or 1:\n%s", run, code, stderr)
			}
			if code == 0 {
				break
			}
			if run == maxRuns {
				t.Fatalf("apply did not converge in %d runs (exit codes %v); last stderr:\n%s", maxRuns, codes, stderr)
			}
		}
		issued := e.issued()
		if p := w.run(time.Minute, "plan", "-detailed-exitcode"); p.cmd.ProcessState.ExitCode() != 0 {
			t.Errorf("plan after convergence exited %d, want 0 (no changes):\n%s", p.cmd.ProcessState.ExitCode(), p.stdout.String())
		}
		t.Logf("%s faults, seed %d: exit codes %v, %d retries, %d IDs issued for %d assets (%d orphaned by lost responses), wrong %d",
			mix.name, seed, codes, trialRetries, len(issued), files, len(issued)-files, trialWrong)
		mu.Lock()
		defer mu.Unlock()
		runs += len(codes)
		failedRuns += len(codes) - 1
		retries += trialRetries
		extra += len(issued) - files
		wrong += trialWrong
	})
	t.Logf("%d trials: %d runs (%d exited 1), %d retries, %d orphaned IDs, wrong IDs %d, panics %d", trials, runs, failedRuns, retries, extra, wrong, panics.Load())
}

// checkLastIssued checks that each recorded ID is the last one the
// emulator issued for that sha256: nothing was uploaded again after it was
// recorded.
func checkLastIssued(t *testing.T, s *lockfile.State, issued []issuedLine) int {
	t.Helper()
	last := map[string]string{}
	for _, l := range issued {
		last[l.SHA256] = l.ID
	}
	wrong := 0
	for _, name := range s.Names() {
		e := s.Assets[name]
		if got := last[e.SHA256]; got != e.ID {
			t.Errorf("%s records ID %s, but the last ID issued for its sha256 %s is %s: it was uploaded again after being recorded", name, e.ID, e.SHA256, got)
			wrong++
		}
	}
	return wrong
}

// TestSlowResponses runs apply against an emulator that takes 300 ms for
// every request: nothing times out, is retried or uploaded twice.
func TestSlowResponses(t *testing.T) {
	t.Parallel()
	const files = 5
	e := startEmulator(t, "-latency", "300ms")
	w := newWorkspace(t, e.url, files, baseSeed*1_000_000+700_000)
	p := w.run(2*time.Minute, applyArgs(2)...)
	if code := p.cmd.ProcessState.ExitCode(); code != 0 {
		t.Fatalf("apply against a slow emulator exited %d:\n%s", code, p.stderr.String())
	}
	if strings.Contains(p.stderr.String(), "retrying") {
		t.Errorf("apply retried against a slow but healthy emulator:\n%s", p.stderr.String())
	}
	st := w.load()
	issued := e.issued()
	if w.verify(st, issued) != 0 || len(st.Assets) != files {
		t.Fatalf("the lockfile records %d of %d assets", len(st.Assets), files)
	}
	if len(issued) != files {
		t.Errorf("the emulator issued %d IDs for %d assets", len(issued), files)
	}
	if p := w.run(time.Minute, applyArgs(2)...); p.cmd.ProcessState.ExitCode() != 0 || !strings.Contains(p.stdout.String(), "No changes.") {
		t.Errorf("second apply exited %d, want 0 with no changes:\n%s", p.cmd.ProcessState.ExitCode(), p.stdout.String())
	}
	if n := len(e.issued()); n != files {
		t.Errorf("the second apply uploaded again: %d IDs issued", n)
	}
}

// TestEndpointOutage kills the emulator in the middle of an apply: the
// uploads that can no longer reach it fail once their retries run out, the
// run exits 1 naming them, and everything recorded so far is right. A
// re-run against a new emulator finishes without uploading again what was
// recorded.
func TestEndpointOutage(t *testing.T) {
	t.Parallel()
	const files = 8
	e1 := startEmulator(t, "-latency", "100ms")
	w := newWorkspace(t, e1.url, files, baseSeed*1_000_000+600_000)
	p, err := w.start(applyArgs(4)...)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, 30*time.Second, "the first uploads", func() bool { return len(e1.issued()) >= 4 || !p.running() })
	e1.p.signal(syscall.SIGKILL)
	e1.p.wait(10 * time.Second)
	code := p.wait(2 * time.Minute)
	first := e1.issued()
	st := w.load()
	if w.verify(st, first) != 0 {
		t.Fatal("wrong IDs after the outage")
	}
	if len(st.Assets) == files {
		t.Skipf("apply finished all %d uploads before the emulator went down", files)
	}
	stderr := p.stderr.String()
	if code != 1 || !strings.Contains(stderr, "Apply failed.") {
		t.Fatalf("apply during an outage exited %d, want 1 with \"Apply failed.\":\n%s", code, stderr)
	}
	for _, name := range w.names {
		if st.Assets[name] == nil && !strings.Contains(stderr, name+": failed") {
			t.Errorf("stderr does not say that %s failed:\n%s", name, stderr)
		}
	}

	e2 := replaceEmulator(t, e1)
	p2 := w.run(time.Minute, applyArgs(4)...)
	if code := p2.cmd.ProcessState.ExitCode(); code != 0 {
		t.Fatalf("apply after the outage exited %d:\n%s", code, p2.stderr.String())
	}
	second := e2.issued()
	recorded := recordedSHAs(st)
	for _, l := range second {
		if recorded[l.SHA256] {
			t.Errorf("apply after the outage uploaded sha256 %s again, though it was recorded", l.SHA256)
		}
	}
	final := w.load()
	if w.verify(final, first, second) != 0 || len(final.Assets) != files {
		t.Fatalf("after the outage the lockfile records %d of %d assets", len(final.Assets), files)
	}
	if len(second) != files-len(st.Assets) {
		t.Errorf("the second emulator issued %d IDs for %d missing assets", len(second), files-len(st.Assets))
	}
	t.Logf("outage: %d of %d recorded before it (first run %s, exit %d), %d uploaded after", len(st.Assets), files, p.elapsed().Round(time.Millisecond), code, len(second))
}
