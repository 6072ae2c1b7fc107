package statcache_test

import (
	"crypto/sha256"
	"os"
	"path/filepath"
	"testing"

	"github.com/wxmedia/wxmedia/statcache"
)

// TestDigest: a cache's digest is that of the file it was read from or
// last written to; a cache in no file (new, or changed by Put since) has
// none, so nothing can mistake it for one on disk.
func TestDigest(t *testing.T) {
	path := statcache.PathFor(filepath.Join(t.TempDir(), "wxmedia.yaml"))
	c := sample()
	if _, ok := c.Digest(); ok {
		t.Fatal("a new cache has a digest before it is saved")
	}
	if err := statcache.Save(path, c); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	want := sha256.Sum256(data)
	if got, ok := c.Digest(); !ok || got != want {
		t.Fatalf("saved cache: Digest = %x, %v; want the file's, %x", got, ok, want)
	}
	loaded, err := statcache.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if got, ok := loaded.Digest(); !ok || got != want {
		t.Fatalf("loaded cache: Digest = %x, %v; want the file's, %x", got, ok, want)
	}
	loaded.Put("media/c.png", statcache.Entry{})
	if _, ok := loaded.Digest(); ok {
		t.Fatal("a cache changed by Put still claims the digest of its file")
	}
	missing, _ := statcache.Load(filepath.Join(t.TempDir(), ".wxmedia", "cache"))
	if _, ok := missing.Digest(); ok {
		t.Fatal("the empty cache Load returns for a missing file has a digest")
	}
	var none *statcache.Cache
	if _, ok := none.Digest(); ok {
		t.Fatal("a nil cache has a digest")
	}
}
