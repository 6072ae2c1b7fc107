package operation

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"

	"github.com/wxmedia/wxmedia/lockfile"
	"github.com/wxmedia/wxmedia/manifest"
	"github.com/wxmedia/wxmedia/noopcache"
	"github.com/wxmedia/wxmedia/pgstate"
	"github.com/wxmedia/wxmedia/scan"
	"github.com/wxmedia/wxmedia/statcache"
)

// LoadArgs says which workspace to load: the global options of every
// command that reads a manifest.
type LoadArgs struct {
	ManifestPath string
	LockfilePath string // -lockfile; "" for the default beside the manifest
	Env          string // -env or WXMEDIA_ENV
	// NoSecrets skips loading key and certificate files.
	NoSecrets bool
	// KeepPartial returns what could be loaded with the error (validate).
	KeepPartial bool
	// RefreshHashes ignores the stat cache.
	RefreshHashes bool
	// NoOpShortcut: the command can show a plan without changes by its
	// summary (plan, printed for people), so NoOpPlan may answer without
	// the lockfile being decoded (LoadReadOnly only).
	NoOpShortcut bool
	// Log receives warnings that must not fail the command.
	Log io.Writer
}

// Workspace is a loaded manifest with its lockfile path and state backend.
type Workspace struct {
	M        *manifest.Manifest
	LockPath string
	log      io.Writer
	state    StateBackend
	// cache is the stat cache as read before the manifest's files were
	// checked: nil with -refresh-hashes, empty when there is none or it
	// cannot be used.
	cache *statcache.Cache
	// readOnly: the command takes no lock, so the lockfile was read while
	// the manifest's files were checked (prefetched), and the plan may use
	// the Stat the manifest check took instead of stat'ing every file again.
	readOnly   bool
	prefetched chan prefetch
	// startPrefetch starts reading the lockfile into prefetched, once.
	startPrefetch func()
	// decoded is the digest of the lockfile bytes prefetched, when they
	// alone are the state (see lockfile.LoadDigest).
	decoded   lockfile.Digest
	decodedOK bool
	// noop, when set, is the no-op record of the manifest directory and
	// the lockfile's digest, read alongside the manifest check (see
	// NoOpPlan); noSecrets is part of what a record is keyed by.
	noop      *noopProbe
	noSecrets bool
	// logged counts what was written to log.
	logged *countingWriter
	// checked looked at the manifest's files (the scan stage's view, which
	// trusts the stat cache) and keeps the Stat it took of each.
	checked scan.Checker
}

// manifestStats is the Checker whose Stats a plan may use (readOnly), or nil.
func (w *Workspace) manifestStats() *scan.Checker {
	if !w.readOnly {
		return nil
	}
	return &w.checked
}

// prefetchLate is the lockfile size from which plan reads the lockfile
// once the manifest's files are checked, alongside the scan, rather than
// alongside the check: the check's own memory and a large lockfile's were
// together the peak of a cold plan of 100,000 recorded files (issue 15;
// peak RSS 153-155 MB against 159-160 MB, and 168-181 MB against 189-191
// MB for the warm plan, with less CPU in the collector: BENCHMARKS.md,
// session 4). A smaller lockfile (4 MB at 10,000 entries) is read in a few
// milliseconds that the check still hides.
var prefetchLate int64 = 16 << 20 // a variable for tests

type prefetch struct {
	st     *lockfile.State
	digest lockfile.Digest
	ok     bool // digest is of the state's bytes alone
	err    error
}

// Load loads the workspace a.
func Load(a LoadArgs) (*Workspace, error) { return open(a, false) }

// LoadReadOnly is Load for a command that takes no lock and writes no
// state (plan): on a large tree, reading the local lockfile costs about as
// much as checking the manifest's files, so it runs alongside.
func LoadReadOnly(a LoadArgs) (*Workspace, error) { return open(a, true) }

func open(a LoadArgs, readOnly bool) (*Workspace, error) {
	if a.Log == nil {
		a.Log = io.Discard
	}
	logged := &countingWriter{w: a.Log}
	a.Log = logged
	lp, err := DefaultLockfile(a.ManifestPath, a.LockfilePath, a.Env)
	if err != nil {
		return nil, err
	}
	// Once, for everything: every spelling of one lockfile shares one lock,
	// and a lockfile that is a link is written through.
	lp, err = lockfile.Resolve(lp)
	if err != nil {
		return nil, err
	}
	w := &Workspace{LockPath: lp, log: a.Log, logged: logged, readOnly: readOnly, noSecrets: a.NoSecrets}
	var noopMiss func() // the shortcut cannot answer: decode now
	if readOnly {
		// Speculative: a manifest with a state block reads its backend
		// instead, and this result is dropped.
		w.prefetched = make(chan prefetch, 1)
		// The decoded bytes' digest is only wanted to record a plan
		// without changes (see recordNoOp); hashing them costs ~0.55 ms
		// per MB.
		recording := a.NoOpShortcut && !a.RefreshHashes
		var once sync.Once
		start := func() {
			once.Do(func() {
				go func() {
					if !recording {
						st, err := lockfile.Load(lp)
						w.prefetched <- prefetch{st: st, err: err}
						return
					}
					st, d, ok, err := lockfile.LoadDigest(lp)
					w.prefetched <- prefetch{st, d, ok, err}
				}()
			})
		}
		w.startPrefetch = start
		late := false
		if fi, err := os.Stat(lp); err == nil && fi.Size() >= prefetchLate {
			late = true
		}
		switch {
		case recording:
			// Decoded only once the shortcut is known to fail: no
			// record of this lockfile, or a file the stat cache does
			// not vouch for (or on demand, LoadExisting).
			noopMiss = func() {
				if !late {
					start()
				}
			}
			w.noop = probeNoOp(noopcache.PathFor(a.ManifestPath), lp, a.ManifestPath, noopMiss)
			if late {
				defer func() {
					if !w.noop.mayAnswer() {
						start()
					}
				}()
			}
		case late:
			// Started once the manifest's files are checked (or on any
			// return before that), alongside the scan.
			defer start()
		default:
			start()
		}
	}
	opts := manifest.Options{SkipCredentialFiles: a.NoSecrets, Env: a.Env}
	if !a.RefreshHashes {
		// The cache is a hint: one that cannot be read is rebuilt. It is
		// read while the manifest is parsed and its globs expanded, and
		// first needed once files are stat'ed.
		loaded := make(chan struct{})
		go func() {
			w.cache, _ = statcache.Load(statcache.PathFor(a.ManifestPath))
			if w.noop == nil {
				close(loaded)
				return
			}
			// Here, off the plan's path, before anyone reads the cache.
			sum, ok := w.cache.Digest()
			close(loaded)
			w.noop.cacheLoaded(sum, ok)
		}()
		w.checked.Known = func(rel string, fi fs.FileInfo) bool {
			<-loaded
			ok := w.cache.Vouches(rel, fi)
			if !ok && noopMiss != nil {
				noopMiss()
			}
			return ok
		}
		defer func() { <-loaded }()
	}
	opts.Files = w.checked.Files
	opts.KeepPartial = a.KeepPartial
	m, err := manifest.LoadWith(a.ManifestPath, opts)
	if m != nil {
		for _, wn := range m.Warnings {
			fmt.Fprintf(a.Log, "Warning: %v\n", wn)
		}
	}
	if err != nil {
		if m != nil {
			// validate goes on checking what it can.
			w.M = m
			return w, err
		}
		return nil, err
	}
	w.M = m
	if m.State != nil {
		remote, err := pgstate.New(m.State)
		if err != nil {
			return nil, err
		}
		w.state = remoteBackend{remote}
		return w, nil
	}
	history, err := lockfile.HistoryFor(m.Dir, lp)
	if err != nil {
		return nil, err
	}
	w.state = localBackend{&lockfile.FileBackend{Path: lp, History: history}}
	return w, nil
}

// envPattern is the rule for environment names (as for account and asset
// names): they become part of a lockfile name.
var envPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]*$`)

// DefaultLockfile derives the lockfile from the flags: lockfilePath as
// given; otherwise NAME.lock.json beside the manifest NAME.yaml
// (wxmedia.yaml → wxmedia.lock.json, wxmedia.prod.yaml →
// wxmedia.prod.lock.json), with ".ENV" before ".lock.json" when an
// environment is selected.
func DefaultLockfile(manifestPath, lockfilePath, env string) (string, error) {
	if env != "" && !envPattern.MatchString(env) {
		return "", fmt.Errorf("environment %q (from -env or WXMEDIA_ENV) is not a valid name: use letters, digits, '_', '.' and '-', starting with a letter or digit", env)
	}
	if lockfilePath != "" {
		return lockfilePath, nil
	}
	base := filepath.Base(manifestPath)
	for _, ext := range []string{".yaml", ".yml"} {
		if strings.HasSuffix(strings.ToLower(base), ext) {
			base = base[:len(base)-len(ext)]
			break
		}
	}
	if env != "" {
		base += "." + env
	}
	return filepath.Join(filepath.Dir(manifestPath), base+".lock.json"), nil
}

// envLabel names an environment in messages.
func envLabel(env string) string {
	if env == "" {
		return "no environment"
	}
	return "environment " + env
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
