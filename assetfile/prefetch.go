package assetfile

import (
	"io/fs"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/bmatcuk/doublestar/v4"
)

// StatPrefetchMax is the most files one Glob stats ahead, for the Stat
// that follows it (0: none). It is a variable for tests and benchmarks.
//
// Each file stat'ed ahead is one the glob matches (see prefetch), which
// Stat would stat anyway, so no bound per directory is needed against
// waste (a directory of files that cannot match costs no system call);
// the total bounds what a Glob whose Stat never comes (a glob error, a
// caller that only globs) holds and did for nothing: 100,000 files, the
// largest tree the project plans for (issue 15), ≈ 25 MB of Stats that a
// Stat of those matches allocates anyway.
var StatPrefetchMax = 100_000

// prefetchWorkers is the number of goroutines that stat ahead: the other
// processors than the glob's (a variable for tests).
var prefetchWorkers = defaultPrefetchWorkers

func defaultPrefetchWorkers() int { return max(1, runtime.GOMAXPROCS(0)-1) }

// Set by tests: globListed is called with each directory a glob lists on
// Linux, before it is handed to the prefetch; prefetchDrain makes Glob
// wait until every directory queued is stat'ed, so that what was stat'ed
// ahead does not depend on timing.
var (
	globListed    func(rel string)
	prefetchDrain bool
)

// prefetchQueue is the most directories waiting to be stat'ed ahead; the
// glob does not wait for the workers: a directory listed while the queue
// is full is left to Stat.
const prefetchQueue = 1024

// prefetch stats the files of a glob's directories while the glob goes on
// listing more, on other goroutines, so that when the glob returns most of
// the Stat of its matches is done (the glob lists directories on one
// goroutine, and a warm plan's glob and stat otherwise run one after the
// other).
//
// Only files the glob will match are stat'ed: the directory (relative)
// must match the pattern's directory part, the base name its last segment,
// and the entry must not be a directory. A directory the glob merely walks
// past (node_modules under `**`, whose files do not match) costs one
// pattern match per entry on a worker and no system call.
//
// What a worker computes for a file is what Stat computes (the same
// Tree.statOne, relative to the same directory, resolved by the same
// realParent cache), only some milliseconds earlier, during the Glob call.
// That changes no guarantee: Stat's answer was already a snapshot that the
// tree may change after, and a file changed between the early stat and
// Stat is one changed just after Stat. What holds against such a change
// holds the same: apply opens each file through Open (an os.Root at the
// manifest directory, refusing symlinks that lead out) and hashes the
// bytes it sends, refusing an upload whose bytes are not the planned ones
// (providers.FileChangedError); the next Stat sees the change. A symlink
// met is resolved as Stat resolves it, and a directory swapped for a
// symlink before the glob lists it is resolved as such (realParent lstats
// it); the stats of one directory all come from one open of it, as in
// Stat. A directory swapped between its resolution and its open is the
// window Stat has between its grouping and its workers, not a new one.
type prefetch struct {
	t *Tree
	// dirPat and basePat split the pattern at its last '/': a file rel
	// is stat'ed ahead when its directory matches dirPat ("" for the
	// tree's top directory) and its base name basePat.
	dirPat, basePat string
	queue           chan *preDir
	stop            atomic.Bool
	left            atomic.Int64 // files that may still be stat'ed ahead
	wg              sync.WaitGroup
	// mu guards the Tree's realDirs and resolved caches while workers run.
	mu sync.Mutex
	// dirs are the directories queued, by the glob's goroutine; byDir
	// indexes them by rel once the workers are done.
	dirs  []*preDir
	byDir map[string]*preDir
}

// preDir is one directory's files stat'ed ahead: names[k] (sorted, as
// the glob lists them) is the base name of the file whose Stat is
// stats[k].
type preDir struct {
	// rel is the directory as the glob names it, clean, but "" for the
	// top directory ("."): "./x" is not how the glob names x.
	rel   string
	abs   string // the directory's absolute path
	ents  []fs.DirEntry
	names []string
	stats []Stat
	next  int // Stat's cursor into names
}

// startPrefetch starts the workers of a Glob of pattern, or returns nil
// where nothing is stat'ed ahead: on systems other than Linux (only its
// glob file system hands its listings over), for a tree path that needs
// cleaning, and for a pattern whose last segment cannot be split off or
// matches across directories.
func (t *Tree) startPrefetch(pattern string) *prefetch {
	if !globPrefetch || StatPrefetchMax <= 0 || !t.cleanDir {
		return nil
	}
	p := &prefetch{t: t, basePat: pattern}
	if i := strings.LastIndexByte(pattern, '/'); i >= 0 {
		p.dirPat, p.basePat = pattern[:i], pattern[i+1:]
	}
	if strings.Contains(p.basePat, "**") || !doublestar.ValidatePattern(p.dirPat) || !doublestar.ValidatePattern(p.basePat) {
		return nil
	}
	p.left.Store(int64(StatPrefetchMax))
	p.queue = make(chan *preDir, prefetchQueue)
	// One goroutine lists (the caller's); the others stat. Stat's own
	// bound of 2×GOMAXPROCS goroutines holds, and none outlives Glob.
	for range prefetchWorkers() {
		p.wg.Go(func() {
			for d := range p.queue {
				if !p.stop.Load() {
					p.stat(d)
				}
			}
		})
	}
	return p
}

// listed is called by the glob (on its goroutine) with each directory it
// read: queue the directory if its files can match.
func (p *prefetch) listed(rel string, ents []fs.DirEntry) {
	if len(ents) == 0 || p.left.Load() <= 0 {
		return
	}
	name := rel
	if rel == "." {
		name = ""
	} else if p.t.abs(rel) != p.t.dir+"/"+rel {
		return // not clean: Stat would not find it
	}
	if ok, err := doublestar.Match(p.dirPat, name); !ok || err != nil {
		return
	}
	d := &preDir{rel: name, abs: p.t.dir, ents: ents}
	if name != "" {
		d.abs = p.t.dir + "/" + name
	}
	select {
	case p.queue <- d:
		p.dirs = append(p.dirs, d)
	default:
	}
}

// stat stats the files of d that the glob will match (on a worker).
func (p *prefetch) stat(d *preDir) {
	t := p.t
	var files []string
	for _, e := range d.ents {
		if e.IsDir() {
			continue
		}
		if ok, _ := doublestar.Match(p.basePat, e.Name()); ok {
			files = append(files, e.Name())
		}
	}
	if len(files) == 0 || p.left.Add(-int64(len(files))) < 0 {
		return
	}
	dir, prefix := d.abs, ""
	if d.rel != "" {
		prefix = d.rel + "/"
	}
	p.mu.Lock()
	parent := t.realParent(dir)
	p.mu.Unlock()
	ld := openLstatDir(dir)
	defer ld.close()
	stats := make([]Stat, len(files))
	infos := make([]statInfo, len(files))
	for k, name := range files {
		if p.stop.Load() {
			files = files[:k]
			break
		}
		t.statOne(stats, k, ld, dir, parent, prefix+name, dir+"/"+name, &infos[k])
	}
	d.names, d.stats = files, stats[:len(files)]
}

// finish stops the workers once the glob is done, and returns when
// they have: what they have not stat'ed yet is left to Stat.
func (p *prefetch) finish() {
	if !prefetchDrain {
		p.stop.Store(true)
	}
	close(p.queue)
	p.wg.Wait()
	p.byDir = make(map[string]*preDir, len(p.dirs))
	for _, d := range p.dirs {
		d.ents = nil
		if len(d.names) > 0 {
			p.byDir[d.rel] = d
		}
	}
	p.dirs = nil
}

// count is the number of files stat'ed ahead.
func (p *prefetch) count() int {
	n := 0
	for _, d := range p.byDir {
		n += len(d.names)
	}
	return n
}

// take returns the Stat of the file rel stat'ed ahead, if it was. rel is
// then clean (its directory is as the glob named it, checked clean when
// listed, and its base name one of the listing's), so it needs none of
// Stat's cleaning and joining.
func (p *prefetch) take(rel string, last **preDir) (Stat, bool) {
	dir, name := "", rel
	if i := strings.LastIndexByte(rel, '/'); i >= 0 {
		dir, name = rel[:i], rel[i+1:]
	}
	d := *last
	if d == nil || d.rel != dir {
		d = p.byDir[dir]
		*last = d
		if d == nil {
			return Stat{}, false
		}
	}
	// Stat's files come sorted, as the glob listed them (by bytes): the
	// cursor finds each in turn; anything else is searched for.
	k := d.next
	if k >= len(d.names) || d.names[k] != name {
		var ok bool
		if k, ok = slices.BinarySearch(d.names, name); !ok {
			return Stat{}, false
		}
	}
	d.next = k + 1
	return d.stats[k], true
}
