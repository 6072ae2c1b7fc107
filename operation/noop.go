package operation

import (
	"context"
	"crypto/sha256"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"sync/atomic"

	"github.com/wxmedia/wxmedia/debuglog"
	"github.com/wxmedia/wxmedia/lockfile"
	"github.com/wxmedia/wxmedia/noopcache"
	"github.com/wxmedia/wxmedia/planner"
	"github.com/wxmedia/wxmedia/statcache"
)

// The no-op shortcut (issue 15: a warm no-op plan close to `git status`).
// A plan that finds no changes records the digest of its inputs (package
// noopcache); a later plan whose inputs have that digest shows "No
// changes" without decoding the lockfile, scanning or diffing. The inputs
// are read anyway — the manifest parsed and every file checked, the
// lockfile's bytes hashed on the other core instead of decoded — so a
// change to any of them is seen as surely as the full plan sees it.

// noopProbe is the no-op record and the digests of the lockfile and the
// manifest, read in the background while the manifest is checked. They
// only tell early that no record can match (the lockfile is then decoded
// at once, alongside the check); whether one does is NoOpPlan's to say.
type noopProbe struct {
	path   string // the record file
	miss   func() // run, once, when no record can match
	missed atomic.Bool
	// Set once read is closed:
	read     chan struct{}
	set      *noopcache.Set
	manifest [32]byte
	// cacheSeen is closed once cacheLoaded was called.
	cacheSeen chan struct{}
	// Set once done is closed:
	done chan struct{}
	lock lockfile.Digest
	ok   bool // lock is the settled lockfile's, manifest the manifest's
}

// probeNoOp starts reading the record at path and the digests of the
// manifest mp and the lockfile lp; miss runs, in the background, once no
// record can match.
func probeNoOp(path, lp, mp string, miss func()) *noopProbe {
	ctx, stop := context.WithCancel(context.Background())
	n := &noopProbe{path: path, read: make(chan struct{}), cacheSeen: make(chan struct{}), done: make(chan struct{})}
	n.miss = func() {
		if n.missed.CompareAndSwap(false, true) {
			stop()
			miss()
		}
	}
	go func() {
		defer close(n.done)
		defer stop()
		noopcache.NewKey() // the executable's identity, found here off the plan's path
		n.set, _ = noopcache.Load(path)
		data, err := os.ReadFile(mp)
		n.manifest = sha256.Sum256(data)
		close(n.read)
		if err != nil || !n.set.Has(nil, &n.manifest, nil) {
			n.miss()
			return
		}
		// The stat cache, read meanwhile, may already rule every record
		// out: then the lockfile is decoded, not hashed, and sooner.
		<-n.cacheSeen
		d, err := lockfile.ReadDigest(ctx, lp)
		n.lock, n.ok = d, err == nil
		if !n.ok || !n.set.Has(&n.lock, &n.manifest, nil) {
			n.miss()
		}
	}()
	return n
}

// cacheLoaded is told the stat cache's digest (ok false: none) once it is
// read.
func (n *noopProbe) cacheLoaded(sum [32]byte, ok bool) {
	defer close(n.cacheSeen)
	<-n.read
	if !ok || !n.set.Has(nil, &n.manifest, &sum) {
		n.miss()
	}
}

// mayAnswer waits for the probe and reports whether a record may match.
func (n *noopProbe) mayAnswer() bool {
	<-n.done
	return n.ok && !n.missed.Load()
}

// NoOpPlan returns the plan (by its summary alone: planner.NoChanges) when
// the workspace's inputs are exactly those of a recorded plan without
// changes; ok is false otherwise, and the caller plans in full. It needs
// LoadArgs.NoOpShortcut and answers only a plan of everything (no -target,
// -replace or -refresh-hashes) from the local lockfile.
func (w *Workspace) NoOpPlan(pa *PlanArgs) (p *planner.Plan, ok bool) {
	if w.noop == nil || w.Remote() || !plainPlan(pa) || !w.noop.mayAnswer() {
		return nil, false
	}
	// Every file must be vouched for by the cache the key names: its
	// content is then the one that cache recorded.
	if !w.checked.AllVouched() {
		debuglog.Default().Note("plan", "shortcut", "miss", "reason", "a file changed since the stat cache was written")
		return nil, false
	}
	key, _, ok := w.noopKey(w.noop.lock, w.cache)
	if !ok {
		return nil, false
	}
	r, ok := w.noop.set.Find(w.noop.lock, key)
	if !ok {
		debuglog.Default().Note("plan", "shortcut", "miss", "reason", "no record of these inputs")
		return nil, false
	}
	debuglog.Default().Note("plan", "shortcut", "hit", "reason", "the inputs of a recorded plan without changes", "record", w.noop.path)
	return planner.NoChanges(w.M.Env, int(r.NoOp)), true
}

// plainPlan: pa plans everything, trusting the stat cache.
func plainPlan(pa *PlanArgs) bool {
	return len(pa.Targets) == 0 && len(pa.Replace) == 0 && !pa.RefreshHashes
}

// recordNoOp records p, made with pa from the lockfile prefetched and the
// stat cache c as saved, when it has no changes and printed nothing: a
// later plan of the same inputs may then use NoOpPlan. Failing to record
// costs only that, so it is silent.
func (w *Workspace) recordNoOp(p *planner.Plan, pa *PlanArgs, c *statcache.Cache, loggedBefore int64) {
	if w.noop == nil || w.Remote() || !plainPlan(pa) || p.HasChanges() || !w.decodedOK || w.logged.n.Load() != loggedBefore {
		return
	}
	key, cacheSum, ok := w.noopKey(w.decoded, c)
	if !ok {
		return
	}
	// Nothing reads the set any more once both are done.
	<-w.noop.done
	<-w.noop.cacheSeen
	if w.noop.set.Add(noopcache.Record{Lockfile: w.decoded, Manifest: w.M.SHA256, StatCache: cacheSum, Key: key, NoOp: uint32(p.Summary.NoOp)}) {
		_ = noopcache.Save(w.noop.path, w.noop.set)
	}
}

// noopKey is the digest of the plan's inputs with the lockfile whose
// digest is lock and the stat cache c, which holds the content of every
// asset file (the plan that records took its facts from c as it saved it;
// NoOpPlan checks that c vouches for every file); ok is false when they
// cannot be known: c is in no file, or the executable is unknown.
func (w *Workspace) noopKey(lock lockfile.Digest, c *statcache.Cache) (key, cacheSum [32]byte, ok bool) {
	cacheSum, ok = c.Digest()
	if !ok {
		return key, cacheSum, false
	}
	k, ok := noopcache.NewKey()
	if !ok {
		return key, cacheSum, false
	}
	manifestPath, err1 := filepath.Abs(w.M.Path)
	lockPath, err2 := filepath.Abs(w.LockPath)
	if err1 != nil || err2 != nil {
		return key, cacheSum, false
	}
	k.AddString("manifest", manifestPath)
	k.Add("manifest sha256", w.M.SHA256[:])
	k.AddString("environment", w.M.Env)
	k.AddString("no-secrets", strconv.FormatBool(w.noSecrets))
	k.AddString("lockfile", lockPath)
	k.Add("lockfile sha256", lock[:])
	k.Add("stat cache sha256", cacheSum[:])
	// The files the globs matched, and the names they give.
	k.AddEach("assets", len(w.M.Assets), func(i int, b []byte) []byte {
		a := w.M.Assets[i]
		return append(append(append(b, a.Name...), 0), a.File...)
	})
	return k.Sum(), cacheSum, true
}

// countingWriter counts the bytes written through it.
type countingWriter struct {
	w io.Writer
	n atomic.Int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	c.n.Add(int64(len(p)))
	return c.w.Write(p)
}
