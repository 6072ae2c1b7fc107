package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"

	"github.com/wxmedia/wxmedia/lockfile"
)

// `wxmedia state merge BASE OURS THEIRS`: the lockfile's git merge driver.
//
//	.gitattributes:  wxmedia.lock.json merge=wxmedia
//	git config merge.wxmedia.driver "wxmedia state merge %O %A %B"
//
// It writes the result over OURS and exits 0, or 1 on a real conflict (the
// same asset recorded with two IDs, or two lineages), leaving in OURS a
// document that `wxmedia plan` explains.

func init() {
	stateSubcommands["merge"] = func(c *cli, _ *stateArgs, args []string) int {
		if len(args) != 3 {
			return c.usageError("state merge needs three files: BASE OURS THEIRS (git passes them as %O %A %B)")
		}
		return runStateMerge(c, args[0], args[1], args[2])
	}
}

// readSide parses one side of a merge; an empty or missing BASE is no
// common ancestor (nil).
func readSide(path string, optional bool) (*lockfile.State, []byte, error) {
	data, err := os.ReadFile(path)
	if optional && (errors.Is(err, os.ErrNotExist) || (err == nil && len(bytes.TrimSpace(data)) == 0)) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	st, err := lockfile.Parse(path, data)
	return st, data, err
}

func runStateMerge(c *cli, basePath, oursPath, theirsPath string) int {
	base, _, err := readSide(basePath, true)
	if err != nil {
		return c.fail(fmt.Errorf("state merge: %w", err))
	}
	ours, oursData, err := readSide(oursPath, false)
	if err != nil {
		return c.fail(fmt.Errorf("state merge: %w", err))
	}
	theirs, theirsData, err := readSide(theirsPath, false)
	if err != nil {
		return c.fail(fmt.Errorf("state merge: %w", err))
	}
	merged, conflicts, err := lockfile.Merge(base, ours, theirs)
	var le *lockfile.LineageError
	if errors.As(err, &le) {
		if werr := lockfile.WriteFile(oursPath, lockfile.ConflictDocument(oursData, theirsData, "the two sides are different states (lineage "+le.Ours+" here, "+le.Theirs+" on the other side)"), 0o644); werr != nil {
			return c.fail(werr)
		}
		fmt.Fprintf(c.stderr, "wxmedia state merge: %v\n", err)
		return exitError
	}
	if err != nil {
		return c.fail(err)
	}
	data, err := merged.Marshal()
	if err != nil {
		return c.fail(err)
	}
	if len(conflicts) > 0 {
		// Ours holds our side of each conflict; the other block theirs.
		alt := merged.Clone()
		for _, cf := range conflicts {
			e := *theirs.Assets[cf.Name]
			alt.Assets[cf.Name] = &e
		}
		altData, err := alt.Marshal()
		if err != nil {
			return c.fail(err)
		}
		data = lockfile.ConflictDocument(data, altData, lockfile.DescribeConflicts(conflicts))
	}
	if err := lockfile.WriteFile(oursPath, data, 0o644); err != nil {
		return c.fail(fmt.Errorf("state merge: %w", err))
	}
	if len(conflicts) > 0 {
		fmt.Fprintf(c.stderr, "wxmedia state merge: conflict: %s. The lockfile holds both versions between conflict markers: keep one block, delete the other and the marker lines, then commit; `wxmedia plan` explains it until then.\n", lockfile.DescribeConflicts(conflicts))
		return exitError
	}
	return exitOK
}
