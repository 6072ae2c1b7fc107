package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"

	"github.com/wxmedia/wxmedia/lockfile"
	"github.com/wxmedia/wxmedia/manifest"
	"github.com/wxmedia/wxmedia/pgstate"
	"github.com/wxmedia/wxmedia/planner"
	"github.com/wxmedia/wxmedia/scan"
	"github.com/wxmedia/wxmedia/statcache"
)

// workspace is a loaded manifest with its lockfile path.
type workspace struct {
	m        *manifest.Manifest
	lockPath string
	stderr   io.Writer // for warnings that must not fail the command
	// remote is the manifest's state backend; nil: the local lockfile.
	remote *pgstate.Backend
	// history keeps the local lockfile's past versions (nil with remote,
	// which keeps its own).
	history *lockfile.History
	// cache is the stat cache as read before the manifest's files were
	// checked: nil with -refresh-hashes, empty when there is none or it
	// cannot be used.
	cache *statcache.Cache
	// readOnly: the command takes no lock, so the lockfile was read while
	// the manifest's files were checked (prefetched), and the plan may use
	// the Stat the manifest check took instead of stat'ing every file again.
	readOnly   bool
	prefetched chan prefetch
	// checked looked at the manifest's files (the scan stage's view, which
	// trusts the stat cache) and keeps the Stat it took of each.
	checked scan.Checker
}

// manifestStats is the Checker whose Stats a plan may use (readOnly), or nil.
func (w *workspace) manifestStats() *scan.Checker {
	if !w.readOnly {
		return nil
	}
	return &w.checked
}

type prefetch struct {
	st  *lockfile.State
	err error
}

func (c *cli) loadWorkspace() (*workspace, error) { return c.openWorkspace(false) }

// loadReadOnlyWorkspace is loadWorkspace for a command that takes no lock
// and writes no state (plan): on a large tree, reading the local lockfile
// costs about as much as checking the manifest's files, so it runs
// alongside.
func (c *cli) loadReadOnlyWorkspace() (*workspace, error) { return c.openWorkspace(true) }

func (c *cli) openWorkspace(readOnly bool) (*workspace, error) {
	lp, err := c.defaultLockfile()
	if err != nil {
		return nil, err
	}
	// Once, for everything: every spelling of one lockfile shares one lock,
	// and a lockfile that is a link is written through.
	lp, err = lockfile.Resolve(lp)
	if err != nil {
		return nil, err
	}
	w := &workspace{lockPath: lp, stderr: c.stderr, readOnly: readOnly}
	if readOnly {
		// Speculative: a manifest with a state block reads its backend
		// instead, and this result is dropped.
		w.prefetched = make(chan prefetch, 1)
		go func() {
			st, err := lockfile.Load(lp)
			w.prefetched <- prefetch{st, err}
		}()
	}
	opts := manifest.Options{SkipCredentialFiles: c.noSecrets, Env: c.env}
	if !c.pf.refreshHashes {
		// The cache is a hint: one that cannot be read is rebuilt. It is
		// read while the manifest is parsed and its globs expanded, and
		// first needed once files are stat'ed.
		loaded := make(chan struct{})
		go func() {
			defer close(loaded)
			w.cache, _ = statcache.Load(statcache.PathFor(c.manifestPath))
		}()
		w.checked.Known = func(rel string, fi fs.FileInfo) bool {
			<-loaded
			return w.cache.Vouches(rel, fi)
		}
		defer func() { <-loaded }()
	}
	opts.Files = w.checked.Files
	opts.KeepPartial = c.validate.keepPartial
	m, err := manifest.LoadWith(c.manifestPath, opts)
	if m != nil {
		for _, wn := range m.Warnings {
			fmt.Fprintf(c.stderr, "Warning: %v\n", wn)
		}
	}
	if err != nil {
		if m != nil {
			// validate goes on checking what it can; see validateOptions.
			w.m = m
			return w, err
		}
		return nil, err
	}
	w.m = m
	if m.State != nil {
		if w.remote, err = pgstate.New(m.State); err != nil {
			return nil, err
		}
	} else if w.history, err = lockfile.HistoryFor(m.Dir, lp); err != nil {
		return nil, err
	}
	return w, nil
}

// planFlags are the options plan and apply share.
type planFlags struct {
	targets     stringList
	replace     stringList
	parallelism int
	// refreshHashes hashes every file, ignoring the stat cache.
	refreshHashes bool
}

// makePlan hashes the files and diffs them against st. A plan made before
// the lockfile exists records an empty lineage, so that a saved plan can
// tell "no lockfile yet" from "this lockfile".
func (w *workspace) makePlan(ctx context.Context, st *lockfile.State, exists bool, pf *planFlags) (*planner.Plan, error) {
	facts, err := w.scan(ctx, pf.refreshHashes)
	if err != nil {
		return nil, err
	}
	p, err := planner.Build(w.m, facts, st, planner.Options{Targets: pf.targets, Replace: pf.replace})
	if err != nil {
		return nil, err
	}
	w.warnUnmatched(st, pf)
	w.noteUnrecordedEndpoints(p)
	p.Environment = w.m.Env
	if !exists {
		p.Lockfile = planner.LockRef{}
	}
	return p, nil
}

// scan hashes the files, trusting the stat cache in .wxmedia/ beside the
// manifest unless refresh is set, and saves the updated cache. The cache is
// disposable: one that cannot be written costs a warning, never the command.
func (w *workspace) scan(ctx context.Context, refresh bool) (map[string]planner.FileFacts, error) {
	cache := w.cache
	if refresh {
		cache = nil
	}
	r, err := scan.Files(ctx, w.m, scan.Options{Cache: cache, RefreshHashes: refresh, Checked: w.manifestStats()})
	if r == nil {
		return nil, err
	}
	if w.stderr != nil {
		for _, warn := range scan.AudienceWarnings(w.m, r.Lines) {
			fmt.Fprintln(w.stderr, "Warning: "+warn)
		}
	}
	if r.Cache != cache {
		cachePath := statcache.PathFor(w.m.Path)
		serr := statcache.Save(cachePath, r.Cache)
		var le *lockfile.LinkError
		if errors.As(serr, &le) && w.stderr != nil {
			fmt.Fprintf(w.stderr, "Warning: not saving the stat cache: %v.\n", serr)
		} else if serr != nil && w.stderr != nil {
			fmt.Fprintf(w.stderr, "Warning: could not save the stat cache %s (%v); the next plan will hash every file again. Check that the directory is writable, or ignore this.\n", cachePath, serr)
		}
	}
	return r.Facts, err
}

// loadState reads the lockfile, or starts an empty one; exists tells which.
func (w *workspace) loadState() (st *lockfile.State, exists bool, err error) {
	st, err = w.loadExisting()
	if errors.Is(err, lockfile.ErrNotExist) {
		return lockfile.New(), false, nil
	}
	if err != nil {
		return nil, false, err
	}
	return st, true, nil
}

// lockfileExists reports whether the lockfile is on disk.
func (w *workspace) lockfileExists() bool {
	if w.remote != nil {
		return w.remote.Exists()
	}
	_, err := os.Stat(w.lockPath)
	return err == nil
}

// stringList is a repeatable string flag.
type stringList []string

func (s *stringList) String() string { return "" }

func (s *stringList) Set(v string) error {
	*s = append(*s, v)
	return nil
}

// warnUnmatched warns about -target and -replace patterns that name no
// asset in the manifest or the lockfile: a typo would otherwise plan nothing
// and exit 0.
func (w *workspace) warnUnmatched(st *lockfile.State, pf *planFlags) {
	if len(pf.targets) == 0 && len(pf.replace) == 0 {
		return
	}
	names := st.Names()
	for _, a := range w.m.Assets {
		names = append(names, a.Name)
	}
	for _, flag := range []struct {
		name string
		pats []string
	}{{"-target", pf.targets}, {"-replace", pf.replace}} {
		for _, p := range planner.Unmatched(flag.pats, names) {
			fmt.Fprintf(w.stderr, "Warning: %s %q matches no asset in %s or the lockfile; check the name (`wxmedia output` lists recorded assets)\n", flag.name, p, w.m.Path)
		}
	}
}

// noteUnrecordedEndpoints tells, once per plan, about lockfile entries
// written before endpoints were recorded: they are taken to come from
// their account's current endpoint, which the next apply records.
func (w *workspace) noteUnrecordedEndpoints(p *planner.Plan) {
	names := p.UnrecordedEndpoints()
	if len(names) == 0 || w.stderr == nil {
		return
	}
	shown := names
	if len(shown) > 5 {
		shown = append(shown[:5:5], fmt.Sprintf("and %d more", len(names)-5))
	}
	fmt.Fprintf(w.stderr, "Note: %d lockfile %s (%s) %s no endpoint, because an older wxmedia wrote %s; %s taken to come from %s account's current endpoint, and the next apply records it. From then on, switching an account's endpoint replaces its assets.\n",
		len(names), plural(len(names), "entry", "entries"), strings.Join(shown, ", "), plural(len(names), "has", "have"),
		plural(len(names), "it", "them"), plural(len(names), "it is", "they are"), plural(len(names), "its", "their"))
}
