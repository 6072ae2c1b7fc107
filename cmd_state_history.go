package main

import (
	"context"
	"fmt"

	"github.com/wxmedia/wxmedia/operation"
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
		return exitOK
	}
	// Versions of more than one lineage (a lockfile made anew) are told
	// apart by their lineage's first characters.
	lin := func(operation.HistoryRow) string { return "" }
	if lineages > 1 {
		fmt.Fprintf(c.stdout, "%-8s  ", "LINEAGE")
		lin = func(r operation.HistoryRow) string { return fmt.Sprintf("%-8s  ", r.Lineage[:8]) }
	}
	fmt.Fprintf(c.stdout, "%6s  %-20s  %-24s  %5s  %7s  %9s\n", "SERIAL", "WRITTEN", "WRITER", "ADDED", "CHANGED", "FORGOTTEN")
	for _, r := range rows {
		line := lin(r) + fmt.Sprintf("%6d  %-20s  %-24s  %5d  %7d  %9d", r.Serial, r.Time, r.Writer, r.Added, r.Changed, r.Forgotten)
		if r.Current {
			line += "  (current)"
		}
		fmt.Fprintln(c.stdout, line)
	}
	return exitOK
}

func runStateShow(c *cli, arg string) int {
	w, err := c.loadWorkspace()
	if err != nil {
		return c.fail(err)
	}
	v, st, err := w.Snapshot(context.Background(), arg)
	if err != nil {
		return c.fail(err)
	}
	if c.json {
		c.stdout.Write(v.Data)
		return exitOK
	}
	fmt.Fprintf(c.stdout, "# serial %d of %s, lineage %s, written %s by %s\n", v.Serial, w.StateName(), v.Lineage, v.Time, v.Writer)
	for _, n := range st.Names() {
		e := st.Assets[n]
		fmt.Fprintf(c.stdout, "%s = %s  (%s, sha256 %s…)\n", n, e.ID, e.Type, e.SHA256[:12])
	}
	return exitOK
}

func runStateRestore(c *cli, a *stateArgs, arg string) int {
	w, err := c.loadWorkspace()
	if err != nil {
		return c.fail(err)
	}
	v, snap, err := w.Snapshot(context.Background(), arg)
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
		return exitOK
	}
	fmt.Fprintf(c.stdout, "Restored serial %d of %s as serial %d.\n", v.Serial, w.StateName(), serial)
	return exitOK
}
