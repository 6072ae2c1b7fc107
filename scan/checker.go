package scan

import (
	"io/fs"
	"maps"
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
	shared  bool                // infos was handed out by infosSeen
	// recorded is closed once every Stat so far is in infos: each Stat
	// records what it saw in the background, after the one before it, so
	// that the manifest check goes on meanwhile (nil: nothing pending).
	recorded chan struct{}
	// unvouched counts the files looked at that Known did not vouch for
	// (every file, when Known is nil), directories aside.
	unvouched int
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

// infosSeen returns the Stat seen of each file by relative path, for
// reading without a lock: the Checker writes to that map no more (a later
// look at files writes to a copy).
func (c *Checker) infosSeen() map[string]seenStat {
	c.wait()
	c.mu.Lock()
	defer c.mu.Unlock()
	c.shared = true
	return c.infos
}

// wait returns once every Stat so far is recorded.
func (c *Checker) wait() {
	c.mu.Lock()
	pending := c.recorded
	c.mu.Unlock()
	if pending != nil {
		<-pending
	}
}

// AllVouched reports whether Known vouched for every file looked at so far
// (directories a glob met aside): the stat cache then holds the content
// of each, as it was when the cache was written.
func (c *Checker) AllVouched() bool {
	c.wait()
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.unvouched == 0
}

// forget drops the Stats seen, once a scan has used them. A nil Checker
// has none.
func (c *Checker) forget() {
	if c == nil {
		return
	}
	c.wait()
	c.mu.Lock()
	defer c.mu.Unlock()
	c.infos, c.shared = nil, false
}

// recordingTree is an assetfile.Tree that tells its Checker what it saw.
type recordingTree struct {
	*assetfile.Tree
	c *Checker
}

// recordAsync is the number of files from which a Stat records what it
// saw in the background.
const recordAsync = 256

func (t *recordingTree) Stat(rel []string) []assetfile.Stat {
	out := t.Tree.Stat(rel)
	c := t.c
	c.mu.Lock()
	prev, done := c.recorded, make(chan struct{})
	c.recorded = done
	c.mu.Unlock()
	record := func() {
		defer close(done)
		if prev != nil {
			<-prev
		}
		c.mu.Lock()
		defer c.mu.Unlock()
		if c.infos == nil {
			c.infos = make(map[string]seenStat, len(rel))
		} else if c.shared {
			c.infos, c.shared = maps.Clone(c.infos), false
		}
		for i := range out {
			if out[i].Info != nil {
				c.infos[rel[i]] = seen(out[i].Info)
			}
			if !out[i].Vouched && !out[i].IsDir() {
				c.unvouched++
			}
		}
	}
	if len(rel) < recordAsync {
		record()
	} else {
		// The manifest reads out but does not change it.
		go record()
	}
	return out
}
