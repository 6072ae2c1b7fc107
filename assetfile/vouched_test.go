package assetfile_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/wxmedia/wxmedia/assetfile"
)

// TestStatVouched: Stat says which files the known function vouched for
// (and so did not open), and only those: a file it declines is read, and
// an empty file or a directory is never offered to it.
func TestStatVouched(t *testing.T) {
	dir := t.TempDir()
	for name, data := range map[string]string{"yes.png": "x", "no.png": "y", "empty.png": ""} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(dir, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	var asked []string
	tree := assetfile.NewTree(dir, func(rel string, _ fs.FileInfo) bool {
		asked = append(asked, rel)
		return rel == "yes.png"
	})
	got := tree.Stat([]string{"yes.png", "no.png", "empty.png", "sub"})
	for i, want := range []bool{true, false, false, false} {
		if got[i].Vouched != want {
			t.Errorf("file %d: Vouched %v, want %v", i, got[i].Vouched, want)
		}
	}
	if got[0].Head != nil || string(got[1].Head) != "y" {
		t.Errorf("heads: vouched %q, declined %q: only the declined file is read", got[0].Head, got[1].Head)
	}
	if len(asked) != 2 {
		t.Errorf("known asked about %q; want only the two non-empty files", asked)
	}
}
