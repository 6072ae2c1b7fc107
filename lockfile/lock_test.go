package lockfile_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wxmedia/wxmedia/lockfile"
)

func TestLockNamesTheHolder(t *testing.T) {
	p := filepath.Join(t.TempDir(), "wxmedia.lock.json")
	l, err := lockfile.AcquireLock(context.Background(), p, lockfile.NewLockInfo("apply", "wxmedia apply -auto-approve"), 0)
	if err != nil {
		t.Fatal(err)
	}
	_, err = lockfile.AcquireLock(context.Background(), p, lockfile.NewLockInfo("apply", "second"), 0)
	var le *lockfile.LockError
	if !errors.As(err, &le) || le.Info == nil || le.Info.PID != os.Getpid() {
		t.Fatalf("second AcquireLock = %v, want a LockError naming pid %d", err, os.Getpid())
	}
	for _, want := range []string{"is locked by pid", `"wxmedia apply -auto-approve"`, "force-unlock"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("message %q lacks %q", err, want)
		}
	}
	if err := l.Unlock(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(lockfile.LockPath(p)); !os.IsNotExist(err) {
		t.Errorf("lock file left after Unlock: %v", err)
	}
	l2, err := lockfile.AcquireLock(context.Background(), p, lockfile.NewLockInfo("apply", "third"), 0)
	if err != nil {
		t.Fatalf("after Unlock: %v", err)
	}
	l2.Unlock()
}

// A contender that reads the holder info a killed apply left behind (the
// new holder has locked but not yet written itself) looks again instead of
// naming a dead process.
func TestLockIgnoresDeadHolderInfo(t *testing.T) {
	p := filepath.Join(t.TempDir(), "wxmedia.lock.json")
	l, err := lockfile.AcquireLock(context.Background(), p, lockfile.NewLockInfo("apply", "live holder"), 0)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Unlock()
	host, _ := os.Hostname()
	dead, _ := json.Marshal(lockfile.LockInfo{PID: 1 << 30, Host: host, Command: "killed apply", Created: "2026-01-01T00:00:00Z", Operation: "apply"})
	live, _ := os.ReadFile(lockfile.LockPath(p))
	if err := os.WriteFile(lockfile.LockPath(p), dead, 0o644); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := lockfile.AcquireLock(context.Background(), p, lockfile.NewLockInfo("apply", "contender"), 0)
		done <- err
	}()
	time.Sleep(50 * time.Millisecond)
	if err := os.WriteFile(lockfile.LockPath(p), live, 0o644); err != nil {
		t.Fatal(err)
	}
	err = <-done
	var le *lockfile.LockError
	if !errors.As(err, &le) || le.Info == nil || le.Info.Command != "live holder" {
		t.Fatalf("contender got %v, want the live holder named", err)
	}
}
