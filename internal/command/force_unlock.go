package command

import (
	"context"
	"flag"
	"fmt"
)

// `wxmedia force-unlock`.

func init() {
	register(&command{name: "force-unlock", synopsis: "remove a stale apply lock after confirmation",
		args: func() cmdArgs { return &forceUnlockArgs{} }})
}

type forceUnlockArgs struct{ force bool }

func (a *forceUnlockArgs) bind(fs *flag.FlagSet) {
	fs.BoolVar(&a.force, "force", false, "do not ask for confirmation")
}

func (a *forceUnlockArgs) run(c *cli, args []string) int {
	if len(args) != 0 {
		return c.usageError("force-unlock takes no arguments")
	}
	w, err := c.loadWorkspace()
	if err != nil {
		return c.fail(err)
	}
	ctx := context.Background()
	h, err := w.Holder(ctx)
	if err != nil {
		return c.fail(err)
	}
	if !h.Held {
		fmt.Fprintf(c.stdout, "%s is not locked.\n", w.StateName())
		return ExitOK
	}
	if !h.Removable {
		return c.fail(w.ForceUnlock(h))
	}
	if h.Live {
		fmt.Fprintf(c.stderr, "Warning: the lock is held right now by %s. Removing it lets another apply run alongside it.\n", h.Holder)
	}
	if !a.force {
		if !c.stdinTTY {
			return c.fail(fmt.Errorf("force-unlock needs confirmation, but standard input is not a terminal; re-run with -force"))
		}
		fmt.Fprintf(c.stdout, "Lock held by %s.\nRemove it? Only 'yes' will be accepted: ", h.Holder)
		if !c.readYes() {
			fmt.Fprintln(c.stdout, "Force-unlock cancelled.")
			return ExitError
		}
	}
	if err := w.ForceUnlock(h); err != nil {
		return c.fail(err)
	}
	fmt.Fprintf(c.stdout, "Removed the lock on %s (was held by %s).\n", w.LockPath, h.Holder)
	return ExitOK
}
