package e2e

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wxmedia/wxmedia/lockfile"
	"github.com/wxmedia/wxmedia/planfile"
)

// TestConcurrentApply runs a second apply while a first one holds the
// lock: without -lock-timeout it fails at once naming the holder; with
// -lock-timeout 30s it waits, then finds nothing left to do.
func TestConcurrentApply(t *testing.T) {
	t.Parallel()
	const files = 20
	e := startEmulator(t, "-latency", "200ms")
	w := newWorkspace(t, e.url, files, baseSeed*1_000_000+200_000)
	first, err := w.start(applyArgs(2)...)
	if err != nil {
		t.Fatal(err)
	}
	lockPath := lockfile.LockPath(w.lockPath())
	var holder *lockfile.LockInfo
	waitFor(t, time.Minute, "the first apply to take the lock", func() bool {
		holder = lockfile.ReadLockInfo(lockPath)
		return holder != nil && holder.PID == first.cmd.Process.Pid || !first.running()
	})
	if !first.running() {
		t.Fatalf("the first apply exited before the test could race it:\n%s", first.stderr.String())
	}

	second := w.run(time.Minute, applyArgs(2)...)
	stillHeld := first.running()
	msg := second.stderr.String()
	if code := second.cmd.ProcessState.ExitCode(); code != 1 {
		t.Errorf("second apply exited %d while the lock was held, want 1:\n%s", code, msg)
	}
	host, _ := os.Hostname()
	for _, want := range []string{
		"is locked by",
		fmt.Sprintf("pid %d", first.cmd.Process.Pid),
		host,
		`"wxmedia apply -auto-approve -parallelism 2"`,
		"since " + holder.Created,
		"force-unlock",
		"-lock-timeout",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("second apply's error does not mention %q:\n%s", want, msg)
		}
	}
	if _, err := time.Parse(time.RFC3339, holder.Created); err != nil {
		t.Errorf("lock info start time %q is not RFC 3339: %v", holder.Created, err)
	}
	if stillHeld && strings.Contains(second.stdout.String(), "Plan:") {
		t.Errorf("second apply planned although it did not get the lock:\n%s", second.stdout.String())
	}

	// Lockfile edits take the same lock.
	if stillHeld {
		p := w.run(time.Minute, "forget", "img000")
		if code := p.cmd.ProcessState.ExitCode(); code != 1 || !strings.Contains(p.stderr.String(), fmt.Sprintf("is locked by pid %d", first.cmd.Process.Pid)) {
			t.Errorf("forget while apply holds the lock exited %d, want 1 naming the holder:\n%s", code, p.stderr.String())
		}
	}

	third, err := w.start(applyArgs(2, "-lock-timeout", "30s")...)
	if err != nil {
		t.Fatal(err)
	}
	if code := first.wait(time.Minute); code != 0 {
		t.Fatalf("first apply exited %d:\n%s", code, first.stderr.String())
	}
	if code := third.wait(time.Minute); code != 0 {
		t.Fatalf("apply -lock-timeout 30s exited %d:\n%s", code, third.stderr.String())
	}
	if !third.exited.After(first.exited) {
		t.Errorf("apply -lock-timeout finished before the lock holder did")
	}
	if out := third.stdout.String(); !strings.Contains(out, "No changes.") {
		t.Errorf("apply -lock-timeout found changes after waiting for the first apply:\n%s", out)
	}
	st := w.load()
	issued := e.issued()
	if w.verify(st, issued) != 0 || len(st.Assets) != files {
		t.Fatalf("the lockfile records %d of %d assets", len(st.Assets), files)
	}
	if len(issued) != files {
		t.Errorf("the emulator issued %d IDs for %d assets: an apply uploaded without the lock", len(issued), files)
	}
	if _, err := os.Stat(lockPath); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the lock file is still there after both applies finished (stat: %v)", err)
	}
}

// TestPlanDuringApply saves plans in a loop, and reads the lockfile and
// the plan file in another, while an apply writes the lockfile after each
// upload: no read ever sees a torn file, and each plan reflects one
// lockfile state.
func TestPlanDuringApply(t *testing.T) {
	t.Parallel()
	const files = 30
	maxPlans, maxReads := 40, 20000
	if long {
		maxPlans, maxReads = 200, 100000
	}
	e := startEmulator(t, "-latency", "50ms")
	w := newWorkspace(t, e.url, files, baseSeed*1_000_000+100_000)
	planPath := filepath.Join(w.dir, "saved.plan")
	apply, err := w.start(applyArgs(2)...)
	if err != nil {
		t.Fatal(err)
	}

	// Reader: parse the lockfile and the saved plan as often as possible.
	stop := make(chan struct{})
	var (
		wg                     sync.WaitGroup
		reads, planReads       int
		readErrs               []string
		firstSerial, maxSerial uint64
		assetsAt               = map[uint64]int{} // serial -> assets recorded
		planned                = map[uint64]int{} // serial -> no-ops of a plan made against it
	)
	wg.Add(1)
	go func() {
		defer wg.Done()
		for reads < maxReads {
			select {
			case <-stop:
				return
			default:
			}
			reads++
			st, err := lockfile.Load(w.lockPath())
			switch {
			case errors.Is(err, lockfile.ErrNotExist):
			case err != nil:
				readErrs = append(readErrs, err.Error())
			default:
				if firstSerial == 0 {
					firstSerial = st.Serial
				}
				maxSerial = max(maxSerial, st.Serial)
				// Writes may commit several uploads at once, but each adds
				// at least one, and one serial is one content.
				n := len(st.Assets)
				if prev, ok := assetsAt[st.Serial]; ok && prev != n {
					readErrs = append(readErrs, fmt.Sprintf("lockfile serial %d recorded %d assets in one read and %d in another", st.Serial, prev, n))
				}
				assetsAt[st.Serial] = n
				if uint64(n) < st.Serial || n > files {
					readErrs = append(readErrs, fmt.Sprintf("lockfile serial %d records %d assets", st.Serial, n))
				}
			}
			// Once the first plan is saved, the file is only ever replaced.
			if _, err := os.Stat(planPath); err == nil {
				if _, err := planfile.Read(planPath); err != nil {
					readErrs = append(readErrs, err.Error())
				} else {
					planReads++
				}
			}
			time.Sleep(200 * time.Microsecond)
		}
	}()

	plans, midRun, afterRun := 0, 0, 0
	var stale string // a plan saved while the apply was still writing
	// Plan in a loop while the apply runs (bounded), then a few more times
	// after it finished.
	for afterRun < 3 {
		running := apply.running()
		if running && midRun >= maxPlans {
			apply.wait(time.Minute)
			running = false
		}
		p := w.run(time.Minute, "plan", "-out", planPath)
		plans++
		if code := p.cmd.ProcessState.ExitCode(); code != 0 {
			t.Fatalf("plan -out during apply exited %d:\n%s", code, p.stderr.String())
		}
		f, err := planfile.Read(planPath)
		if err != nil {
			t.Fatalf("plan %d: %v", plans, err)
		}
		if s := f.Summary; s.Create+s.NoOp != files || s.Replace+s.Forget+s.Rename != 0 {
			t.Errorf("plan %d made against serial %d has %+v, want %d creates and no-ops in all", plans, f.Lockfile.Serial, s, files)
		}
		planned[f.Lockfile.Serial] = f.Summary.NoOp
		if running && f.Lockfile.Serial > 0 && f.Lockfile.Serial < files && stale == "" {
			stale = filepath.Join(w.dir, "stale.plan")
			data, err := os.ReadFile(planPath)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(stale, data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		if running {
			midRun++
		} else {
			afterRun++
		}
	}
	if code := apply.wait(time.Minute); code != 0 {
		t.Fatalf("apply exited %d:\n%s", code, apply.stderr.String())
	}
	close(stop)
	wg.Wait()
	for _, e := range readErrs {
		t.Errorf("read during apply: %s", e)
	}
	// A plan is made from one lockfile state: its no-ops are the assets
	// recorded at the serial it names.
	for serial, noop := range planned {
		if n, ok := assetsAt[serial]; ok && n != noop {
			t.Errorf("a plan made against serial %d has %d no-ops, but the lockfile at that serial records %d assets", serial, noop, n)
		}
	}
	if midRun == 0 {
		t.Errorf("no plan was made while the apply ran")
	}
	st := w.load()
	if w.verify(st, e.issued()) != 0 || len(st.Assets) != files {
		t.Fatalf("the lockfile records %d of %d assets", len(st.Assets), files)
	}
	// The last plan was made after the apply: applying it changes nothing.
	if p := w.run(time.Minute, "apply", planPath); p.cmd.ProcessState.ExitCode() != 0 || !strings.Contains(p.stdout.String(), "No changes.") {
		t.Errorf("apply of the final saved plan exited %d, want 0 with no changes:\n%s%s", p.cmd.ProcessState.ExitCode(), p.stdout.String(), p.stderr.String())
	}
	if stale != "" {
		p := w.run(time.Minute, "apply", stale)
		if code := p.cmd.ProcessState.ExitCode(); code != 1 || !strings.Contains(p.stderr.String(), "stale") || !strings.Contains(p.stderr.String(), "nothing was changed") {
			t.Errorf("apply of a plan saved mid-run exited %d, want 1 refusing a stale plan:\n%s", code, p.stderr.String())
		}
	}
	if n := len(e.issued()); n != files {
		t.Errorf("the emulator issued %d IDs for %d assets", n, files)
	}
	t.Logf("%d plans (%d during the apply), %d lockfile reads (serials %d..%d), %d plan-file reads, all parsed", plans, midRun, reads, firstSerial, maxSerial, planReads)
	if final := w.load(); final.Serial > files {
		t.Errorf("the apply wrote the lockfile %d times for %d uploads", final.Serial, files)
	}
}

// TestForceUnlock removes a stale lock file written by hand.
func TestForceUnlock(t *testing.T) {
	t.Parallel()
	e := startEmulator(t)
	w := newWorkspace(t, e.url, 2, baseSeed*1_000_000+50_000)
	lockPath := lockfile.LockPath(w.lockPath())

	if p := w.run(time.Minute, "force-unlock", "-force"); p.cmd.ProcessState.ExitCode() != 0 || !strings.Contains(p.stdout.String(), "is not locked") {
		t.Errorf("force-unlock without a lock exited %d:\n%s%s", p.cmd.ProcessState.ExitCode(), p.stdout.String(), p.stderr.String())
	}

	info := lockfile.LockInfo{PID: 999999, Host: "build-42.example", User: "ci", Command: "wxmedia apply -auto-approve",
		Created: "2026-01-02T03:04:05Z", Operation: "apply"}
	data, err := json.MarshalIndent(info, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(lockPath, data, 0o644); err != nil {
		t.Fatal(err)
	}
	// Without a terminal and without -force it refuses and keeps the lock.
	p := w.run(time.Minute, "force-unlock")
	if code := p.cmd.ProcessState.ExitCode(); code != 1 || !strings.Contains(p.stderr.String(), "-force") {
		t.Errorf("force-unlock without -force and without a terminal exited %d, want 1 asking for -force:\n%s", code, p.stderr.String())
	}
	if _, err := os.Stat(lockPath); err != nil {
		t.Fatalf("force-unlock without confirmation removed the lock: %v", err)
	}
	p = w.run(time.Minute, "force-unlock", "-force")
	if code := p.cmd.ProcessState.ExitCode(); code != 0 {
		t.Fatalf("force-unlock -force exited %d:\n%s", code, p.stderr.String())
	}
	if out := p.stdout.String(); !strings.Contains(out, "Removed the lock") || !strings.Contains(out, "pid 999999") || !strings.Contains(out, "build-42.example") {
		t.Errorf("force-unlock -force does not name the holder it removed:\n%s", out)
	}
	if strings.Contains(p.stderr.String(), "held right now") {
		t.Errorf("force-unlock warns that a stale lock is held:\n%s", p.stderr.String())
	}
	if _, err := os.Stat(lockPath); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("force-unlock -force left the lock file (stat: %v)", err)
	}
	if p := w.run(time.Minute, applyArgs(2)...); p.cmd.ProcessState.ExitCode() != 0 {
		t.Fatalf("apply after force-unlock exited %d:\n%s", p.cmd.ProcessState.ExitCode(), p.stderr.String())
	}
	if st := w.load(); w.verify(st, e.issued()) != 0 || len(st.Assets) != 2 {
		t.Fatalf("the lockfile records %d of 2 assets", len(st.Assets))
	}
}

// TestSimultaneousApplies starts several applies at the same instant, over
// and over: each either gets the lock (exit 0) or fails naming the holder,
// one of its rivals, even when it lost by microseconds and the holder had
// not yet written who it is.
func TestSimultaneousApplies(t *testing.T) {
	t.Parallel()
	const rivals = 4
	rounds := 25
	if long {
		rounds = 150
	}
	e := startEmulator(t)
	w := newWorkspace(t, e.url, 1, baseSeed*1_000_000+60_000)
	if p := w.run(time.Minute, applyArgs(1)...); p.cmd.ProcessState.ExitCode() != 0 {
		t.Fatalf("first apply exited %d:\n%s", p.cmd.ProcessState.ExitCode(), p.stderr.String())
	}
	lost := 0
	for round := 0; round < rounds; round++ {
		ps := make([]*proc, rivals)
		pids := map[int]bool{}
		for i := range ps {
			p, err := w.start(applyArgs(1)...)
			if err != nil {
				t.Fatal(err)
			}
			ps[i] = p
			pids[p.cmd.Process.Pid] = true
		}
		for _, p := range ps {
			switch code := p.wait(time.Minute); code {
			case 0:
			case 1:
				lost++
				msg := p.stderr.String()
				var pid int
				i := strings.Index(msg, "is locked by pid ")
				if i < 0 {
					t.Errorf("round %d: an apply that lost the race does not name the holder:\n%s", round, msg)
					continue
				}
				if _, err := fmt.Sscanf(msg[i:], "is locked by pid %d", &pid); err != nil || !pids[pid] {
					t.Errorf("round %d: the lock holder named (pid %d) is not one of the rivals %v:\n%s", round, pid, pids, msg)
				}
			default:
				t.Fatalf("round %d: apply exited %d:\n%s", round, code, p.stderr.String())
			}
		}
	}
	if n := len(e.issued()); n != 1 {
		t.Errorf("the emulator issued %d IDs for one asset", n)
	}
	t.Logf("%d rounds of %d simultaneous applies: %d lost the race, each naming the holder", rounds, rivals, lost)
}
