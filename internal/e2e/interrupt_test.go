package e2e

import (
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestInterrupt sends one SIGINT to an apply of 50 files against a slow
// emulator: no new uploads start, those in flight finish and are recorded,
// and apply exits 130. Every ID the emulator issued is in the lockfile. A
// re-run then finishes without uploading anything twice.
func TestInterrupt(t *testing.T) {
	t.Parallel()
	// After how many issued IDs the signal is sent.
	points := []int{4}
	if long {
		points = []int{1, 4, 10, 25, 40}
	}
	for i, after := range points {
		t.Run(fmt.Sprintf("after%d", after), func(t *testing.T) {
			t.Parallel()
			interruptOnce(t, syscall.SIGINT, after, baseSeed*1_000_000+300_000+int64(i), i == 0)
		})
	}
	// SIGTERM (what CI runners and container stops send) is an interrupt too.
	t.Run("sigterm", func(t *testing.T) {
		t.Parallel()
		interruptOnce(t, syscall.SIGTERM, 4, baseSeed*1_000_000+350_000, false)
	})
}

func interruptOnce(t *testing.T, sig syscall.Signal, after int, seed int64, rerun bool) {
	const (
		files       = 50
		parallelism = 4
	)
	e := startEmulator(t, "-latency", "200ms")
	w := newWorkspace(t, e.url, files, seed)
	p, err := w.start(applyArgs(parallelism)...)
	if err != nil {
		t.Fatal(err)
	}
	// Uploads are under way once the emulator has issued IDs, so apply's
	// signal handling is installed.
	waitFor(t, time.Minute, fmt.Sprintf("%d issued IDs", after), func() bool { return len(e.issued()) >= after || !p.running() })
	// Half a latency later the next uploads are in flight.
	time.Sleep(100 * time.Millisecond)
	if !p.running() {
		t.Fatalf("apply exited before the interrupt:\n%s", p.stderr.String())
	}
	atSignal := len(e.issued())
	p.signal(sig)
	code := p.wait(time.Minute)
	stderr := p.stderr.String()
	if code != 130 {
		t.Fatalf("apply exited %d after %v, want 130:\n%s", code, sig, stderr)
	}
	if !strings.Contains(stderr, "Interrupt received") || !strings.Contains(stderr, "Apply interrupted.") {
		t.Errorf("stderr does not mention the interrupt:\n%s", stderr)
	}
	st := w.load()
	issued := e.issued()
	if w.verify(st, issued) != 0 {
		t.Fatal("wrong IDs after the interrupt")
	}
	ids := recordedIDs(st)
	for _, l := range issued {
		if !ids[l.ID] {
			t.Errorf("the emulator issued %s for sha256 %s, but the interrupted apply did not record it", l.ID, l.SHA256)
		}
	}
	// The first Ctrl-C lets at most the uploads in flight finish.
	if limit := atSignal + parallelism; len(issued) > limit {
		t.Errorf("%d IDs issued after the interrupt: more than the %d uploads in flight (%d issued at the signal)", len(issued), parallelism, atSignal)
	}
	if len(st.Assets) == files {
		t.Errorf("every asset was uploaded despite the interrupt")
	}
	t.Logf("%v after %d issued IDs: exit %d, %d recorded, %d issued", sig, atSignal, code, len(st.Assets), len(issued))
	if !rerun {
		return
	}
	p2 := w.run(2*time.Minute, applyArgs(parallelism)...)
	if code := p2.cmd.ProcessState.ExitCode(); code != 0 {
		t.Fatalf("apply after the interrupt exited %d:\n%s", code, p2.stderr.String())
	}
	final := w.load()
	all := e.issued()
	if w.verify(final, all) != 0 || len(final.Assets) != files {
		t.Fatalf("after the re-run the lockfile records %d of %d assets", len(final.Assets), files)
	}
	if len(all) != files {
		t.Errorf("the emulator issued %d IDs for %d assets: something was uploaded twice", len(all), files)
	}
}

// TestDoubleInterrupt sends two SIGINTs in quick succession while uploads
// are in flight against an emulator that takes 20 s per request: apply
// aborts them and exits at once, and the lockfile keeps what an earlier
// apply recorded.
func TestDoubleInterrupt(t *testing.T) {
	t.Parallel()
	const (
		files       = 50
		parallelism = 4
		latency     = 20 * time.Second
	)
	// A first apply against a fast emulator records ten assets.
	fast := startEmulator(t)
	w := newWorkspace(t, fast.url, files, baseSeed*1_000_000+400_000)
	if p := w.run(time.Minute, "apply", "-auto-approve", "-target", "img00*"); p.cmd.ProcessState.ExitCode() != 0 {
		t.Fatalf("first apply exited %d:\n%s", p.cmd.ProcessState.ExitCode(), p.stderr.String())
	}
	before := w.load()
	if len(before.Assets) != 10 {
		t.Fatalf("first apply recorded %d assets, want 10", len(before.Assets))
	}

	slow := replaceEmulator(t, fast, "-latency", latency.String())
	p, err := w.start(applyArgs(parallelism)...)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, time.Minute, "uploads to start", func() bool {
		return strings.Count(p.stderr.String(), "uploading") >= parallelism || !p.running()
	})
	// Give the requests time to reach the emulator.
	time.Sleep(300 * time.Millisecond)
	if !p.running() {
		t.Fatalf("apply exited before the interrupt:\n%s", p.stderr.String())
	}
	p.signal(syscall.SIGINT)
	time.Sleep(50 * time.Millisecond)
	p.signal(syscall.SIGINT)
	sent := time.Now()
	// Uploads in flight would take up to 20 s to finish, the rest about
	// ten minutes: "promptly" is anything well below that.
	code := p.wait(2 * time.Minute)
	took := p.exited.Sub(sent)
	if took > latency/2 {
		t.Errorf("apply took %s to exit after the second SIGINT: it waited for the uploads in flight instead of aborting them", took.Round(time.Millisecond))
	}
	stderr := p.stderr.String()
	if code != 130 {
		t.Errorf("apply exited %d after two SIGINTs, want 130:\n%s", code, stderr)
	}
	if !strings.Contains(stderr, "Second interrupt") {
		t.Errorf("stderr does not mention the second interrupt:\n%s", stderr)
	}
	st := w.load()
	if w.verify(st, fast.issued(), slow.issued()) != 0 {
		t.Fatal("wrong IDs after two interrupts")
	}
	for name, old := range before.Assets {
		if now := st.Assets[name]; now == nil || now.ID != old.ID {
			t.Errorf("two interrupts changed %s from %s to %+v", name, old.ID, now)
		}
	}
	t.Logf("two SIGINTs: exit %d after %s, %d recorded (10 before), %d IDs issued by the slow emulator", code, took.Round(time.Millisecond), len(st.Assets), len(slow.issued()))
}
