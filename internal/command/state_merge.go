package command

import (
	"errors"
	"fmt"

	"github.com/wxmedia/wxmedia/operation"
)

// `wxmedia state merge BASE OURS THEIRS`: the lockfile's git merge driver.
//
//	.gitattributes:  wxmedia.lock.json merge=wxmedia
//	git config merge.wxmedia.driver "wxmedia state merge %O %A %B %P"
//
// It writes the result over OURS and exits 0, or 1 on a real conflict (the
// same asset recorded with two IDs, or two lineages), leaving in OURS a
// document that `wxmedia plan` explains. The optional fourth argument is
// the lockfile's path in the work tree (%P): a journal beside it stops the
// merge (see operation.CheckNoJournal).

func init() {
	stateSubcommands["merge"] = func(c *cli, _ *stateArgs, args []string) int {
		if len(args) != 3 && len(args) != 4 {
			return c.usageError("state merge needs three files: BASE OURS THEIRS (git passes them as %O %A %B), and optionally the lockfile's path (%P)")
		}
		if len(args) == 4 {
			if err := operation.CheckNoJournal(args[3]); err != nil {
				fmt.Fprintf(c.stderr, "wxmedia state merge: %s\n", diagnose(err, c.name))
				return ExitError
			}
		}
		return runStateMerge(c, args[0], args[1], args[2])
	}
}

func runStateMerge(c *cli, basePath, oursPath, theirsPath string) int {
	err := operation.MergeFiles(basePath, oursPath, theirsPath)
	var mc *operation.MergeConflictError
	switch {
	case errors.As(err, &mc) && mc.Lineage != nil:
		fmt.Fprintf(c.stderr, "wxmedia state merge: %v\n", mc.Lineage)
		return ExitError
	case errors.As(err, &mc):
		fmt.Fprintf(c.stderr, "wxmedia state merge: conflict: %s. The lockfile holds both versions between conflict markers: keep one block, delete the other and the marker lines, then commit; `wxmedia plan` explains it until then.\n", mc.Conflicts)
		return ExitError
	case err != nil:
		return c.fail(err)
	}
	return ExitOK
}
