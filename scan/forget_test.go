package scan_test

import (
	"context"
	"os"
	"testing"

	"github.com/wxmedia/wxmedia/internal/testenv"
	"github.com/wxmedia/wxmedia/scan"
)

// With ForgetChecked the scan drops the Checker's Stats once it has used
// them (a plan scans once): the first scan trusts them, as without it; a
// later scan with the same Checker stats the files itself, and so sees a
// file rewritten in between.
func TestScanForgetChecked(t *testing.T) {
	m := cacheWorkspace(t, 3)
	m, chk := loadChecked(t, m.Path)
	first, err := scan.Files(context.Background(), m, scan.Options{Checked: chk, ForgetChecked: true})
	if err != nil {
		t.Fatal(err)
	}
	target := m.Assets[1]
	if err := os.WriteFile(target.Path, testenv.PNG(1000, 99), 0o644); err != nil {
		t.Fatal(err)
	}
	second, err := scan.Files(context.Background(), m, scan.Options{Checked: chk})
	if err != nil {
		t.Fatal(err)
	}
	if first.Facts[target.Name] == second.Facts[target.Name] {
		t.Errorf("the second scan used the forgotten Stat of %s", target.File)
	}
	if second.Cache.Len() != 3 {
		t.Errorf("the cache to save has %d entries; want 3: every file was stat'ed and read afresh", second.Cache.Len())
	}
}
