package operation

import (
	"bytes"
	"errors"
	"fmt"
	"os"

	"github.com/wxmedia/wxmedia/internal/atomicfile"
	"github.com/wxmedia/wxmedia/lockfile"
)

// `wxmedia state merge BASE OURS THEIRS`: the lockfile's git merge driver.

// MergeConflictError is a real conflict of a merge: the same asset
// recorded with two IDs, or two lineages. OURS was written with both
// versions between conflict markers, which `wxmedia plan` explains.
type MergeConflictError struct {
	// Lineage is the two sides' lineage mismatch, or nil.
	Lineage *lockfile.LineageError
	// Conflicts describes the assets recorded differently on each side.
	Conflicts string
}

func (e *MergeConflictError) Error() string {
	if e.Lineage != nil {
		return e.Lineage.Error()
	}
	return "conflict: " + e.Conflicts
}

// MergeFiles merges the lockfiles OURS and THEIRS from their common
// ancestor BASE (missing or empty: none) and writes the result over OURS.
// On a real conflict it writes both versions between conflict markers and
// returns a *MergeConflictError.
func MergeFiles(basePath, oursPath, theirsPath string) error {
	base, _, err := readSide(basePath, true)
	if err != nil {
		return fmt.Errorf("state merge: %w", err)
	}
	ours, oursData, err := readSide(oursPath, false)
	if err != nil {
		return fmt.Errorf("state merge: %w", err)
	}
	theirs, theirsData, err := readSide(theirsPath, false)
	if err != nil {
		return fmt.Errorf("state merge: %w", err)
	}
	merged, conflicts, err := lockfile.Merge(base, ours, theirs)
	var le *lockfile.LineageError
	if errors.As(err, &le) {
		if werr := atomicfile.WriteFile(oursPath, lockfile.ConflictDocument(oursData, theirsData, "the two sides are different states (lineage "+le.Ours+" here, "+le.Theirs+" on the other side)"), 0o644); werr != nil {
			return werr
		}
		return &MergeConflictError{Lineage: le}
	}
	if err != nil {
		return err
	}
	data, err := merged.Marshal()
	if err != nil {
		return err
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
			return err
		}
		data = lockfile.ConflictDocument(data, altData, lockfile.DescribeConflicts(conflicts))
	}
	if err := atomicfile.WriteFile(oursPath, data, 0o644); err != nil {
		return fmt.Errorf("state merge: %w", err)
	}
	if len(conflicts) > 0 {
		return &MergeConflictError{Conflicts: lockfile.DescribeConflicts(conflicts)}
	}
	return nil
}

// CheckNoJournal refuses to merge the lockfile at path while a journal lies
// beside it, with a *JournalBesideError. git merges in memory, so the work
// tree still holds this branch's files: a journal there is an interrupted
// apply's records not yet folded into the lockfile, whose serials the
// merged lockfile (the larger serial + 1) would pass, hiding them; or a
// journal committed by mistake.
func CheckNoJournal(path string) error {
	jp := lockfile.JournalPath(path)
	if _, err := os.Lstat(jp); errors.Is(err, os.ErrNotExist) {
		return nil
	} else if err != nil {
		return err
	}
	return &JournalBesideError{Journal: jp, Lockfile: path}
}

// JournalBesideError is CheckNoJournal's refusal: the journal must be
// folded into the lockfile (by an apply on this branch) before the merge.
type JournalBesideError struct{ Journal, Lockfile string }

func (e *JournalBesideError) Error() string {
	return fmt.Sprintf("%s lies beside %s, so OURS was left as it was: the journal holds uploads an interrupted apply recorded but did not fold into the lockfile, "+
		"and the merged lockfile's serial would hide them. %s", e.Journal, e.Lockfile, lockfile.CommittedJournalAdvice(e.Journal))
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
