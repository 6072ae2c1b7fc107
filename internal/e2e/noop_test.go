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
	tw := noopTree(t, 7)
	other := filepath.Join(t.TempDir(), "wxmedia-copy")
	copyFile(t, bin, other)
	runIn(t, bin, tw.Dir, "apply", "-auto-approve")
	for i, step := range []struct {
		exe string
		hit bool
	}{{bin, false}, {bin, true}, {other, false}, {other, true}, {bin, true}} {
		out, errOut := runIn(t, step.exe, tw.Dir, "plan")
		if !strings.Contains(out, "No changes. 3 assets are up to date") {
			t.Fatalf("step %d: %s", i, out)
		}
		if hit := strings.Contains(errOut, "shortcut=hit"); hit != step.hit {
			t.Errorf("step %d (%s): shortcut taken %v, want %v\n%s", i, filepath.Base(step.exe), hit, step.hit, errOut)
		}
	}
}

// noopTree writes three aged images (older than the stat cache's racy
// window, as a checkout made earlier) and a manifest for them against the
// in-process sandbox.
func noopTree(t *testing.T, seed int64) *testenv.Workspace {
	t.Helper()
	tw := testenv.New(t)
	assets := tw.Images(t, 3, 1100+int(seed), seed)
	old := time.Now().Add(-time.Hour)
	for _, f := range []string{"media/000.png", "media/001.png", "media/002.png"} {
		if err := os.Chtimes(tw.Path(f), old, old); err != nil {
			t.Fatal(err)
		}
	}
	tw.Manifest(t, "  shop: {api: v3, mchid: \"1900000001\", endpoint: sandbox}\n", assets)
	return tw
}

// runIn runs exe -chdir dir args with the debug trace on, failing the test
// on a non-zero exit, and returns its output.
func runIn(t *testing.T, exe, dir string, args ...string) (stdout, stderr string) {
	t.Helper()
	cmd := exec.Command(exe, append([]string{"-chdir", dir}, args...)...)
	cmd.Env = append(os.Environ(), "WXMEDIA_LOG=debug", "NO_COLOR=1")
	var o, e strings.Builder
	cmd.Stdout, cmd.Stderr = &o, &e
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %v: %v\n%s%s", exe, args, err, o.String(), e.String())
	}
	return o.String(), e.String()
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

// TestNoOpRecordCopiedCheckout: a .wxmedia carried into another checkout
// (copied, restored from a CI cache, or committed by mistake or malice)
// cannot make a plan there skip a change: the stat cache vouches only for
// files with the same inode and change time, which a copy or checkout
// makes anew, so every file is hashed and the plan is made in full.
func TestNoOpRecordCopiedCheckout(t *testing.T) {
	tw := noopTree(t, 9)
	runIn(t, bin, tw.Dir, "apply", "-auto-approve")
	runIn(t, bin, tw.Dir, "plan")
	if _, errOut := runIn(t, bin, tw.Dir, "plan"); !strings.Contains(errOut, "shortcut=hit") {
		t.Fatalf("no shortcut in the original checkout:\n%s", errOut)
	}

	// The copy keeps every byte and mtime, .wxmedia included; one image
	// then gets other bytes of the same size, with its old mtime.
	other := filepath.Join(t.TempDir(), "copy")
	if out, err := exec.Command("cp", "-a", tw.Dir, other).CombinedOutput(); err != nil {
		t.Fatalf("cp -a: %v\n%s", err, out)
	}
	img := filepath.Join(other, "media", "001.png")
	fi, err := os.Stat(img)
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(img)
	if err != nil {
		t.Fatal(err)
	}
	data[len(data)-1] ^= 0xFF
	if err := os.WriteFile(img, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(img, fi.ModTime(), fi.ModTime()); err != nil {
		t.Fatal(err)
	}
	out, errOut := runIn(t, bin, other, "plan")
	if strings.Contains(errOut, "shortcut=hit") || !strings.Contains(out, "replace") || !strings.Contains(out, "img001") {
		t.Fatalf("the copy's plan does not replace img001:\n%s%s", out, errOut)
	}
}
