package command

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"time"

	"github.com/wxmedia/wxmedia/operation"
	"github.com/wxmedia/wxmedia/planner"
	"github.com/wxmedia/wxmedia/providers"
	"github.com/wxmedia/wxmedia/providers/registry"
	"github.com/wxmedia/wxmedia/views"
)

// `wxmedia apply [PLANFILE]`.

func init() {
	register(&command{name: "apply", usage: "[PLANFILE]",
		synopsis: "upload what changed and record the IDs in the lockfile",
		help: "Without PLANFILE, makes a fresh plan, shows it and asks for confirmation\n" +
			"(or proceeds with -auto-approve). The first Ctrl-C stops starting uploads and\n" +
			"waits for those in flight to be recorded (exit 130); a second aborts at once.",
		args: func() cmdArgs { return &applyArgs{retryPolicy: providers.DefaultRetryPolicy} }})
}

type applyArgs struct {
	plan        planArgs
	autoApprove bool
	lockTimeout time.Duration
	retryPolicy providers.RetryPolicy
}

func (a *applyArgs) bind(fs *flag.FlagSet) {
	a.plan.bind(fs)
	fs.BoolVar(&a.autoApprove, "auto-approve", false, "skip the interactive confirmation")
	fs.DurationVar(&a.lockTimeout, "lock-timeout", 0, "wait up to `DUR` for another apply's lock")
}

func (a *applyArgs) run(c *cli, args []string) int {
	if len(args) > 1 {
		return c.usageError("apply takes at most one plan file")
	}
	defer operation.TuneGCForApply()()
	la := c.loadArgs()
	la.RefreshHashes = a.plan.RefreshHashes
	w, err := operation.Load(la)
	if err != nil {
		return c.fail(err)
	}
	ctx := context.Background()
	op, err := w.StartApply(ctx, a.lockTimeout)
	if err != nil {
		return c.fail(err)
	}
	defer op.Close()
	var p *planner.Plan
	if len(args) == 1 {
		p, err = op.SavedPlan(ctx, args[0])
	} else {
		p, err = op.Plan(ctx, a.plan.args())
	}
	if err != nil {
		return c.fail(err)
	}
	if c.json {
		// Progress events follow on stdout; the plan is one of them.
		views.NewApply(c.stdout, true).Planned(p)
	} else if err := c.planView(false).Render(p); err != nil {
		return c.fail(err)
	}
	if !p.HasChanges() {
		// Nothing to upload, but entries from before endpoints were
		// recorded get theirs now (the plan noted it).
		if n, err := op.RecordEndpoints(p); err != nil {
			return c.fail(err)
		} else if n > 0 && !c.json {
			fmt.Fprintf(c.stderr, "Recorded the endpoint of %d lockfile %s.\n", n, plural(n, "entry", "entries"))
		}
		if c.json {
			// The run's last event, as when there were changes: every asset
			// is counted, here all as unchanged.
			views.NewApply(c.stdout, true).Complete(planner.Summary{NoOp: p.Summary.NoOp}, 0, false)
		}
		return ExitOK
	}
	if len(args) == 0 && !a.autoApprove {
		if !c.stdinTTY {
			return c.fail(errors.New("apply needs confirmation, but standard input is not a terminal; re-run with -auto-approve, or save a plan with `wxmedia plan -out FILE` and run `wxmedia apply FILE`"))
		}
		views.ApplyConfirm(c.stdout)
		if !c.readYes() {
			fmt.Fprintln(c.stdout, "\nApply cancelled.")
			return ExitError
		}
	}
	return c.execute(op, p, a)
}

// newUploader builds the provider of an asset type through the registry,
// with wxmedia's version in the User-Agent.
func (c *cli) newUploader(typ string, a *providers.Account) (providers.Uploader, error) {
	return registry.New(typ, a, "wxmedia/"+c.version)
}

// execute carries out p and renders its progress: the first SIGINT or
// SIGTERM stops new uploads, the second cancels those in flight.
func (c *cli) execute(op *operation.Apply, p *planner.Plan, a *applyArgs) int {
	view := views.ApplyFor(c.stdout, c.stderr, c.json, p)
	res, err := op.Execute(p, operation.ExecArgs{
		Parallelism: a.plan.Parallelism,
		RetryPolicy: a.retryPolicy,
		NewUploader: c.newUploader,
		Hook:        view,
		Interrupted: func(second bool) { views.Interrupted(c.stderr, second) },
	})
	if err != nil {
		return c.fail(err)
	}
	view.Complete(res.Report.Done, res.Report.Failed, res.Interrupted)
	if res.Err != nil {
		fmt.Fprintln(c.stderr)
		c.fail(res.Err)
	}
	if res.Interrupted {
		return ExitInterrupted
	}
	if res.Err != nil {
		return ExitError
	}
	return ExitOK
}
