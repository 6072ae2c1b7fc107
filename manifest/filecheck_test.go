package manifest

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/wxmedia/wxmedia/assetfile"
)

// TestLargeGlobParallelMatchesSequential checks a glob large enough for
// assetfile.Tree.Stat to use goroutines, with every kind of problem among its
// matches, and compares the result with the same tree checked one file at
// a time: same assets, same messages in the same order.
func TestLargeGlobParallelMatchesSequential(t *testing.T) {
	outside := t.TempDir()
	writeTree(t, outside, map[string]string{"x.png": pngData})
	files := map[string]string{}
	for i := range 80 {
		files[fmt.Sprintf("media/many/%02d.png", i)] = pngData
	}
	files["media/many/10.png"] = ""                                           // empty
	files["media/many/20.png"] = "dir:"                                       // skipped
	files["media/many/30.png"] = "symlink:" + filepath.Join(outside, "x.png") // outside
	files["media/many/31.png"] = "symlink:01.png"                             // fine
	files["media/many/32.png"] = "symlink:gone.png"                           // broken
	files["media/many/40.png"] = "size:3145728"                               // too large
	files["media/many/50.txt"] = "text"                                       // extension
	files["media/many/sub"] = "dir:"                                          // skipped
	yaml := header + "  x:\n    type: image\n    account: shop\n    glob: media/many/*\n"

	dir := t.TempDir()
	writeTree(t, dir, defaultFiles)
	writeTree(t, dir, files)
	path := filepath.Join(dir, "wxmedia.yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	_, parErr := Load(path)
	if parErr == nil {
		t.Fatal("Load() = nil error; want the planted problems")
	}
	got := strings.ReplaceAll(parErr.Error(), dir+string(filepath.Separator), "")
	for _, want := range []string{
		"media/many/10.png is empty",
		"media/many/30.png is a symlink to",
		"media/many/32.png is a symlink to a missing file",
		"media/many/40.png is 3.0 MiB; image allows at most 2 MiB",
		"media/many/50.txt has extension .txt",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("errors lack %q:\n%s", want, got)
		}
	}
	if n := len(fieldErrors(t, parErr)); n != 5 {
		t.Errorf("%d problems, want 5:\n%s", n, got)
	}

	defer func(old int) { assetfile.StatParallelMin = old }(assetfile.StatParallelMin)
	assetfile.StatParallelMin = 1 << 30
	_, seqErr := Load(path)
	if !reflect.DeepEqual(parErr.Error(), seqErr.Error()) {
		t.Errorf("parallel and sequential checks differ:\n%s\n---\n%s", parErr, seqErr)
	}

	// Without the problems, the assets are the same too.
	for _, name := range []string{"10.png", "30.png", "32.png", "40.png", "50.txt"} {
		if err := os.Remove(filepath.Join(dir, "media", "many", name)); err != nil {
			t.Fatal(err)
		}
	}
	seq, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	assetfile.StatParallelMin = 16
	par, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(par.Assets) != 75 || !reflect.DeepEqual(par.Assets, seq.Assets) {
		t.Errorf("parallel check gave %d assets, sequential %d; or they differ", len(par.Assets), len(seq.Assets))
	}
}

// TestUnreadableFile: a file that cannot be read is reported by Load (a
// warm plan does not open it), in a small and in a large glob.
func TestUnreadableFile(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root can read any file")
	}
	files := map[string]string{}
	for i := range 40 {
		files[fmt.Sprintf("media/many/%02d.png", i)] = pngData
	}
	for _, tc := range []struct{ name, glob, file string }{
		{"file", "", "media/a.jpg"},
		{"large glob", "media/many/*.png", "media/many/07.png"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			writeTree(t, dir, defaultFiles)
			writeTree(t, dir, files)
			if err := os.Chmod(filepath.Join(dir, filepath.FromSlash(tc.file)), 0); err != nil {
				t.Fatal(err)
			}
			src := "file: " + tc.file
			if tc.glob != "" {
				src = "glob: " + tc.glob
			}
			path := filepath.Join(dir, "wxmedia.yaml")
			if err := os.WriteFile(path, []byte(header+"  x:\n    type: image\n    account: shop\n    "+src+"\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := Load(path)
			if err == nil || !strings.Contains(err.Error(), "cannot read "+tc.file+": permission denied; check its permissions") {
				t.Errorf("Load() = %v; want cannot read %s", err, tc.file)
			}
			// A file the caller vouches for (the stat cache read it, and
			// its ctime has not moved since) is not checked again.
			vouch := func(rel string, _ fs.FileInfo) bool { return rel == tc.file }
			if _, err := LoadWith(path, Options{Files: vouching(vouch)}); err != nil {
				t.Errorf("LoadWith(vouching for %s) = %v; want it trusted", tc.file, err)
			}
		})
	}
}

// vouching is Options.Files for a tree whose files known vouches for.
func vouching(known func(rel string, fi fs.FileInfo) bool) func(dir string) Files {
	return func(dir string) Files { return assetfile.NewTree(dir, known) }
}

// TestKnownReadableSeesEveryFile: the vouching function of Options.Files
// is asked about each asset file, by its manifest-relative path, with its
// Stat.
func TestKnownReadableSeesEveryFile(t *testing.T) {
	files := map[string]string{}
	for i := range 40 {
		files[fmt.Sprintf("media/many/%02d.png", i)] = pngData
	}
	dir := t.TempDir()
	writeTree(t, dir, defaultFiles)
	writeTree(t, dir, files)
	path := filepath.Join(dir, "wxmedia.yaml")
	src := header + "  x:\n    type: image\n    account: shop\n    glob: media/many/*.png\n" +
		"  y:\n    type: image\n    account: shop\n    file: ./media/a.jpg\n"
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	asked := map[string]int64{}
	m, err := LoadWith(path, Options{Files: vouching(func(rel string, fi fs.FileInfo) bool {
		mu.Lock()
		defer mu.Unlock()
		asked[rel] = fi.Size()
		return false
	})})
	if err != nil {
		t.Fatal(err)
	}
	if len(asked) != len(m.Assets) {
		t.Errorf("asked about %d files, the manifest has %d assets", len(asked), len(m.Assets))
	}
	for _, a := range m.Assets {
		if size, ok := asked[a.File]; !ok || size != a.Size {
			t.Errorf("%s: asked %v (size %d); want asked with size %d", a.File, ok, size, a.Size)
		}
	}
}
