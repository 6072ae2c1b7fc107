package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/wxmedia/wxmedia/accounts"
	"github.com/wxmedia/wxmedia/debuglog"
	"github.com/wxmedia/wxmedia/executor"
	"github.com/wxmedia/wxmedia/lockfile"
	"github.com/wxmedia/wxmedia/planfile"
	"github.com/wxmedia/wxmedia/planner"
	"github.com/wxmedia/wxmedia/providers"
	"github.com/wxmedia/wxmedia/providers/registry"
	"github.com/wxmedia/wxmedia/scan"
	"github.com/wxmedia/wxmedia/views"
)

func init() {
	register(&command{name: "apply", usage: "[PLANFILE]",
		synopsis: "upload what changed and record the IDs in the lockfile",
		help: "Without PLANFILE, makes a fresh plan, shows it and asks for confirmation\n" +
			"(or proceeds with -auto-approve). The first Ctrl-C stops starting uploads and\n" +
			"waits for those in flight to be recorded (exit 130); a second aborts at once.",
		flags: func(c *cli, fs *flag.FlagSet) {
			c.planFlags(fs)
			fs.BoolVar(&c.autoApprove, "auto-approve", false, "skip the interactive confirmation")
			fs.DurationVar(&c.lockTimeout, "lock-timeout", 0, "wait up to `DUR` for another apply's lock")
		},
		run: runApply})
}

func runApply(c *cli, args []string) int {
	if len(args) > 1 {
		return c.usageError("apply takes at most one plan file")
	}
	defer tuneGCForApply()()
	w, err := c.loadWorkspace()
	if err != nil {
		return c.fail(err)
	}
	if code, ok := c.checkErrored(w); !ok {
		return code
	}
	ctx := context.Background()
	lock, err := w.lock(ctx, "apply", c.lockTimeout)
	if err != nil {
		return c.fail(err)
	}
	defer lock.Unlock()
	if w.remote == nil {
		lockfile.RemoveStaleTemps(w.lockPath) // left by a killed apply; we hold the lock
	}
	store, err := w.openStore(ctx)
	if err != nil {
		return c.fail(err)
	}
	var p *planner.Plan
	if len(args) == 1 {
		if p, err = c.loadSavedPlan(ctx, w, store, args[0]); err != nil {
			return c.fail(err)
		}
	} else if p, err = w.makePlan(ctx, store.State(), w.lockfileExists(), &c.pf); err != nil {
		return c.fail(err)
	}
	if c.json {
		// Progress events follow on stdout; the plan is one of them.
		views.NewApply(c.stdout, true).Planned(p)
	} else if err := c.planView().Render(p); err != nil {
		return c.fail(err)
	}
	if !p.HasChanges() {
		// Nothing to upload, but entries from before endpoints were
		// recorded get theirs now (the plan noted it).
		if n, err := executor.RecordEndpoints(store, p); err != nil {
			return c.fail(err)
		} else if n > 0 && !c.json {
			fmt.Fprintf(c.stderr, "Recorded the endpoint of %d lockfile %s.\n", n, plural(n, "entry", "entries"))
		}
		if c.json {
			// The run's last event, as when there were changes: every asset
			// is counted, here all as unchanged.
			views.NewApply(c.stdout, true).Complete(planner.Summary{NoOp: p.Summary.NoOp}, 0, false)
		}
		return exitOK
	}
	if len(args) == 0 && !c.autoApprove {
		if !c.stdinTTY {
			return c.fail(errors.New("apply needs confirmation, but standard input is not a terminal; re-run with -auto-approve, or save a plan with `wxmedia plan -out FILE` and run `wxmedia apply FILE`"))
		}
		fmt.Fprint(c.stdout, "\nDo you want to perform these actions?\n  Only 'yes' will be accepted to approve.\n\n  Enter a value: ")
		line, _ := bufio.NewReader(c.stdin).ReadString('\n')
		if strings.TrimSpace(line) != "yes" {
			fmt.Fprintln(c.stdout, "\nApply cancelled.")
			return exitError
		}
	}
	return c.execute(w, store, p)
}

// checkErrored refuses to go on while an errored-state dump is waiting.
func (c *cli) checkErrored(w *workspace) (int, bool) {
	if msg := w.erroredDump(); msg != "" {
		return c.fail(errors.New(msg + ", then run apply again")), false
	}
	return 0, true
}

// loadSavedPlan reads a plan file and proves it is still current (same
// manifest, same lockfile lineage and serial, same file contents) and is
// the plan those call for; it returns the rebuilt plan.
func (c *cli) loadSavedPlan(ctx context.Context, w *workspace, store *lockfile.Store, path string) (*planner.Plan, error) {
	f, err := planfile.Read(path)
	if err != nil {
		return nil, err
	}
	sum, err := planfile.SHA256File(w.m.Path)
	if err != nil {
		return nil, err
	}
	if sum != f.Manifest.SHA256 {
		return nil, fmt.Errorf("%w: %s changed since %s was made; nothing was changed. Make a new plan", planfile.ErrStale, w.m.Path, path)
	}
	if f.Plan.Environment != w.m.Env {
		return nil, fmt.Errorf("%w: %s was made for %s, but this apply is for %s; nothing was changed. Apply it with the same -env (or WXMEDIA_ENV), or make a new plan", planfile.ErrStale, path, envLabel(f.Plan.Environment), envLabel(w.m.Env))
	}
	if err := f.CheckLockfile(store.State(), w.lockfileExists(), w.stateName()); err != nil {
		return nil, err
	}
	facts, err := scan.Hashes(ctx, w.m, scan.Options{})
	if err != nil {
		return nil, err
	}
	var changed []string
	for _, ch := range f.Changes {
		if ch.After == nil {
			continue
		}
		// A name the manifest does not declare is Compare's to report.
		if got, ok := facts[ch.Name]; ok && got.SHA256 != ch.After.SHA256 {
			changed = append(changed, ch.Name)
		}
	}
	if len(changed) > 0 {
		return nil, fmt.Errorf("%w: the content of %s changed since %s was made; nothing was changed. Make a new plan", planfile.ErrStale, strings.Join(changed, ", "), path)
	}
	// The file says what a reviewer approved, but only what the current
	// manifest, lockfile and files call for may be done: rebuild that plan
	// and apply it only when the two are the same in every field.
	fresh, err := planner.Build(w.m, facts, store.State(), planner.Options{Targets: f.Targets, Replace: f.Replace})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if !w.lockfileExists() {
		fresh.Lockfile = planner.LockRef{}
	}
	if diffs := planfile.Compare(f.Plan, fresh); len(diffs) > 0 {
		return nil, planfile.MismatchError(path, diffs)
	}
	return fresh, nil
}

func commandLine() string {
	return "wxmedia " + strings.Join(os.Args[1:], " ")
}

// execute carries out p with interrupt handling: the first SIGINT/SIGTERM
// stops new uploads, the second cancels those in flight.
func (c *cli) execute(w *workspace, store *lockfile.Store, p *planner.Plan) int {
	r := c.newResolver(w)
	defer r.Close()
	if err := checkAccounts(r, p); err != nil {
		return c.fail(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stop := make(chan struct{})
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	var interrupted atomic.Bool
	done := make(chan struct{})
	defer close(done)
	go func() {
		n := 0
		for {
			select {
			case <-done:
				return
			case <-sigs:
			}
			n++
			if n == 1 {
				interrupted.Store(true)
				fmt.Fprintln(c.stderr, "\nInterrupt received: no new uploads will start; waiting for uploads in flight to finish and be recorded. Press Ctrl-C again to abort them.")
				close(stop)
				continue
			}
			fmt.Fprintln(c.stderr, "\nSecond interrupt: aborting uploads in flight. The lockfile holds everything recorded so far.")
			cancel()
			return
		}
	}()
	hookOut := c.stderr
	if c.json {
		hookOut = c.stdout
	}
	var view views.Apply
	if !c.json && isTerminal(c.stderr) {
		view = views.NewApplyProgress(c.stderr, p)
	} else {
		view = views.NewApply(hookOut, c.json)
	}
	pacers := newPacers(view)
	ex := &executor.Executor{
		Store:       store,
		Dir:         w.m.Dir,
		Parallelism: c.pf.parallelism,
		Stop:        stop,
		Hook:        view,
		Resolve: func(account, typ string) (providers.Uploader, error) {
			a, err := r.Account(account)
			if err != nil {
				return nil, err
			}
			u, err := registry.New(typ, a, "wxmedia/"+version)
			if err != nil {
				return nil, err
			}
			policy := c.retryPolicy
			policy.OnRetry = func(req *providers.Request, attempt int, delay time.Duration, err error) {
				view.Retrying(req, attempt, delay, err)
				debuglog.Default().Retry(req.Asset, attempt, delay, err)
			}
			policy.Pacer = pacers.get(a, typ)
			return providers.WithRetry(u, policy), nil
		},
	}
	rep, err := ex.Apply(ctx, p)
	// Uploads were recorded in the journal beside the lockfile; write them
	// into the lockfile itself now.
	if ferr := store.Fold(); ferr != nil && store.Err() == nil {
		err = errors.Join(err, ferr)
	}
	signal.Stop(sigs)
	view.Complete(rep.Done, rep.Failed, interrupted.Load())
	if err != nil && !(interrupted.Load() && onlyStopped(err)) {
		fmt.Fprintln(c.stderr)
		c.fail(err)
	}
	if interrupted.Load() {
		return exitInterrupted
	}
	if err != nil {
		return exitError
	}
	return exitOK
}

// checkAccounts loads the keys of every account p uploads through, so that
// a broken key or an unset environment variable stops apply once, before
// the first upload, instead of failing every asset of the account.
func checkAccounts(r *accounts.Resolver, p *planner.Plan) error {
	seen := map[string]bool{}
	var errs []error
	for _, ch := range p.Changes {
		if !(ch.Action.Uploads() || ch.Action == planner.Expand) || seen[ch.Account] {
			continue
		}
		seen[ch.Account] = true
		if _, err := r.Account(ch.Account); err != nil {
			errs = append(errs, err)
		}
	}
	if err := joinProblems(errs...); err != nil {
		return fmt.Errorf("%w\nnothing was uploaded: fix the account settings above and run apply again", err)
	}
	return nil
}

// onlyStopped reports whether every failure in err is a change that was not
// started because of an interrupt.
func onlyStopped(err error) bool {
	var me interface{ WrappedErrors() []error }
	if errors.As(err, &me) {
		for _, e := range me.WrappedErrors() {
			if !errors.Is(e, executor.ErrStopped) {
				return false
			}
		}
		return true
	}
	return errors.Is(err, executor.ErrStopped)
}
