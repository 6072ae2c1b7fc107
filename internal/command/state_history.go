package command

import (
	"context"
	"fmt"

	"github.com/wxmedia/wxmedia/lockfile"
	"github.com/wxmedia/wxmedia/operation"
	"github.com/wxmedia/wxmedia/views"
)

// `wxmedia state history`, `state show SERIAL` and `state restore SERIAL`:
// the kept versions of the state.

// stateSubcommands are the `state` subcommands beyond pull and push.
var stateSubcommands = map[string]func(c *cli, a *stateArgs, args []string) int{
	"history": func(c *cli, a *stateArgs, args []string) int {
		if len(args) != 0 {
			return c.usageError("state history takes no arguments")
		}
		return runStateHistory(c)
	},
	"show": func(c *cli, a *stateArgs, args []string) int {
		if len(args) != 1 {
			return c.usageError("state show needs one serial (see `wxmedia state history`)")
		}
		return runStateShow(c, args[0])
	},
	"restore": func(c *cli, a *stateArgs, args []string) int {
		if len(args) != 1 {
			return c.usageError("state restore needs one serial (see `wxmedia state history`)")
		}
		return runStateRestore(c, a, args[0])
	},
}

func runStateHistory(c *cli) int {
	w, err := c.loadWorkspace()
	if err != nil {
		return c.fail(err)
	}
	rows, lineages, err := w.History(context.Background())
	if err != nil {
		return c.fail(err)
	}
	if c.json {
		return c.printJSON(rows)
	}
	if len(rows) == 0 {
		fmt.Fprintf(c.stdout, "No kept versions of %s yet: every write from now on keeps one.\n", w.StateName())
		return ExitOK
	}
	// Versions of more than one lineage (a lockfile made anew) are told
	// apart by their lineage's first characters.
	vrows := make([]views.HistoryRow, len(rows))
	for i, r := range rows {
		vrows[i] = views.HistoryRow(r)
	}
	views.History(c.stdout, vrows, lineages)
	views.HistoryGaps(c.stderr, vrows)
	return ExitOK
}

func runStateShow(c *cli, arg string) int {
	w, v, st, err := c.snapshot(arg)
	if err != nil {
		return c.fail(err)
	}
	if c.json {
		c.stdout.Write(v.Data)
		return ExitOK
	}
	views.Snapshot(c.stdout, w.StateName(), v, st)
	return ExitOK
}

func runStateRestore(c *cli, a *stateArgs, arg string) int {
	w, v, snap, err := c.snapshot(arg)
	if err != nil {
		return c.fail(err)
	}
	if cur, err := w.LoadExisting(); err == nil {
		add, ch, f := operation.DiffCounts(cur, snap)
		fmt.Fprintf(c.stdout, "Restoring serial %d of %s over serial %d: %d to add back, %d to change, %d to forget.\n", v.Serial, w.StateName(), cur.Serial, add, ch, f)
	}
	if err := c.confirm("state restore", "-auto-approve", a.autoApprove); err != nil {
		return c.fail(err)
	}
	serial, err := w.Restore(v, snap, a.lockTimeout)
	if err != nil {
		return c.fail(err)
	}
	if serial == 0 {
		fmt.Fprintf(c.stdout, "%s already holds the content of serial %d; nothing to do.\n", w.StateName(), v.Serial)
		return ExitOK
	}
	fmt.Fprintf(c.stdout, "Restored serial %d of %s as serial %d.\n", v.Serial, w.StateName(), serial)
	return ExitOK
}

// snapshot loads the workspace and its kept version with the serial given
// as text.
func (c *cli) snapshot(arg string) (*operation.Workspace, *lockfile.Snapshot, *lockfile.State, error) {
	w, err := c.loadWorkspace()
	if err != nil {
		return nil, nil, nil, err
	}
	v, st, err := w.Snapshot(context.Background(), arg)
	return w, v, st, err
}
