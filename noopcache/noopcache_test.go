package noopcache_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/wxmedia/wxmedia/lockfile"
	"github.com/wxmedia/wxmedia/noopcache"
)

func record(i byte) noopcache.Record {
	return noopcache.Record{Lockfile: lockfile.Digest{i}, Manifest: [32]byte{1: i}, StatCache: [32]byte{2: i}, Key: [32]byte{31: i}, NoOp: uint32(i) * 1000}
}

// has: s has a record of r's lockfile, manifest and stat cache.
func has(s *noopcache.Set, r noopcache.Record) bool {
	return s.Has(&r.Lockfile, &r.Manifest, &r.StatCache)
}

func sample() *noopcache.Set {
	s := &noopcache.Set{}
	for i := byte(1); i <= 3; i++ {
		s.Add(record(i))
	}
	return s
}

// TestAddFindRoundTrip: records are found by lockfile and key together,
// the newest first, at most MaxRecords, one per key; the encoding gives
// back the same set.
func TestAddFindRoundTrip(t *testing.T) {
	s := sample()
	for i := byte(1); i <= 3; i++ {
		r := record(i)
		if got, ok := s.Find(r.Lockfile, r.Key); !ok || got != r {
			t.Errorf("Find(%d) = %+v, %v", i, got, ok)
		}
		if !has(s, r) || !s.Has(&r.Lockfile, &r.Manifest, nil) || !s.Has(nil, &r.Manifest, &r.StatCache) {
			t.Errorf("Has(%d) = false", i)
		}
		other := r
		other.Manifest[0]++
		if s.Has(&other.Lockfile, &other.Manifest, nil) || s.Has(nil, &other.Manifest, nil) {
			t.Errorf("Has(%d) with another manifest = true", i)
		}
		other = r
		other.StatCache[0]++
		if has(s, other) {
			t.Errorf("Has(%d) with another stat cache = true", i)
		}
	}
	// The key alone is not enough: a record is for one lockfile.
	if _, ok := s.Find(record(1).Lockfile, record(2).Key); ok {
		t.Error("Find matched a key recorded with another lockfile")
	}
	if s.Add(record(3)) {
		t.Error("adding the newest record again changed the set")
	}
	changed := record(1)
	changed.NoOp = 7
	if !s.Add(changed) {
		t.Error("a record with a new count for a known key did not change the set")
	}
	if got, _ := s.Find(changed.Lockfile, changed.Key); got.NoOp != 7 {
		t.Errorf("the key's record is %+v, want the newest", got)
	}
	for i := byte(10); i < 30; i++ {
		s.Add(record(i))
	}
	data, err := s.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	d, err := noopcache.Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	for i := byte(10); i < 30; i++ {
		r := record(i)
		_, ok := d.Find(r.Lockfile, r.Key)
		if want := i >= 30-noopcache.MaxRecords; ok != want {
			t.Errorf("record %d kept: %v, want %v (the newest %d)", i, ok, want, noopcache.MaxRecords)
		}
	}
	again, _ := d.MarshalBinary()
	if !bytes.Equal(again, data) {
		t.Error("decoding and encoding again changed the bytes")
	}
}

// TestDecodeRejectsDamage: any flipped bit, a truncation, another version
// or a count that does not fit is an error, never a record.
func TestDecodeRejectsDamage(t *testing.T) {
	good, _ := sample().MarshalBinary()
	for i := range good {
		bad := bytes.Clone(good)
		bad[i] ^= 0x10
		if _, err := noopcache.Decode(bad); err == nil {
			t.Errorf("byte %d flipped: decoded", i)
		}
	}
	for n := range len(good) {
		if _, err := noopcache.Decode(good[:n]); err == nil {
			t.Errorf("truncated to %d bytes: decoded", n)
		}
	}
	if _, err := noopcache.Decode(append(bytes.Clone(good), 0)); err == nil {
		t.Error("a trailing byte: decoded")
	}
	if _, err := noopcache.Decode([]byte("WXMSTAT\x00\x00\x02...........")); !errors.Is(err, noopcache.ErrForeign) {
		t.Errorf("a stat cache: %v, want ErrForeign", err)
	}
}

// TestLoadSave: Load always returns a usable set (empty for a missing,
// corrupt or non-regular file, without waiting on a FIFO), and neither Load
// nor Save goes through a linked .wxmedia.
func TestLoadSave(t *testing.T) {
	dir := t.TempDir()
	path := noopcache.PathFor(filepath.Join(dir, "wxmedia.yaml"))
	if want := filepath.Join(dir, ".wxmedia", "noop"); path != want {
		t.Fatalf("PathFor = %s, want %s", path, want)
	}
	if s, err := noopcache.Load(path); err == nil || has(s, record(1)) {
		t.Fatalf("missing: %v, want an empty set and the reason", err)
	}
	if err := os.Mkdir(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := noopcache.Save(path, sample()); err != nil {
		t.Fatal(err)
	}
	if s, err := noopcache.Load(path); err != nil || !has(s, record(2)) {
		t.Fatalf("Load after Save: %v", err)
	}
	if err := os.WriteFile(path, []byte("WXMNOOP\x00garbage"), 0o644); err != nil {
		t.Fatal(err)
	}
	if s, err := noopcache.Load(path); err == nil || has(s, record(2)) {
		t.Fatalf("corrupt: %v, want an empty set and the reason", err)
	}
	os.Remove(path)
	if err := syscall.Mkfifo(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := noopcache.Load(path); err == nil {
		t.Fatal("a FIFO was read")
	}

	// A record file that is a link (to a record elsewhere) is not read, and
	// Save replaces the link instead of writing through it.
	os.Remove(path)
	elsewhere := filepath.Join(t.TempDir(), "noop")
	if err := os.WriteFile(elsewhere, must(sample().MarshalBinary()), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(elsewhere, path); err != nil {
		t.Fatal(err)
	}
	if s, err := noopcache.Load(path); err == nil || has(s, record(2)) {
		t.Fatalf("read through a linked record file: %v", err)
	}
	if err := noopcache.Save(path, &noopcache.Set{}); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Lstat(path); err != nil || !fi.Mode().IsRegular() {
		t.Fatalf("Save left %v (%v), want a regular file in place of the link", fi, err)
	}
	if s, err := noopcache.Load(elsewhere); err != nil || !has(s, record(2)) {
		t.Fatalf("Save wrote through the link: %v", err)
	}

	// A .wxmedia that is a link (committed, say) is neither read nor
	// written through.
	outside := t.TempDir()
	linked := t.TempDir()
	if err := os.Symlink(outside, filepath.Join(linked, ".wxmedia")); err != nil {
		t.Fatal(err)
	}
	lpath := noopcache.PathFor(filepath.Join(linked, "wxmedia.yaml"))
	if err := noopcache.Save(lpath, sample()); err == nil {
		t.Fatal("saved through a linked .wxmedia")
	}
	if _, err := os.Stat(filepath.Join(outside, "noop")); err == nil {
		t.Fatal("a record was written outside the project")
	}
	if err := os.WriteFile(filepath.Join(outside, "noop"), must(sample().MarshalBinary()), 0o644); err != nil {
		t.Fatal(err)
	}
	if s, err := noopcache.Load(lpath); err == nil || has(s, record(2)) {
		t.Fatalf("read through a linked .wxmedia: %v", err)
	}
}

// TestKeyFraming: inputs are framed, so moving bytes from one input to the
// next, or renaming an input, makes another key.
func TestKeyFraming(t *testing.T) {
	sum := func(kv ...string) [32]byte {
		k, ok := noopcache.NewKey()
		if !ok {
			t.Fatal("the test binary has no identity")
		}
		for i := 0; i+1 < len(kv); i += 2 {
			k.AddString(kv[i], kv[i+1])
		}
		return k.Sum()
	}
	base := sum("a", "xy", "b", "z")
	for _, other := range [][32]byte{sum("a", "x", "b", "yz"), sum("a", "xy", "c", "z"), sum("a", "xy"), sum("ab", "xy", "b", "z")} {
		if other == base {
			t.Error("two different input sequences share a key")
		}
	}
	if sum("a", "xy", "b", "z") != base {
		t.Error("the same inputs give another key")
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// TestAddEachFraming: parts are framed, so moving bytes between parts, or
// a part into the next input, makes another key.
func TestAddEachFraming(t *testing.T) {
	sum := func(parts []string, next string) [32]byte {
		k, _ := noopcache.NewKey()
		k.AddEach("assets", len(parts), func(i int, b []byte) []byte { return append(b, parts[i]...) })
		k.AddString("next", next)
		return k.Sum()
	}
	base := sum([]string{"a\x00x", "b\x00y"}, "z")
	for _, other := range [][32]byte{sum([]string{"a\x00", "xb\x00y"}, "z"), sum([]string{"a\x00x", "b\x00"}, "yz"), sum([]string{"a\x00x"}, "z")} {
		if other == base {
			t.Error("two different part sequences share a key")
		}
	}
	// Many parts, spanning the flushes of the buffer.
	long := make([]string, 5000)
	for i := range long {
		long[i] = strings.Repeat("n", i%40)
	}
	first, again := sum(long, ""), sum(long, "")
	if first != again || first == sum(long[1:], "") {
		t.Error("keys of many parts are not a function of the parts")
	}
}
