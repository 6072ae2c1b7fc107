package command

import (
	"context"
	"flag"
	"fmt"
	"time"

	"github.com/wxmedia/wxmedia/operation"
)

// `wxmedia state pull|push|history|show|restore|merge`: the state backend
// selected by the manifest's `state:` block, its kept versions, and the git
// merge driver.

func init() {
	register(&command{name: "state", usage: "pull|push [FILE] | history | show SERIAL | restore SERIAL | merge BASE OURS THEIRS [PATH]",
		synopsis: "copy, list, restore and merge kept versions of the state",
		help: "`state pull` writes the stored lockfile document to the local lockfile\n" +
			"(wxmedia.lock.json beside the manifest, or -lockfile), atomically, for\n" +
			"application configs to read; -out FILE writes it elsewhere, -out - to stdout.\n" +
			"The bytes are exactly those a local apply would have written.\n" +
			"`state push [FILE]` stores a local lockfile (default: the local lockfile) in\n" +
			"the backend, to move an existing project there or to bring back a\n" +
			"wxmedia.errored.lock.json. It refuses to replace a stored state of another\n" +
			"lineage, or one written after FILE, unless -force is given.\n" +
			"`state history` lists the kept versions (every full write keeps one: in\n" +
			"PostgreSQL in a versions table, locally the last 100 in .wxmedia/history/, or\n" +
			"WXMEDIA_HISTORY_LIMIT; apply journals each upload and writes in full at the\n" +
			"end of a run, so one version holds a run's uploads); `state show SERIAL` prints one;\n" +
			"`state restore SERIAL` writes one back as a new serial, under the lock, after\n" +
			"confirmation.\n" +
			"`state merge BASE OURS THEIRS [PATH]` is the git merge driver for lockfiles\n" +
			"(%O %A %B %P); given PATH, it refuses while a journal lies beside it.",
		args: func() cmdArgs { return &stateArgs{} }})
}

type stateArgs struct {
	out         string
	force       bool
	lockTimeout time.Duration
	autoApprove bool
}

func (a *stateArgs) bind(fs *flag.FlagSet) {
	fs.StringVar(&a.out, "out", "", "pull: write to `FILE` instead of the local lockfile (- for stdout)")
	fs.BoolVar(&a.force, "force", false, "push: replace the stored state even if it has another lineage or is newer")
	fs.DurationVar(&a.lockTimeout, "lock-timeout", 0, "push, restore: wait up to `DUR` for another apply's lock")
	fs.BoolVar(&a.autoApprove, "auto-approve", false, "restore: skip the interactive confirmation")
}

func (a *stateArgs) run(c *cli, args []string) int {
	if len(args) == 0 {
		return c.usageError("state needs a subcommand: pull, push, history, show, restore or merge")
	}
	c.name = "state " + args[0]
	switch args[0] {
	case "pull":
		if len(args) != 1 {
			return c.usageError("state pull takes no arguments; use -out FILE")
		}
		return a.pull(c)
	case "push":
		if len(args) > 2 {
			return c.usageError("state push takes at most one lockfile")
		}
		file := ""
		if len(args) == 2 {
			file = args[1]
		}
		return a.push(c, file)
	}
	if sub, ok := stateSubcommands[args[0]]; ok {
		return sub(c, a, args[1:])
	}
	return c.usageError(fmt.Sprintf("unknown state subcommand %q; use pull, push, history, show, restore or merge", args[0]))
}

func (a *stateArgs) pull(c *cli) int {
	w, err := c.loadWorkspace()
	if err != nil {
		return c.fail(err)
	}
	p, err := w.Pull(context.Background())
	if err != nil {
		return c.fail(err)
	}
	if a.out == "-" {
		if _, err := c.stdout.Write(p.Data); err != nil {
			return c.fail(err)
		}
		return ExitOK
	}
	out, err := w.WritePulled(p, a.out)
	if err != nil {
		return c.fail(err)
	}
	st := p.State
	if c.json {
		return c.printJSON(map[string]any{"written": out, "from": p.From, "lineage": st.Lineage, "serial": st.Serial, "assets": len(st.Assets)})
	}
	fmt.Fprintf(c.stdout, "Wrote %s from %s (serial %d, %d %s).\n", out, p.From, st.Serial, len(st.Assets), plural(len(st.Assets), "asset", "assets"))
	return ExitOK
}

func (a *stateArgs) push(c *cli, file string) int {
	w, err := c.loadWorkspace()
	if err != nil {
		return c.fail(err)
	}
	r, err := w.Push(context.Background(), operation.PushArgs{File: file, Force: a.force, LockTimeout: a.lockTimeout})
	if err != nil {
		return c.fail(err)
	}
	st := r.State
	if r.Unchanged {
		fmt.Fprintf(c.stdout, "%s already holds the content of %s (serial %d); nothing to do.\n", r.To, r.File, st.Serial)
		return ExitOK
	}
	fmt.Fprintf(c.stdout, "Stored %s in %s (lineage %s, serial %d, %d %s).\n", r.File, r.To, st.Lineage, st.Serial, len(st.Assets), plural(len(st.Assets), "asset", "assets"))
	return ExitOK
}
