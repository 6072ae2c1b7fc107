package scan_test

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"testing"

	"github.com/wxmedia/wxmedia/internal/testenv"
	"github.com/wxmedia/wxmedia/manifest"
	"github.com/wxmedia/wxmedia/scan"
)

// largeGlob writes n images media/NNN.png, directories named like matches,
// and a manifest globbing media/*.png, with media/007.png declared once
// more on its own.
func largeGlob(t *testing.T, n int, dirs ...string) *testenv.Workspace {
	w := testenv.New(t)
	for i := range n {
		w.Write(t, fmt.Sprintf("media/%03d.png", i), testenv.PNG(100+i, int64(i)))
	}
	for _, d := range dirs {
		if err := os.MkdirAll(w.Path(d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	w.Write(t, "wxmedia.yaml", []byte(`version: 1
accounts:
  shop: {api: v3, mchid: "1900000001", endpoint: sandbox}
assets:
  pics: {type: image, account: shop, glob: media/*.png}
  one: {type: image, account: shop, file: media/007.png}
`))
	return w
}

// TestCheckerRecordsLargeGlobs: a glob of many files, with directories
// among its matches (which the manifest skips), loaded through a Checker
// that records what it saw in the background: the scan that follows gets
// every file's own Stat, also under the race detector.
func TestCheckerRecordsLargeGlobs(t *testing.T) {
	const n = 600
	w := largeGlob(t, n, "media/000-dir.png", "media/300-dir.png", "media/zzz.png")
	for range 3 {
		m, chk := loadChecked(t, w.Path("wxmedia.yaml"))
		if len(m.Assets) != n+1 {
			t.Fatalf("%d assets, want %d", len(m.Assets), n+1)
		}
		r, err := scan.Files(context.Background(), m, scan.Options{Checked: chk})
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range m.Assets {
			fi, err := os.Stat(a.Path)
			if err != nil {
				t.Fatal(err)
			}
			if f := r.Facts[a.Name]; f.Size != fi.Size() || f.Size != a.Size {
				t.Errorf("%s: size %d in the scan, %d in the manifest, %d on disk", a.Name, f.Size, a.Size, fi.Size())
			}
		}
	}
}

// TestCheckerAllVouched: AllVouched holds only when Known vouched for every
// file the manifest looked at — in a large glob recorded in the
// background, and in a single file — and directories a glob meets do not
// count against it.
func TestCheckerAllVouched(t *testing.T) {
	w := largeGlob(t, 600, "media/dir.png")
	for _, tc := range []struct {
		name    string
		decline string // the one file Known declines; "" none
		want    bool
	}{{"all vouched", "", true}, {"one glob match declined", "media/599.png", false}, {"the single file declined", "media/007.png", false}} {
		t.Run(tc.name, func(t *testing.T) {
			declined := 0
			chk := &scan.Checker{Known: func(rel string, _ fs.FileInfo) bool {
				if rel == tc.decline {
					declined++
					return false
				}
				return true
			}}
			if _, err := manifest.LoadWith(w.Path("wxmedia.yaml"), manifest.Options{Files: chk.Files}); err != nil {
				t.Fatal(err)
			}
			if got := chk.AllVouched(); got != tc.want {
				t.Errorf("AllVouched = %v, want %v", got, tc.want)
			}
			if tc.decline != "" && declined == 0 {
				t.Errorf("Known was never asked about %s", tc.decline)
			}
		})
	}
	if (&scan.Checker{}).AllVouched() != true {
		t.Error("a Checker that looked at nothing has nothing unvouched")
	}
}
