package e2e

import (
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wxmedia/wxmedia/internal/testenv"
)

// TestNoOpRecordIsPerExecutable: the no-op record (.wxmedia/noop) is keyed
// by the wxmedia executable, so another build — an upgrade, or a copy —
// plans in full once rather than trusting what an older wxmedia decided,
// and each keeps its own record.
func TestNoOpRecordIsPerExecutable(t *testing.T) {
	tw := testenv.New(t)
	assets := tw.Images(t, 3, 1100, 7)
	old := time.Now().Add(-time.Hour)
	for _, f := range []string{"media/000.png", "media/001.png", "media/002.png"} {
		if err := os.Chtimes(tw.Path(f), old, old); err != nil {
			t.Fatal(err)
		}
	}
	tw.Manifest(t, "  shop: {api: v3, mchid: \"1900000001\", endpoint: sandbox}\n", assets)
	other := filepath.Join(t.TempDir(), "wxmedia-copy")
	copyFile(t, bin, other)

	plan := func(exe string) (stdout, stderr string) {
		t.Helper()
		cmd := exec.Command(exe, "-chdir", tw.Dir, "plan")
		cmd.Env = append(os.Environ(), "WXMEDIA_LOG=debug", "NO_COLOR=1")
		var o, e strings.Builder
		cmd.Stdout, cmd.Stderr = &o, &e
		if err := cmd.Run(); err != nil {
			t.Fatalf("%s plan: %v\n%s%s", exe, err, o.String(), e.String())
		}
		return o.String(), e.String()
	}
	if out, err := exec.Command(bin, "-chdir", tw.Dir, "apply", "-auto-approve").CombinedOutput(); err != nil {
		t.Fatalf("apply: %v\n%s", err, out)
	}
	for i, step := range []struct {
		exe string
		hit bool
	}{{bin, false}, {bin, true}, {other, false}, {other, true}, {bin, true}} {
		out, errOut := plan(step.exe)
		if !strings.Contains(out, "No changes. 3 assets are up to date") {
			t.Fatalf("step %d: %s", i, out)
		}
		if hit := strings.Contains(errOut, "shortcut=hit"); hit != step.hit {
			t.Errorf("step %d (%s): shortcut taken %v, want %v\n%s", i, filepath.Base(step.exe), hit, step.hit, errOut)
		}
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	src, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	dst, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(dst, src); err != nil {
		t.Fatal(err)
	}
	if err := dst.Close(); err != nil {
		t.Fatal(err)
	}
}
