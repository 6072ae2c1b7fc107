package scan_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wxmedia/wxmedia/internal/testenv"
	"github.com/wxmedia/wxmedia/lockfile"
	"github.com/wxmedia/wxmedia/manifest"
	"github.com/wxmedia/wxmedia/planner"
	"github.com/wxmedia/wxmedia/scan"
	"github.com/wxmedia/wxmedia/statcache"
)

// cacheWorkspace writes n PNG files and a manifest that globs them, and
// returns the loaded manifest.
func cacheWorkspace(t *testing.T, n int) *manifest.Manifest {
	t.Helper()
	w := testenv.New(t)
	for i := range n {
		w.Write(t, fmt.Sprintf("media/%02d.png", i), testenv.PNG(1000, int64(i)))
	}
	w.Write(t, "wxmedia.yaml", []byte(`version: 1
accounts:
  shop: {api: v3, mchid: "1900000001", endpoint: sandbox}
assets:
  pics: {type: image, account: shop, glob: media/*.png}
`))
	m, err := manifest.Load(w.Path("wxmedia.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// age sets a file's mtime an hour back, out of the racy window.
func age(t *testing.T, path string) time.Time {
	t.Helper()
	old := time.Now().Add(-time.Hour).Truncate(time.Second)
	if err := os.Chtimes(path, old, old); err != nil {
		t.Fatal(err)
	}
	return old
}

// scanWithCache does what plan does: load the cache beside the manifest,
// scan, save the result.
func scanWithCache(t *testing.T, m *manifest.Manifest, refresh bool) *scan.Result {
	t.Helper()
	path := statcache.PathFor(m.Path)
	c, _ := statcache.Load(path)
	r, err := scan.Files(context.Background(), m, scan.Options{Cache: c, RefreshHashes: refresh})
	if err != nil {
		t.Fatal(err)
	}
	if err := statcache.Save(path, r.Cache); err != nil {
		t.Fatal(err)
	}
	return r
}

func assertCounts(t *testing.T, what string, r *scan.Result, hashed, cached int) {
	t.Helper()
	if r.Hashed != hashed || r.Cached != cached {
		t.Errorf("%s: hashed %d, cached %d; want %d, %d", what, r.Hashed, r.Cached, hashed, cached)
	}
}

func assertSameFacts(t *testing.T, what string, got, want map[string]planner.FileFacts) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d facts, want %d", what, len(got), len(want))
	}
	for n, f := range want {
		if got[n] != f {
			t.Errorf("%s: %s = %+v, want %+v", what, n, got[n], f)
		}
	}
}

func TestScanCacheSkipsUnchangedFiles(t *testing.T) {
	m := cacheWorkspace(t, 5)
	for _, a := range m.Assets {
		age(t, a.Path)
	}
	cold := scanWithCache(t, m, false)
	assertCounts(t, "first scan", cold, 5, 0)
	if _, err := os.Stat(filepath.Join(filepath.Dir(m.Path), ".wxmedia", "cache")); err != nil {
		t.Fatalf("the cache is not in .wxmedia/ beside the manifest: %v", err)
	}
	warm := scanWithCache(t, m, false)
	assertCounts(t, "second scan", warm, 0, 5)
	assertSameFacts(t, "second scan", warm.Facts, cold.Facts)

	// -refresh-hashes reads every file again, and still rewrites the cache.
	refreshed := scanWithCache(t, m, true)
	assertCounts(t, "refresh", refreshed, 5, 0)
	assertSameFacts(t, "refresh", refreshed.Facts, cold.Facts)
	assertCounts(t, "after refresh", scanWithCache(t, m, false), 0, 5)
}

// Same size, restored mtime: the content change is still seen, whether the
// old entry was racy (the file was hashed within RacySlack of its write) or
// not (the ctime moved).
func TestScanCacheSeesSameSizeRewrites(t *testing.T) {
	for _, racy := range []bool{true, false} {
		t.Run(fmt.Sprintf("racy=%v", racy), func(t *testing.T) {
			m := cacheWorkspace(t, 2)
			a := m.Assets[0]
			fi, err := os.Stat(a.Path)
			if err != nil {
				t.Fatal(err)
			}
			mtime := fi.ModTime()
			if !racy {
				mtime = age(t, a.Path)
			}
			before := scanWithCache(t, m, false)
			if err := os.WriteFile(a.Path, testenv.PNG(1000, 999), 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.Chtimes(a.Path, mtime, mtime); err != nil {
				t.Fatal(err)
			}
			after := scanWithCache(t, m, false)
			if after.Facts[a.Name].SHA256 == before.Facts[a.Name].SHA256 {
				t.Fatal("a same-size rewrite with its mtime restored went unnoticed")
			}
		})
	}
}

// A touched file is read again, and the plan shows no change.
func TestScanCacheTouchedFileIsRehashedButUnchanged(t *testing.T) {
	m := cacheWorkspace(t, 3)
	for _, a := range m.Assets {
		age(t, a.Path)
	}
	first := scanWithCache(t, m, false)
	st := lockfile.New()
	for _, a := range m.Assets {
		f := first.Facts[a.Name]
		st.Assets[a.Name] = &lockfile.Entry{Type: a.Type, Account: a.Account, MchID: "1900000001", File: a.File,
			Filename: a.Filename, Size: f.Size, SHA256: f.SHA256, ID: "id-" + a.Name}
	}
	later := time.Now().Add(-30 * time.Minute)
	if err := os.Chtimes(m.Assets[1].Path, later, later); err != nil {
		t.Fatal(err)
	}
	r := scanWithCache(t, m, false)
	assertCounts(t, "after touching one file", r, 1, 2)
	p, err := planner.Build(m, r.Facts, st, planner.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if p.HasChanges() {
		t.Errorf("touching a file changed the plan: %+v", p.Changes)
	}
}

// A missing or damaged cache costs a re-hash, never an error or a
// different plan; the next scan rebuilds it.
func TestScanCacheDamageIsHarmless(t *testing.T) {
	m := cacheWorkspace(t, 4)
	for _, a := range m.Assets {
		age(t, a.Path)
	}
	want := scanWithCache(t, m, false).Facts
	path := statcache.PathFor(m.Path)
	good, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	flipped := append([]byte{}, good...)
	flipped[len(flipped)/2] ^= 1
	for name, damage := range map[string]func() error{
		"deleted":   func() error { return os.Remove(path) },
		"truncated": func() error { return os.WriteFile(path, good[:len(good)/3], 0o644) },
		"corrupt":   func() error { return os.WriteFile(path, flipped, 0o644) },
		"foreign":   func() error { return os.WriteFile(path, []byte(`{"not":"ours"}`), 0o644) },
		"empty":     func() error { return os.WriteFile(path, nil, 0o644) },
	} {
		if err := damage(); err != nil {
			t.Fatal(err)
		}
		r := scanWithCache(t, m, false)
		assertCounts(t, name, r, 4, 0)
		assertSameFacts(t, name, r.Facts, want)
		if c, err := statcache.Load(path); err != nil || c.Len() != 4 {
			t.Errorf("%s: the cache was not rebuilt: %d entries, %v", name, c.Len(), err)
		}
	}
}

// A cached file is not opened, yet its magic bytes are checked again from
// the head the cache keeps.
func TestScanCacheChecksCachedHead(t *testing.T) {
	m := cacheWorkspace(t, 1)
	a := m.Assets[0]
	fi, err := os.Stat(a.Path)
	if err != nil {
		t.Fatal(err)
	}
	c := statcache.New(time.Now().Add(time.Hour))
	c.Put(a.File, statcache.Entry{Stat: statcache.FromFileInfo(fi), Head: []byte{0xFF, 0xD8, 0xFF, 0xE0}})
	_, err = scan.Files(context.Background(), m, scan.Options{Cache: c})
	if err == nil || !strings.Contains(err.Error(), "looks like") {
		t.Fatalf("Files = %v; want the magic-byte error from the cached head", err)
	}
}

// A file over its type's limit is reported from its size alone: this one
// is sparse and 64 GiB, so hashing it would not finish in any test run.
func TestScanRejectsOversizeWithoutReading(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "huge.png")
	if err := os.WriteFile(path, []byte("\x89PNG\r\n\x1a\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(path, 64<<30); err != nil {
		t.Skipf("no sparse files here: %v", err)
	}
	m := &manifest.Manifest{Path: "wxmedia.yaml", Version: 1,
		Accounts: map[string]*manifest.Account{"shop": {Name: "shop", API: "v3", MchID: "1900000001"}},
		Assets:   []*manifest.Asset{{Name: "huge", Type: "image", Account: "shop", File: "huge.png", Path: path, Filename: "huge.png"}}}
	r, err := scan.Files(context.Background(), m, scan.Options{})
	if err == nil || !strings.Contains(err.Error(), "huge.png is 64.0 GiB; image allows at most 2 MiB") {
		t.Fatalf("Files = %v; want the size error", err)
	}
	if r.Hashed != 0 {
		t.Errorf("hashed %d files", r.Hashed)
	}
}

// loadChecked loads the manifest at path as plan does, through a Checker,
// and returns both.
func loadChecked(t *testing.T, path string) (*manifest.Manifest, *scan.Checker) {
	t.Helper()
	chk := &scan.Checker{}
	m, err := manifest.LoadWith(path, manifest.Options{Files: chk.Files})
	if err != nil {
		t.Fatal(err)
	}
	return m, chk
}

// With Options.Checked the scan trusts the Stat the manifest check took
// (through the Checker) instead of stat'ing again: a warm plan then makes one system
// call per file. A file rewritten after that check is hashed as it is read
// and not cached, so the next scan looks at it again.
func TestScanManifestStats(t *testing.T) {
	m := cacheWorkspace(t, 3)
	for _, a := range m.Assets {
		age(t, a.Path)
	}
	m, chk := loadChecked(t, m.Path) // stats as the files are now
	scanWithCache(t, m, false)
	c, _ := statcache.Load(statcache.PathFor(m.Path))
	run := func(what string, hashed, cached int) *scan.Result {
		t.Helper()
		r, err := scan.Files(context.Background(), m, scan.Options{Cache: c, Checked: chk})
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		assertCounts(t, what, r, hashed, cached)
		return r
	}
	before := run("warm, manifest stats", 0, 3)

	// Rewritten after the manifest was checked: the cache entry matches the
	// old stat, so the old hash stands for this plan (apply re-verifies
	// what it sends); without Checked the new content is seen.
	target := m.Assets[1]
	if err := os.WriteFile(target.Path, testenv.PNG(1000, 99), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := run("stale info", 0, 3); got.Facts[target.Name] != before.Facts[target.Name] {
		t.Errorf("a scan with Checked re-stat'ed %s", target.File)
	}
	r, err := scan.Files(context.Background(), m, scan.Options{Cache: c})
	if err != nil {
		t.Fatal(err)
	}
	assertCounts(t, "fresh stats", r, 1, 2)
	if r.Facts[target.Name] == before.Facts[target.Name] {
		t.Errorf("a fresh stat did not see %s change", target.File)
	}

	// Without a cache entry, the file is read now: hashed as read, and not
	// cached, since its stat no longer matches the manifest's.
	r, err = scan.Files(context.Background(), m, scan.Options{Checked: chk})
	if err != nil {
		t.Fatal(err)
	}
	if r.Facts[target.Name] == before.Facts[target.Name] {
		t.Errorf("hashing %s read the old content", target.File)
	}
	if r.Cache.Len() != 2 {
		t.Errorf("the cache to save has %d entries; want 2, without %s, which changed after its stat", r.Cache.Len(), target.File)
	}
}

// A scan whose every hash came from the cache, which holds nothing else,
// returns that cache as the one to save (the caller then skips the write);
// any file hashed, or an entry no longer used, gives a new cache.
func TestScanReturnsTheCacheItUsedWhole(t *testing.T) {
	m := cacheWorkspace(t, 3)
	for _, a := range m.Assets {
		age(t, a.Path)
	}
	scanWithCache(t, m, false)
	c, err := statcache.Load(statcache.PathFor(m.Path))
	if err != nil {
		t.Fatal(err)
	}
	run := func(m *manifest.Manifest) *scan.Result {
		t.Helper()
		r, err := scan.Files(context.Background(), m, scan.Options{Cache: c})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	if r := run(m); r.Cache != c || r.Cached != 3 {
		t.Errorf("warm scan: cached %d, returned the loaded cache: %v; want 3, true", r.Cached, r.Cache == c)
	}
	fewer := *m
	fewer.Assets = m.Assets[:2]
	if r := run(&fewer); r.Cache == c || r.Cache.Len() != 2 {
		t.Errorf("scan of 2 of the 3 cached files returned the loaded cache, or %d entries; want a new cache of 2", r.Cache.Len())
	}
	if err := os.WriteFile(m.Assets[0].Path, testenv.PNG(1000, 42), 0o644); err != nil {
		t.Fatal(err)
	}
	if r := run(m); r.Cache == c || r.Hashed != 1 {
		t.Errorf("after a change: hashed %d, returned the loaded cache: %v; want 1, false", r.Hashed, r.Cache == c)
	}
}

// The scan takes its clock as an input: the time it reads decides which
// files the stat cache it returns may vouch for next time (those modified
// before it, by more than statcache.RacySlack).
func TestScanClockIsAnInput(t *testing.T) {
	m := cacheWorkspace(t, 3)
	for _, tc := range []struct {
		name           string
		now            time.Time
		hashed, cached int
	}{
		{"a clock an hour ahead of the files", time.Now().Add(time.Hour), 0, 3},
		{"a clock before the files were written", time.Unix(1_000_000_000, 0), 3, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := scan.Files(context.Background(), m, scan.Options{Now: func() time.Time { return tc.now }})
			if err != nil {
				t.Fatal(err)
			}
			if !r.Cache.Reference().Equal(tc.now) {
				t.Fatalf("cache reference %v; want the clock's %v", r.Cache.Reference(), tc.now)
			}
			again, err := scan.Files(context.Background(), m, scan.Options{Cache: r.Cache})
			if err != nil {
				t.Fatal(err)
			}
			assertCounts(t, "the next scan", again, tc.hashed, tc.cached)
		})
	}
}
