package command

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/wxmedia/wxmedia/assetfile"
	"github.com/wxmedia/wxmedia/lockfile"
	"github.com/wxmedia/wxmedia/operation"
	"github.com/wxmedia/wxmedia/planfile"
	"github.com/wxmedia/wxmedia/providers"
	"github.com/wxmedia/wxmedia/views"
)

// Advice is added to errors here, where they are rendered: the packages
// below return typed errors (or errors marked with a kind through
// internal/errmark) that say what is wrong, and only the command line
// knows which command to suggest next. internal/archtest keeps "run plan
// again" and the like out of their strings.

// staleAdvice says what to do about each reason a saved plan is stale.
var staleAdvice = map[planfile.Stale]string{
	planfile.StaleLockfile: "Make a new plan",
	planfile.StaleLineage:  "Make a new plan against this lockfile",
	planfile.StaleManifest: "Make a new plan",
	planfile.StaleEnv:      "Apply it with the same -env (or WXMEDIA_ENV), or make a new plan",
	planfile.StaleContent:  "Make a new plan",
}

// nextStep is the advice for one kind of error: what to do next, for the
// command cmd ("apply", "state push" ...) that failed with it.
type nextStep struct {
	is     func(err error) bool
	advice func(err error, cmd string) string
}

// is returns a matcher for errors of type T (errors.As).
func is[T error]() func(error) bool {
	return func(err error) bool { var t T; return errors.As(err, &t) }
}

// isKind returns a matcher for errors that are or are marked kind.
func isKind(kind error) func(error) bool {
	return func(err error) bool { return errors.Is(err, kind) }
}

// say returns advice that does not depend on the error or command.
func say(s string) func(error, string) string { return func(error, string) string { return s } }

// nextSteps is every kind of error that calls for a command next, in the
// order their advice is given when one failure holds several (an apply's
// failed changes).
var nextSteps = []nextStep{
	// The saved plan or the plan's view of a file is out of date.
	{is[*planfile.ParseError](), func(err error, _ string) string {
		var pe *planfile.ParseError
		errors.As(err, &pe)
		return fmt.Sprintf("Make a new one with `wxmedia plan -out %s`", pe.Path)
	}},
	{is[*planfile.MismatchError](), func(err error, _ string) string {
		var me *planfile.MismatchError
		errors.As(err, &me)
		return fmt.Sprintf("Make a new one with `wxmedia plan -out %s` and review it", me.Path)
	}},
	{is[*providers.FileChangedError](), say("Run plan again")},
	{isKind(operation.ErrPlanOutdated), say("Run plan again")},
	{func(err error) bool {
		var ae *providers.APIError
		return errors.As(err, &ae) && ae.FileMayHaveChanged
	}, say("If the file changed since plan, run plan and apply again")},
	// An asset file gone or unreadable at upload: the plan stands.
	{isKind(operation.ErrFileUnreadable), say("Then run apply again")},
	// An asset file refused (a link leading outside, not a regular file)
	// after the manifest check: the plan must see the fixed file.
	{func(err error) bool {
		return is[*assetfile.Error]()(err) && !errors.Is(err, operation.ErrFileUnreadable)
	}, say("Then run plan again")},
	// An apply that left work for the next one.
	{isKind(operation.ErrUnfinished), say("Run apply again to finish them")},
	{isKind(operation.ErrExpandPending), say("Run apply again to expand it without uploading")},
	{isKind(providers.ErrDailyQuota), say("Run apply again tomorrow")},
	{is[*operation.AccountsError](), say("Fix the account settings above and run apply again")},
	// The state: an errored dump to bring back, a write that lost a race, a
	// local lock or journal file to remove, nothing stored yet.
	{is[*operation.ErroredDumpError](), say("Then run apply again")},
	{func(err error) bool {
		var we *lockfile.WriteError
		return errors.As(err, &we) && we.Errored != "" && we.Recover == ""
	}, say("Then run apply again")},
	{isKind(operation.ErrStateChanged), say("Run plan again to see the current state")},
	{isKind(lockfile.ErrNotRegular), func(_ error, cmd string) string { return fmt.Sprintf("Then run `wxmedia %s` again", cmd) }},
	{isKind(operation.ErrNothingStored), say("Run `wxmedia apply` (or `wxmedia state push` to store an existing lockfile) first")},
	// The merge driver, refused while a journal waits to be folded.
	{is[*operation.JournalBesideError](), say("Abort the merge (`git merge --abort`), run `wxmedia apply` on this branch to fold the journal, commit the lockfile, and merge again")},
}

// diagnose turns err, from the command cmd, into the diagnostic the user
// reads.
func diagnose(err error, cmd string) views.Diagnostic {
	var se *planfile.StaleError
	if errors.As(err, &se) && se == err {
		return views.Diagnostic{Summary: planfile.ErrStale.Error(), Detail: se.Reason + "; nothing was changed", Advice: staleAdvice[se.Why]}
	}
	var advice []string
	for _, s := range nextSteps {
		if s.is(err) {
			if a := s.advice(err, cmd); !slices.Contains(advice, a) {
				advice = append(advice, a)
			}
		}
	}
	return views.Diagnostic{Summary: err.Error(), Advice: strings.Join(advice, ". ")}
}
