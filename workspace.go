package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/wxmedia/wxmedia/lockfile"
	"github.com/wxmedia/wxmedia/manifest"
	"github.com/wxmedia/wxmedia/planner"
	"github.com/wxmedia/wxmedia/statcache"
)

// workspace is a loaded manifest with its lockfile path.
type workspace struct {
	m        *manifest.Manifest
	lockPath string
	stderr   io.Writer // for warnings that must not fail the command
}

func (c *cli) loadWorkspace() (*workspace, error) {
	m, err := manifest.Load(c.manifestPath)
	if err != nil {
		return nil, err
	}
	lp := c.lockfilePath
	if lp == "" {
		lp = filepath.Join(filepath.Dir(c.manifestPath), "wxmedia.lock.json")
	}
	return &workspace{m: m, lockPath: lp, stderr: c.stderr}, nil
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
	if !exists {
		p.Lockfile = planner.LockRef{}
	}
	return p, nil
}

// scan hashes the files, trusting the stat cache in .wxmedia/ beside the
// manifest unless refresh is set, and saves the updated cache. The cache is
// disposable: one that cannot be read is rebuilt, and one that cannot be
// written costs a warning, never the command.
func (w *workspace) scan(ctx context.Context, refresh bool) (map[string]planner.FileFacts, error) {
	cachePath := statcache.PathFor(w.m.Path)
	var cache *statcache.Cache
	if !refresh {
		cache, _ = statcache.Load(cachePath)
	}
	r, err := planner.ScanFiles(ctx, w.m, planner.ScanOptions{Cache: cache, RefreshHashes: refresh})
	if r == nil {
		return nil, err
	}
	if r.Hashed > 0 || r.Cache.Len() != cache.Len() {
		if serr := statcache.Save(cachePath, r.Cache); serr != nil && w.stderr != nil {
			fmt.Fprintf(w.stderr, "Warning: could not save the stat cache %s (%v); the next plan will hash every file again. Check that the directory is writable, or ignore this.\n", cachePath, serr)
		}
	}
	return r.Facts, err
}

// loadState reads the lockfile, or starts an empty one; exists tells which.
func (w *workspace) loadState() (st *lockfile.State, exists bool, err error) {
	st, err = lockfile.Load(w.lockPath)
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
