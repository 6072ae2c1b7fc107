package operation

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/hashicorp/go-multierror"

	"github.com/wxmedia/wxmedia/accounts"
	"github.com/wxmedia/wxmedia/debuglog"
	"github.com/wxmedia/wxmedia/executor"
	"github.com/wxmedia/wxmedia/lockfile"
	"github.com/wxmedia/wxmedia/manifest"
	"github.com/wxmedia/wxmedia/planner"
	"github.com/wxmedia/wxmedia/providers"
)

// ErroredDumpError is StartApply's refusal while an errored-state dump of
// an earlier apply waits to be brought back; it says where and how.
type ErroredDumpError struct{ Msg string }

func (e *ErroredDumpError) Error() string { return e.Msg }

// Apply is an apply in progress: the state locked and opened for writing.
type Apply struct {
	w     *Workspace
	lock  lockfile.Unlocker
	store *lockfile.Store
}

// StartApply refuses while an errored-state dump is waiting, takes the
// apply lock (waiting up to timeout) and opens the state for writing.
// Close releases the lock.
func (w *Workspace) StartApply(ctx context.Context, timeout time.Duration) (*Apply, error) {
	if msg := w.ErroredDump(); msg != "" {
		return nil, &ErroredDumpError{msg}
	}
	lock, err := w.Lock(ctx, "apply", timeout)
	if err != nil {
		return nil, err
	}
	w.state.prepareWrite()
	store, err := w.OpenStore(ctx)
	if err != nil {
		lock.Unlock()
		return nil, err
	}
	return &Apply{w: w, lock: lock, store: store}, nil
}

// Close releases the apply lock.
func (a *Apply) Close() { a.lock.Unlock() }

// Plan makes a fresh plan against the locked state.
func (a *Apply) Plan(ctx context.Context, pa *PlanArgs) (*planner.Plan, error) {
	return a.w.MakePlan(ctx, a.store.State(), a.w.StateExists(), pa)
}

// SavedPlan reads the plan file path and proves it is still current (same
// manifest, same lockfile lineage and serial, same file contents) and is
// the plan those call for; it returns the rebuilt plan.
func (a *Apply) SavedPlan(ctx context.Context, path string) (*planner.Plan, error) {
	return a.w.loadSavedPlan(ctx, a.store, path)
}

// RecordEndpoints records the endpoint of lockfile entries written before
// endpoints were recorded, for a plan without changes; it returns how many.
func (a *Apply) RecordEndpoints(p *planner.Plan) (int, error) {
	return executor.RecordEndpoints(a.store, p)
}

// ExecArgs says how to carry out a plan.
type ExecArgs struct {
	Parallelism int
	RetryPolicy providers.RetryPolicy
	// NewUploader returns the provider of an asset type for an account.
	NewUploader func(typ string, a *providers.Account) (providers.Uploader, error)
	// Hook is told about every change; when it also has a
	// Retrying(req, attempt, delay, err) method it is told about retries,
	// and with RateChanged about each account's request rate.
	Hook executor.Hook
	// Interrupted is called on the first interrupt (no new uploads start)
	// and the second (uploads in flight are aborted).
	Interrupted func(second bool)
}

// retryHook is the optional part of ExecArgs.Hook told about retries.
type retryHook interface {
	Retrying(req *providers.Request, attempt int, delay time.Duration, err error)
}

// Result is what an apply did.
type Result struct {
	Report      executor.Report
	Interrupted bool
	// Err is the apply's error, nil when every change was done or the only
	// failures are changes an interrupt kept from starting.
	Err error
}

// Execute carries out p with interrupt handling: the first SIGINT/SIGTERM
// stops new uploads, the second cancels those in flight.
func (a *Apply) Execute(p *planner.Plan, args ExecArgs) (*Result, error) {
	r := a.w.NewResolver()
	defer r.Close()
	if err := checkAccounts(r, p); err != nil {
		return nil, err
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
				if args.Interrupted != nil {
					args.Interrupted(false)
				}
				close(stop)
				continue
			}
			if args.Interrupted != nil {
				args.Interrupted(true)
			}
			cancel()
			return
		}
	}()
	rh, _ := args.Hook.(retryHook)
	pacers := newPacers(args.Hook)
	ex := &executor.Executor{
		Store:       a.store,
		Dir:         a.w.M.Dir,
		Parallelism: args.Parallelism,
		Stop:        stop,
		Hook:        args.Hook,
		Resolve: func(account, typ string) (providers.Uploader, error) {
			acct, err := r.Account(account)
			if err != nil {
				return nil, err
			}
			u, err := args.NewUploader(typ, acct)
			if err != nil {
				return nil, err
			}
			policy := args.RetryPolicy
			policy.OnRetry = func(req *providers.Request, attempt int, delay time.Duration, err error) {
				if rh != nil {
					rh.Retrying(req, attempt, delay, err)
				}
				debuglog.Default().Retry(req.Asset, attempt, delay, err)
			}
			policy.Pacer = pacers.get(acct, typ)
			return providers.WithRetry(u, policy), nil
		},
	}
	rep, err := ex.Apply(ctx, p)
	// Uploads were recorded in the journal beside the lockfile; write them
	// into the lockfile itself now.
	if ferr := a.store.Fold(); ferr != nil && a.store.Err() == nil {
		err = errors.Join(err, ferr)
	}
	signal.Stop(sigs)
	res := &Result{Report: rep, Interrupted: interrupted.Load(), Err: err}
	if err != nil && res.Interrupted && onlyStopped(err) {
		res.Err = nil
	}
	return res, nil
}

// NewResolver returns the accounts resolver of the workspace, its warnings
// going to the workspace's log.
func (w *Workspace) NewResolver() *accounts.Resolver {
	r := accounts.New(w.M)
	r.Warn = func(msg string) { fmt.Fprintf(w.log, "Warning: %s.\n", msg) }
	return r
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
	if err := JoinProblems(errs...); err != nil {
		return &AccountsError{Problems: err}
	}
	return nil
}

// AccountsError stops an apply before its first upload: the keys of some
// accounts it uploads through could not be loaded.
type AccountsError struct {
	Problems error // one per account
}

func (e *AccountsError) Error() string { return e.Problems.Error() + "\nnothing was uploaded" }

func (e *AccountsError) Unwrap() error { return e.Problems }

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

// JoinProblems merges problem lists into one, printed one per line in
// manifest order.
func JoinProblems(errs ...error) error {
	var merr *multierror.Error
	for _, e := range errs {
		if e != nil {
			merr = multierror.Append(merr, e)
		}
	}
	if merr == nil {
		return nil
	}
	merr.ErrorFormat = manifest.FormatErrors
	return merr
}
