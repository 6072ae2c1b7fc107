package scan

import (
	"io/fs"
	"sync"
	"time"

	"github.com/wxmedia/wxmedia/assetfile"
	"github.com/wxmedia/wxmedia/manifest"
	"github.com/wxmedia/wxmedia/statcache"
)

// Checker is the scan stage's view of the asset files while the manifest
// is checked (manifest.Options.Files): it trusts the stat cache to vouch
// that a file is readable, and remembers the stat data it saw, so that a
// scan right after (Options.Checked) need not stat every file again.
type Checker struct {
	// Known, when set, vouches that the file at rel, whose Stat is fi, is
	// readable as it is now (statcache.Cache.Vouches: the cache read it
	// with the same size, mtime, ctime and inode, and a change of mode,
	// owner or ACL would have moved its ctime). It is called concurrently.
	Known func(rel string, fi fs.FileInfo) bool
	// Now is the clock, read once before the first file is looked at;
	// nil means time.Now.
	Now func() time.Time

	started time.Time // when the files started being looked at
	mu      sync.Mutex
	infos   map[string]seenStat // Stat (symlinks followed) by relative path
}

// seenStat is what the scan needs of a Stat the manifest check took: kept
// instead of the fs.FileInfo, which on Linux is five times the size and
// full of pointers for the collector to follow (21 MB for 100,000 files).
type seenStat struct {
	mode fs.FileMode
	st   statcache.Stat
}

func seen(fi fs.FileInfo) seenStat {
	return seenStat{mode: fi.Mode(), st: statcache.FromFileInfo(fi)}
}

// Files returns the view of the manifest directory dir; pass the method
// as manifest.Options.Files.
func (c *Checker) Files(dir string) manifest.Files {
	now := c.Now
	if now == nil {
		now = time.Now
	}
	c.started = now()
	return &recordingTree{Tree: assetfile.NewTree(dir, c.Known), c: c}
}

// info returns the Stat seen of the file rel, if any.
func (c *Checker) info(rel string) (seenStat, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	s, ok := c.infos[rel]
	return s, ok
}

// forget drops the Stats seen, once a scan has used them. A nil Checker
// has none.
func (c *Checker) forget() {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.infos = nil
}

// recordingTree is an assetfile.Tree that tells its Checker what it saw.
type recordingTree struct {
	*assetfile.Tree
	c *Checker
}

func (t *recordingTree) Stat(rel []string) []assetfile.Stat {
	out := t.Tree.Stat(rel)
	t.c.mu.Lock()
	defer t.c.mu.Unlock()
	if t.c.infos == nil {
		t.c.infos = make(map[string]seenStat, len(rel))
	}
	for i := range out {
		if out[i].Info != nil {
			t.c.infos[rel[i]] = seen(out[i].Info)
		}
	}
	return out
}
