package lockfile

import (
	"context"
	"crypto/sha256"
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// TestLoadDigest: the digest is that of the bytes decoded, and it is
// vouched for (ok) only when they alone are the state: not with a journal
// folded in.
func TestLoadDigest(t *testing.T) {
	path := filepath.Join(t.TempDir(), "wxmedia.lock.json")
	seedLockfile(t, path)
	s, d, ok, err := LoadDigest(path)
	if err != nil || !ok {
		t.Fatalf("LoadDigest = %v, %v", ok, err)
	}
	if want := Digest(sha256.Sum256(must(os.ReadFile(path)))); d != want {
		t.Errorf("digest %x, want the file's %x", d, want)
	}
	if s.Assets["seed"] == nil || s.Serial != 7 {
		t.Errorf("state %+v, want the seeded one", s)
	}
	if err := os.WriteFile(JournalPath(path), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, ok, err := LoadDigest(path); err != nil || ok {
		t.Errorf("with a journal beside: ok %v, %v; want a state but no digest to trust", ok, err)
	}
	if _, _, _, err := LoadDigest(filepath.Join(t.TempDir(), "missing.json")); !errors.Is(err, ErrNotExist) {
		t.Errorf("missing lockfile: %v, want ErrNotExist", err)
	}
}

// TestReadDigest: the digest of a settled lockfile is its bytes'; one with
// a journal beside it, before or after the read, or replaced or rewritten
// while being read, is refused, so that nothing trusts a digest of bytes
// that were not the state.
func TestReadDigest(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "wxmedia.lock.json")
	seedLockfile(t, path)
	want := Digest(sha256.Sum256(must(os.ReadFile(path))))
	if d, err := ReadDigest(context.Background(), path); err != nil || d != want {
		t.Fatalf("ReadDigest = %x, %v; want %x", d, err, want)
	}
	if _, err := ReadDigest(context.Background(), filepath.Join(dir, "missing.json")); !errors.Is(err, ErrNotExist) {
		t.Errorf("missing lockfile: %v, want ErrNotExist", err)
	}
	fifo := filepath.Join(dir, "fifo.json")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadDigest(context.Background(), fifo); !errors.Is(err, ErrUnsettled) {
		t.Errorf("a FIFO: %v, want ErrUnsettled (and no hang)", err)
	}
	other := filepath.Join(dir, "other.json")
	for name, during := range map[string]func(){
		"journal before":  nil,
		"journal appears": func() { must(0, os.WriteFile(JournalPath(path), nil, 0o644)) },
		"replaced by rename": func() {
			seedLockfile(t, other)
			must(0, os.Rename(other, path))
		},
		"rewritten in place": func() {
			// Same bytes, same mtime: only the ctime tells.
			data := must(os.ReadFile(path))
			fi := must(os.Stat(path))
			time.Sleep(25 * time.Millisecond) // past the ctime clock's tick
			must(0, os.WriteFile(path, data, 0o644))
			must(0, os.Chtimes(path, fi.ModTime(), fi.ModTime()))
		},
	} {
		t.Run(name, func(t *testing.T) {
			os.Remove(JournalPath(path))
			seedLockfile(t, path)
			if during == nil {
				must(0, os.WriteFile(JournalPath(path), nil, 0o644))
			}
			afterDigestRead = during
			defer func() { afterDigestRead = nil; os.Remove(JournalPath(path)) }()
			if _, err := ReadDigest(context.Background(), path); !errors.Is(err, ErrUnsettled) {
				t.Errorf("ReadDigest = %v, want ErrUnsettled", err)
			}
		})
	}
}

// TestReadDigestStops: a cancelled read stops with the context's error.
func TestReadDigestStops(t *testing.T) {
	path := filepath.Join(t.TempDir(), "wxmedia.lock.json")
	seedLockfile(t, path)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := ReadDigest(ctx, path); !errors.Is(err, context.Canceled) {
		t.Fatalf("ReadDigest = %v, want context.Canceled", err)
	}
}
