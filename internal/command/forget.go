package command

import (
	"flag"
	"fmt"
	"time"
)

// `wxmedia forget NAME`.

func init() {
	register(&command{name: "forget", usage: "NAME", synopsis: "drop a lockfile entry (the remote media cannot be deleted)",
		args: func() cmdArgs { return &forgetArgs{} }})
}

type forgetArgs struct{ lockTimeout time.Duration }

func (a *forgetArgs) bind(fs *flag.FlagSet) {
	fs.DurationVar(&a.lockTimeout, "lock-timeout", 0, "wait up to `DUR` for another apply's lock")
}

func (a *forgetArgs) run(c *cli, args []string) int {
	if len(args) != 1 {
		return c.usageError("forget needs exactly one asset name")
	}
	name := args[0]
	w, err := c.loadWorkspace()
	if err != nil {
		return c.fail(err)
	}
	id, err := w.Forget(name, a.lockTimeout)
	if err != nil {
		return c.fail(err)
	}
	fmt.Fprintf(c.stdout, "Forgot %s (was %s). The media still exists at WeChat Pay; the next apply uploads it again if it is still in the manifest.\n", name, id)
	return ExitOK
}
