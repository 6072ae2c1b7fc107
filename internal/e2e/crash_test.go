package e2e

import (
	"encoding/json"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/wxmedia/wxmedia/lockfile"
)

// TestCrash SIGKILLs apply at a random moment and checks that the lockfile
// never loses or corrupts an ID beyond the uploads in flight at the kill.
func TestCrash(t *testing.T) {
	t.Parallel()
	const (
		files       = 50
		parallelism = 4
		latency     = "30ms"
	)
	trials := 20
	if long {
		trials = 100
	}
	// Calibrate: how long a full, undisturbed apply takes here and now.
	cal := startEmulator(t, "-latency", latency)
	cw := newWorkspace(t, cal.url, files, baseSeed*1_000_000+999_999)
	p := cw.run(60*time.Second, applyArgs(parallelism)...)
	if code := p.cmd.ProcessState.ExitCode(); code != 0 {
		t.Fatalf("calibration apply exited %d:\n%s", code, p.stderr.String())
	}
	if n := len(cw.load().Assets); n != files {
		t.Fatalf("calibration apply recorded %d of %d assets", n, files)
	}
	// Kill uniformly over the expected run time (a little beyond, to also
	// catch the final writes), but keep trials short.
	window := min(max(p.elapsed()*6/5, 300*time.Millisecond), 1500*time.Millisecond)
	t.Logf("a full apply of %d files took %s; killing at a uniform moment in [0, %s), seed %d", files, p.elapsed().Round(time.Millisecond), window.Round(time.Millisecond), baseSeed)

	var (
		mu                       sync.Mutex
		maxLost, totalLost       int
		wrong, strayTrials, done int
	)
	runTrials(t, trials, 4, "trial", func(t *testing.T, i int) {
		rng := rand.New(rand.NewPCG(uint64(baseSeed), uint64(i)))
		killAt := time.Duration(rng.Int64N(int64(window)))
		r := crashTrial(t, i, killAt, files, parallelism, latency)
		mu.Lock()
		defer mu.Unlock()
		maxLost = max(maxLost, r.lost)
		totalLost += r.lost
		wrong += r.wrong
		if r.strays > 0 {
			strayTrials++
		}
		if r.completed {
			done++
		}
	})
	t.Logf("%d trials: lost IDs max %d per trial (bound %d), %d in all; wrong IDs %d; %d trials left stray temporary files; %d applies finished before their kill; panics %d",
		trials, maxLost, parallelism, totalLost, wrong, strayTrials, done, panics.Load())
}

type crashResult struct {
	lost, wrong, strays int
	completed           bool
}

func crashTrial(t *testing.T, i int, killAt time.Duration, files, parallelism int, latency string) crashResult {
	e := startEmulator(t, "-latency", latency, "-seed", "1")
	w := newWorkspace(t, e.url, files, baseSeed*1_000_000+int64(i))
	var r crashResult

	p, err := w.start(applyArgs(parallelism)...)
	if err != nil {
		t.Fatal(err)
	}
	timer := time.NewTimer(time.Until(p.started.Add(killAt)))
	select {
	case <-timer.C:
		p.signal(syscall.SIGKILL)
	case <-p.done:
		timer.Stop()
		r.completed = true
	}
	code := p.wait(30 * time.Second)
	if r.completed && code != 0 {
		t.Fatalf("apply finished before the kill but exited %d:\n%s", code, p.stderr.String())
	}

	// Right after the kill: the lockfile parses and every entry is right.
	atKill := w.load()
	r.strays = len(w.strays())
	before := e.issued()
	r.wrong += w.verify(atKill, before)
	recorded := recordedSHAs(atKill)
	lostAtKill := 0
	for _, l := range before {
		if !recordedIDs(atKill)[l.ID] {
			lostAtKill++
		}
	}

	// The next apply copes with whatever the kill left (a stale lock file,
	// temporary files) and finishes the job without re-uploading anything
	// already recorded.
	p2 := w.run(60*time.Second, applyArgs(parallelism)...)
	if code := p2.cmd.ProcessState.ExitCode(); code != 0 {
		t.Fatalf("apply after the kill exited %d:\n%s", code, p2.stderr.String())
	}
	after := e.issued()
	if len(after) < len(before) {
		t.Fatalf("the emulator log shrank from %d to %d lines", len(before), len(after))
	}
	for _, l := range after[len(before):] {
		if recorded[l.SHA256] {
			t.Errorf("apply after the kill uploaded sha256 %s again (new ID %s), though the lockfile already recorded it", l.SHA256, l.ID)
		}
	}
	final := w.load()
	r.wrong += w.verify(final, after)
	if len(final.Assets) != files {
		t.Errorf("after the re-run the lockfile records %d of %d assets", len(final.Assets), files)
	}
	for name, old := range atKill.Assets {
		if now := final.Assets[name]; now == nil || now.ID != old.ID {
			t.Errorf("the re-run changed %s from %s to %+v", name, old.ID, now)
		}
	}
	if _, err := os.Stat(lockfile.LockPath(w.lockPath())); !os.IsNotExist(err) {
		t.Errorf("the apply lock file is still there after the re-run (stat: %v)", err)
	}
	// Lost: IDs the emulator issued that the lockfile never recorded. Only
	// uploads in flight at the kill may be lost; counting over the whole
	// log also catches requests the emulator finished after the kill.
	ids := recordedIDs(final)
	for _, l := range after {
		if !ids[l.ID] {
			r.lost++
		}
	}
	if r.lost > parallelism {
		t.Errorf("%d issued IDs were lost, more than the %d uploads that can be in flight", r.lost, parallelism)
	}
	if r.completed && r.lost > 0 {
		t.Errorf("apply completed, yet %d issued IDs are not recorded", r.lost)
	}
	what := "killed"
	if r.completed {
		what = "finished before the kill"
	}
	t.Logf("kill at %s (%s): recorded %d/%d at kill, issued %d before the re-run, lost %d (%d seen at kill), re-run uploaded %d, stray temp files %d",
		killAt.Round(time.Millisecond), what, len(atKill.Assets), files, len(before), r.lost, lostAtKill, len(after)-len(before), r.strays)
	return r
}

// TestLeftoversFromAKill plants what a SIGKILL can leave beside the
// lockfile, a half-written temporary file and the lock file of a process
// that is gone, and checks that apply, plan and output cope.
func TestLeftoversFromAKill(t *testing.T) {
	t.Parallel()
	e := startEmulator(t)
	w := newWorkspace(t, e.url, 6, baseSeed*1_000_000+888_888)
	if code := w.run(30*time.Second, "apply", "-auto-approve", "-target", "img00[0-2]").cmd.ProcessState.ExitCode(); code != 0 {
		t.Fatalf("first apply exited %d", code)
	}
	good, err := os.ReadFile(w.lockPath())
	if err != nil {
		t.Fatal(err)
	}
	torn := filepath.Join(w.dir, ".wxmedia.lock.json.tmp-123456789")
	if err := os.WriteFile(torn, good[:len(good)/2], 0o600); err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(w.dir, ".wxmedia.lock.json.tmp-987654321")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	stale, _ := json.Marshal(lockfile.LockInfo{PID: 999999, Host: "gone.example", Command: "wxmedia apply -auto-approve", Created: "2026-01-02T03:04:05Z", Operation: "apply"})
	if err := os.WriteFile(lockfile.LockPath(w.lockPath()), stale, 0o644); err != nil {
		t.Fatal(err)
	}

	if p := w.run(30*time.Second, "plan", "-detailed-exitcode"); p.cmd.ProcessState.ExitCode() != 2 {
		t.Fatalf("plan -detailed-exitcode exited %d, want 2 (3 to upload):\n%s%s", p.cmd.ProcessState.ExitCode(), p.stdout.String(), p.stderr.String())
	}
	p := w.run(30*time.Second, applyArgs(2)...)
	if code := p.cmd.ProcessState.ExitCode(); code != 0 {
		t.Fatalf("apply with leftovers exited %d:\n%s", code, p.stderr.String())
	}
	st := w.load()
	if w.verify(st, e.issued()) != 0 || len(st.Assets) != 6 {
		t.Fatalf("lockfile after apply with leftovers: %d assets", len(st.Assets))
	}
	if n := len(e.issued()); n != 6 {
		t.Errorf("the emulator issued %d IDs for 6 assets", n)
	}
	if _, err := os.Stat(lockfile.LockPath(w.lockPath())); !os.IsNotExist(err) {
		t.Errorf("the stale lock file is still there after apply (stat: %v)", err)
	}
	if left := w.strays(); len(left) != 0 {
		t.Errorf("apply left the killed writer's temporary files behind: %v", left)
	}
	if p := w.run(30*time.Second, "output", "-json"); p.cmd.ProcessState.ExitCode() != 0 {
		t.Errorf("output -json exited %d:\n%s", p.cmd.ProcessState.ExitCode(), p.stderr.String())
	}
	if p := w.run(30*time.Second, "plan", "-detailed-exitcode"); p.cmd.ProcessState.ExitCode() != 0 {
		t.Errorf("plan after apply exited %d, want 0:\n%s", p.cmd.ProcessState.ExitCode(), p.stdout.String())
	}
}
