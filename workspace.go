package main

import (
	"context"
	"errors"
	"path/filepath"

	"github.com/wxmedia/wxmedia/lockfile"
	"github.com/wxmedia/wxmedia/manifest"
	"github.com/wxmedia/wxmedia/planner"
)

// workspace is a loaded manifest with its lockfile path.
type workspace struct {
	m        *manifest.Manifest
	lockPath string
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
	return &workspace{m: m, lockPath: lp}, nil
}

// planFlags are the options plan and apply share.
type planFlags struct {
	targets     stringList
	replace     stringList
	parallelism int
}

// makePlan hashes the files and diffs them against st.
func (w *workspace) makePlan(ctx context.Context, st *lockfile.State, pf *planFlags) (*planner.Plan, error) {
	facts, err := planner.Scan(ctx, w.m, planner.ScanOptions{})
	if err != nil {
		return nil, err
	}
	return planner.Build(w.m, facts, st, planner.Options{Targets: pf.targets, Replace: pf.replace})
}

// loadState reads the lockfile, or starts an empty one.
func (w *workspace) loadState() (*lockfile.State, error) {
	st, err := lockfile.LoadOrNew(w.lockPath)
	if err != nil && !errors.Is(err, lockfile.ErrNotExist) {
		return nil, err
	}
	return st, nil
}

// stringList is a repeatable string flag.
type stringList []string

func (s *stringList) String() string { return "" }

func (s *stringList) Set(v string) error {
	*s = append(*s, v)
	return nil
}
