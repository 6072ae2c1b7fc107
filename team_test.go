package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/wxmedia/wxmedia/internal/testenv"
	"github.com/wxmedia/wxmedia/lockfile"
)

// While apply waits for the lock (-lock-timeout), it says who holds it.
func TestApplyLockTimeoutNamesHolderWhileWaiting(t *testing.T) {
	w := testenv.New(t)
	w.Manifest(t, "  shop: {api: v3, mchid: \"1900000001\", endpoint: sandbox}\n", w.Images(t, 1, 200, 1))
	l, err := lockfile.AcquireLock(context.Background(), w.Path("wxmedia.lock.json"), lockfile.NewLockInfo("apply", "wxmedia apply (the holder)"), 0)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Unlock()
	res := runCLI(t, "-chdir", w.Dir, "apply", "-auto-approve", "-lock-timeout", "300ms")
	if res.code != exitError {
		t.Fatalf("apply while locked: exit %d\n%s", res.code, res.stderr)
	}
	want := fmt.Sprintf("Waiting up to 300ms for the lock on wxmedia.lock.json, held by pid %d", os.Getpid())
	if !strings.Contains(res.stderr, want) || !strings.Contains(res.stderr, `"wxmedia apply (the holder)"`) {
		t.Fatalf("apply -lock-timeout did not say whom it waits for; want %q in:\n%s", want, res.stderr)
	}
	if strings.Index(res.stderr, "Waiting up to") > strings.Index(res.stderr, "Error:") {
		t.Errorf("the notice came after the error:\n%s", res.stderr)
	}
}
