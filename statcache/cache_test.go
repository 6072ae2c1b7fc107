package statcache_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wxmedia/wxmedia/lockfile"
	"github.com/wxmedia/wxmedia/statcache"
)

var ref = time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)

func sample() *statcache.Cache {
	c := statcache.New(ref)
	c.Put("media/a.png", statcache.Entry{Stat: statcache.Stat{Size: 10, MtimeNS: ref.Add(-time.Hour).UnixNano(), CtimeNS: 7, Ino: 42},
		SHA256: [32]byte{1, 2, 3}, Head: []byte("\x89PNG\r\n\x1a\n0123456789abcdef")})
	c.Put("media/b.jpg", statcache.Entry{Stat: statcache.Stat{Size: 1 << 40, MtimeNS: -5, CtimeNS: 0, Ino: 0},
		SHA256: [32]byte{31: 9}})
	return c
}

func TestRoundTrip(t *testing.T) {
	c := sample()
	data, err := c.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	d, err := statcache.Decode(data)
	if err != nil {
		t.Fatalf("Decode = %v", err)
	}
	if d.Len() != 2 || !d.Reference().Equal(ref) {
		t.Fatalf("decoded %d entries, reference %v", d.Len(), d.Reference())
	}
	again, _ := d.MarshalBinary()
	if !bytes.Equal(again, data) {
		t.Error("re-encoding differs")
	}
	a := statcache.Stat{Size: 10, MtimeNS: ref.Add(-time.Hour).UnixNano(), CtimeNS: 7, Ino: 42}
	e, ok := d.Lookup("media/a.png", a)
	if !ok || e.SHA256 != [32]byte{1, 2, 3} || string(e.Head) != "\x89PNG\r\n\x1a\n01234567" {
		t.Errorf("Lookup = %+v, %v; want the entry with its head cut to %d bytes", e, ok, statcache.HeadSize)
	}
}

func TestLookupNeedsEveryStatField(t *testing.T) {
	c := sample()
	base := statcache.Stat{Size: 10, MtimeNS: ref.Add(-time.Hour).UnixNano(), CtimeNS: 7, Ino: 42}
	for name, change := range map[string]func(*statcache.Stat){
		"size":  func(s *statcache.Stat) { s.Size++ },
		"mtime": func(s *statcache.Stat) { s.MtimeNS++ },
		"ctime": func(s *statcache.Stat) { s.CtimeNS++ },
		"inode": func(s *statcache.Stat) { s.Ino++ },
	} {
		st := base
		change(&st)
		if _, ok := c.Lookup("media/a.png", st); ok {
			t.Errorf("a different %s still hits", name)
		}
	}
	if _, ok := c.Lookup("media/other.png", base); ok {
		t.Error("an unknown path hits")
	}
	var nilCache *statcache.Cache
	if _, ok := nilCache.Lookup("media/a.png", base); ok {
		t.Error("a nil cache hits")
	}
}

// An entry whose mtime is not older than the reference by RacySlack could
// have been rewritten within the same timestamp tick: it is not trusted.
func TestRacyEntriesAreNotTrusted(t *testing.T) {
	for _, tc := range []struct {
		age  time.Duration
		want bool
	}{
		{-time.Second, false}, // mtime after the scan started: clock skew
		{0, false},
		{time.Second, false},
		{statcache.RacySlack, false},
		{statcache.RacySlack + time.Nanosecond, true},
		{time.Hour, true},
	} {
		c := statcache.New(ref)
		st := statcache.Stat{Size: 1, MtimeNS: ref.Add(-tc.age).UnixNano()}
		c.Put("f", statcache.Entry{Stat: st})
		if _, ok := c.Lookup("f", st); ok != tc.want {
			t.Errorf("mtime %v before the reference: hit = %v, want %v", tc.age, ok, tc.want)
		}
	}
}

func TestDecodeRejectsDamage(t *testing.T) {
	good, _ := sample().MarshalBinary()
	cases := map[string][]byte{
		"empty":     nil,
		"truncated": good[:len(good)-7],
		"magic":     append([]byte("XXXSTAT\x00"), good[8:]...),
		"version":   append(append(append([]byte{}, good[:8]...), 0, 3), good[10:]...),
		"version 1": append(append(append([]byte{}, good[:8]...), 0, 1), good[10:]...),
		"json":      []byte(`{"version":1,"entries":{}}`),
		"appended":  append(append([]byte{}, good...), 0),
	}
	for i := range good {
		flipped := append([]byte{}, good...)
		flipped[i] ^= 0x10
		if _, err := statcache.Decode(flipped); err == nil {
			t.Errorf("a flipped bit at offset %d went unnoticed", i)
		}
	}
	for name, data := range cases {
		if c, err := statcache.Decode(data); err == nil {
			t.Errorf("%s: Decode = %d entries, want an error", name, c.Len())
		}
	}
}

func TestLoadAndSave(t *testing.T) {
	dir := t.TempDir()
	path := statcache.PathFor(filepath.Join(dir, "wxmedia.yaml"))
	if want := filepath.Join(dir, ".wxmedia", "cache"); path != want {
		t.Fatalf("PathFor = %s, want %s", path, want)
	}
	c, err := statcache.Load(path)
	if err == nil || c == nil || c.Len() != 0 {
		t.Fatalf("Load(missing) = %v, %v; want an empty cache and the reason", c, err)
	}
	if err := statcache.Save(path, sample()); err != nil {
		t.Fatal(err)
	}
	c, err = statcache.Load(path)
	if err != nil || c.Len() != 2 {
		t.Fatalf("Load = %d entries, %v", c.Len(), err)
	}
	gi, err := os.ReadFile(filepath.Join(dir, ".wxmedia", ".gitignore"))
	if err != nil || !bytes.Contains(gi, []byte("\n*\n")) {
		t.Errorf(".wxmedia/.gitignore = %q, %v; want it to ignore everything", gi, err)
	}
	if err := os.WriteFile(path, []byte("garbage"), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err = statcache.Load(path)
	if err == nil || c == nil || c.Len() != 0 {
		t.Fatalf("Load(corrupt) = %v, %v; want an empty cache and the reason", c, err)
	}
}

// Plans running at once each rename a whole file into place: a reader sees
// one cache or another, never a mix.
func TestConcurrentSaves(t *testing.T) {
	path := statcache.PathFor(filepath.Join(t.TempDir(), "wxmedia.yaml"))
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			c := sample()
			for j := range i * 10 {
				c.Put(filepath.Join("media", string(rune('a'+j%26)), string(rune('a'+j/26))), statcache.Entry{})
			}
			for range 5 {
				if err := statcache.Save(path, c); err != nil {
					t.Error(err)
				}
				if _, err := statcache.Load(path); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
}

// Vouches is Lookup on a file's Stat: the file named, unchanged since its
// entry was made, and out of the racy window. A nil cache vouches for
// nothing.
func TestVouches(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a.png")
	if err := os.WriteFile(path, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-time.Hour)
	if err := os.Chtimes(path, old, old); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	c := statcache.New(time.Now())
	c.Put("media/a.png", statcache.Entry{Stat: statcache.FromFileInfo(fi)})
	if !c.Vouches("media/a.png", fi) {
		t.Error("an unchanged file is not vouched for")
	}
	if c.Vouches("media/b.png", fi) {
		t.Error("a file without an entry is vouched for")
	}
	if err := os.Chmod(path, 0o600); err != nil { // moves ctime
		t.Fatal(err)
	}
	if fi2, err := os.Stat(path); err != nil {
		t.Fatal(err)
	} else if c.Vouches("media/a.png", fi2) {
		t.Error("a file chmod'ed since its entry is vouched for")
	}
	var none *statcache.Cache
	if none.Vouches("media/a.png", fi) {
		t.Error("a nil cache vouches")
	}

	// Without a ctime (as on Windows) a permission change cannot be seen:
	// nothing is vouched for, even with an entry that matches.
	noCtime := noSys{fi}
	c.Put("media/w.png", statcache.Entry{Stat: statcache.FromFileInfo(noCtime)})
	if _, ok := c.Lookup("media/w.png", statcache.FromFileInfo(noCtime)); !ok {
		t.Fatal("the entry without a ctime does not match itself")
	}
	if c.Vouches("media/w.png", noCtime) {
		t.Error("a file without a ctime is vouched for")
	}
}

// noSys hides the platform stat data, as a FileInfo from a platform
// without ctime or inode would.
type noSys struct{ fs.FileInfo }

func (noSys) Sys() any { return nil }

// TestSaveRefusesLinkedDir: a .wxmedia that is a symbolic link is neither
// written through nor read through.
func TestSaveRefusesLinkedDir(t *testing.T) {
	dir := t.TempDir()
	elsewhere := filepath.Join(dir, "elsewhere")
	if err := os.Mkdir(elsewhere, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("elsewhere", filepath.Join(dir, statcache.Dir)); err != nil {
		t.Fatal(err)
	}
	path := statcache.PathFor(filepath.Join(dir, "wxmedia.yaml"))
	err := statcache.Save(path, sample())
	var le *lockfile.LinkError
	if !errors.As(err, &le) || !strings.Contains(err.Error(), "rm "+filepath.Dir(path)) {
		t.Fatalf("Save through a linked directory = %v, want a *LinkError saying to remove the link", err)
	}
	if entries, _ := os.ReadDir(elsewhere); len(entries) != 0 {
		t.Errorf("Save wrote %d files into the directory the link points to", len(entries))
	}
	// A cache placed there by someone else is not read.
	data, _ := sample().MarshalBinary()
	if err := os.WriteFile(filepath.Join(elsewhere, statcache.FileName), data, 0o644); err != nil {
		t.Fatal(err)
	}
	if c, err := statcache.Load(path); !errors.As(err, &le) || c.Len() != 0 {
		t.Errorf("Load through a linked directory = %d entries, %v; want none and a *LinkError", c.Len(), err)
	}
}

// TestLoadOnlyRegularFiles: a cache file that is a link (here to a device
// whose reads never end) is ignored, not read, and Save replaces it.
func TestLoadOnlyRegularFiles(t *testing.T) {
	path := statcache.PathFor(filepath.Join(t.TempDir(), "wxmedia.yaml"))
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/dev/zero", path); err != nil {
		t.Fatal(err)
	}
	if c, err := statcache.Load(path); err == nil || c.Len() != 0 {
		t.Fatalf("Load(link to /dev/zero) = %d entries, %v; want none and the reason", c.Len(), err)
	}
	if err := statcache.Save(path, sample()); err != nil {
		t.Fatal(err)
	}
	if c, err := statcache.Load(path); err != nil || c.Len() != 2 {
		t.Fatalf("Load after Save = %d entries, %v", c.Len(), err)
	}
}

// TestVersion1IsForeign: a cache written before the fixed-size entries
// (version 1) is foreign, so Load ignores it and the next scan rebuilds it.
func TestVersion1IsForeign(t *testing.T) {
	seed, err := os.ReadFile(filepath.Join("testdata", "fuzz", "FuzzDecode", "v1_valid"))
	if err != nil {
		t.Fatal(err)
	}
	// The seed file's one value, a Go []byte literal.
	lit := strings.TrimSpace(strings.TrimPrefix(string(seed), "go test fuzz v1\n"))
	v1, err := strconv.Unquote(strings.TrimSuffix(strings.TrimPrefix(lit, "[]byte("), ")"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := statcache.Decode([]byte(v1)); !errors.Is(err, statcache.ErrForeign) {
		t.Fatalf("Decode(version 1) = %v, want ErrForeign", err)
	}
	path := statcache.PathFor(filepath.Join(t.TempDir(), "wxmedia.yaml"))
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(v1), 0o644); err != nil {
		t.Fatal(err)
	}
	if c, err := statcache.Load(path); err == nil || c.Len() != 0 {
		t.Fatalf("Load(version 1) = %d entries, %v; want none and the reason", c.Len(), err)
	}
}

// TestPutOverDecoded: a decoded cache takes new entries, and one Put for a
// path it holds replaces the decoded entry.
func TestPutOverDecoded(t *testing.T) {
	data, _ := sample().MarshalBinary()
	c, err := statcache.Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	st := statcache.Stat{Size: 11, MtimeNS: ref.Add(-time.Hour).UnixNano(), CtimeNS: 8, Ino: 43}
	c.Put("media/a.png", statcache.Entry{Stat: st, SHA256: [32]byte{7}})
	c.Put("media/c.png", statcache.Entry{Stat: st, SHA256: [32]byte{8}})
	if c.Len() != 3 {
		t.Fatalf("Len = %d, want 3", c.Len())
	}
	if e, ok := c.Lookup("media/a.png", st); !ok || e.SHA256 != [32]byte{7} {
		t.Errorf("Lookup(replaced) = %+v, %v", e, ok)
	}
	again, _ := c.MarshalBinary()
	d, err := statcache.Decode(again)
	if err != nil || d.Len() != 3 {
		t.Fatalf("Decode(re-encoded) = %d entries, %v", d.Len(), err)
	}
	if e, ok := d.Lookup("media/c.png", st); !ok || e.SHA256 != [32]byte{8} {
		t.Errorf("Lookup(added) = %+v, %v", e, ok)
	}
}

// TestDecodeRejectsUnsortedPaths: entries are written sorted and unique;
// data with two equal or descending paths is corrupt, even with a valid
// checksum.
func TestDecodeRejectsUnsortedPaths(t *testing.T) {
	good, _ := sample().MarshalBinary()
	body := bytes.Clone(good[:len(good)-4])
	// The second path (media/b.jpg) made equal to the first, then less.
	i := bytes.Index(body, []byte("media/b.jpg"))
	copy(body[i:], "media/a.png")
	if _, err := statcache.Decode(binary.BigEndian.AppendUint32(body, crc32.Checksum(body, crc32.MakeTable(crc32.Castagnoli)))); err == nil {
		t.Error("a repeated path was accepted")
	}
	copy(body[i:], "media/0.png")
	if _, err := statcache.Decode(binary.BigEndian.AppendUint32(body, crc32.Checksum(body, crc32.MakeTable(crc32.Castagnoli)))); err == nil {
		t.Error("descending paths were accepted")
	}
}
