package command

import (
	"context"
	"flag"
	"fmt"

	"github.com/wxmedia/wxmedia/operation"
)

// `wxmedia plan`.

func init() {
	register(&command{name: "plan", synopsis: "show what apply would upload, replace, rename or forget (no network)",
		help: "Exit codes with -detailed-exitcode: 0 no changes, 1 error, 2 changes present.",
		args: func() cmdArgs { return &planCmdArgs{} }})
}

type planCmdArgs struct {
	plan         planArgs
	detailedExit bool
	out          string
	markdown     bool
	noSecrets    bool
}

func (a *planCmdArgs) bind(fs *flag.FlagSet) {
	a.plan.bind(fs)
	fs.BoolVar(&a.detailedExit, "detailed-exitcode", false, "exit 2 when the plan has changes, 0 when it has none")
	fs.StringVar(&a.out, "out", "", "save the plan to `FILE` for `wxmedia apply FILE`")
	fs.BoolVar(&a.markdown, "markdown", false, "print the plan as Markdown for a pull-request comment")
	fs.BoolVar(&a.noSecrets, "no-secrets", false, "do not check key or certificate files (plan reads none), for pipelines without secrets")
}

func (a *planCmdArgs) run(c *cli, args []string) int {
	if len(args) > 0 {
		return c.usageError("plan takes no arguments")
	}
	defer operation.TuneGCForPlan()()
	la := c.loadArgs()
	la.NoSecrets, la.RefreshHashes = a.noSecrets, a.plan.RefreshHashes
	// A plan without changes printed for people is its summary: it may be
	// answered from the no-op record (operation.Workspace.NoOpPlan).
	la.NoOpShortcut = !c.json && a.out == ""
	w, err := operation.LoadReadOnly(la)
	if err != nil {
		return c.fail(err)
	}
	if msg := w.ErroredDump(); msg != "" {
		fmt.Fprintf(c.stderr, "Warning: %s; until then apply refuses to run.\n", msg)
	}
	pa := a.plan.args()
	p, ok := w.NoOpPlan(pa)
	if !ok {
		st, exists, err := w.LoadState()
		if err != nil {
			return c.fail(err)
		}
		if p, err = w.MakePlan(context.Background(), st, exists, pa); err != nil {
			return c.fail(err)
		}
	}
	if a.out != "" {
		if err := w.SavePlan(a.out, p, pa); err != nil {
			return c.fail(err)
		}
	}
	if err := c.planView(a.markdown).Render(p); err != nil {
		return c.fail(err)
	}
	if a.out != "" && !c.json {
		fmt.Fprintf(c.stdout, "\nSaved the plan to %s. Apply exactly this plan with:\n  wxmedia apply %s\n", a.out, a.out)
	}
	if a.detailedExit && p.HasChanges() {
		return ExitChanges
	}
	return ExitOK
}
