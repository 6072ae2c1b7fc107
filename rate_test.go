package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wxmedia/wxmedia/internal/testenv"
	"github.com/wxmedia/wxmedia/lockfile"
	"github.com/wxmedia/wxmedia/providers/emulator"
)

// apply against an endpoint whose limit (4/s) is below the default rate
// (10/s) and no rate_limit: it adapts instead of failing, says so in its
// progress output, and leaves a complete lockfile and no journal.
func TestApplyAdaptsToAnUnknownRateLimit(t *testing.T) {
	srv, err := emulator.NewSandbox(emulator.Config{RateLimit: 4})
	if err != nil {
		t.Fatal(err)
	}
	url, stop, err := emulator.Start(srv)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	ws := testenv.New(t)
	ws.Manifest(t, ws.WriteSandboxKeys(t, url, ""), ws.Images(t, 24, 500, 7))

	r := runCLI(t, "-chdir", ws.Dir, "apply", "-auto-approve", "-parallelism", "8")
	if r.code != 0 {
		t.Fatalf("apply exited %d:\n%s", r.code, r.stderr)
	}
	if !strings.Contains(r.stderr, "shop (image): request rate now ") || !strings.Contains(r.stderr, "(WeChat Pay throttled a request)") {
		t.Errorf("progress output does not show the rate adapting:\n%s", r.stderr)
	}
	st, err := lockfile.Load(filepath.Join(ws.Dir, "wxmedia.lock.json"))
	if err != nil || len(st.Assets) != 24 {
		t.Fatalf("lockfile: %v, %v", st, err)
	}
	if _, err := os.Stat(lockfile.JournalPath(filepath.Join(ws.Dir, "wxmedia.lock.json"))); !os.IsNotExist(err) {
		t.Errorf("journal left after apply: %v", err)
	}
}
