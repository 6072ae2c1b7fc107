package main

import (
	"context"
	"errors"
	"os"
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

// makePlan hashes the files and diffs them against st. A plan made before
// the lockfile exists records an empty lineage, so that a saved plan can
// tell "no lockfile yet" from "this lockfile".
func (w *workspace) makePlan(ctx context.Context, st *lockfile.State, exists bool, pf *planFlags) (*planner.Plan, error) {
	facts, err := planner.Scan(ctx, w.m, planner.ScanOptions{})
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
