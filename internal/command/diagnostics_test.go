package command

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"testing"

	"github.com/hashicorp/go-multierror"

	"github.com/wxmedia/wxmedia/assetfile"
	"github.com/wxmedia/wxmedia/internal/errmark"
	"github.com/wxmedia/wxmedia/lockfile"
	"github.com/wxmedia/wxmedia/manifest"
	"github.com/wxmedia/wxmedia/operation"
	"github.com/wxmedia/wxmedia/planfile"
	"github.com/wxmedia/wxmedia/providers"
)

// TestDiagnoseAdvice: the packages below say what is wrong; diagnose adds
// which command to run next, for each kind of error, as it reaches the
// command layer (wrapped, in a manifest problem, in an apply's list of
// failed changes).
func TestDiagnoseAdvice(t *testing.T) {
	gone := &assetfile.Error{File: "media/a.png", Reason: "cannot read media/a.png: no such file or directory", Err: fs.ErrNotExist}
	quota := &providers.APIError{Asset: "a", HTTPStatus: 429, Code: "FREQUENCY_LIMIT_EXCEED", Message: "daily quota", Hint: providers.RateLimitHint("daily quota", "")}
	for _, tc := range []struct {
		name, cmd string
		err       error
		want      string // the advice
	}{
		{"plain error", "plan", errors.New("boom"), ""},
		{"file changed", "apply", fmt.Errorf("a: %w", &providers.FileChangedError{Detail: "it is shorter"}), "Run plan again"},
		{"plan outdated", "apply", errmark.Mark(errors.New("a: the expand has no recorded upload"), operation.ErrPlanOutdated), "Run plan again"},
		{"merge refused", "apply", &providers.APIError{Asset: "a", HTTPStatus: 400, Code: "INVALID_REQUEST", FileMayHaveChanged: true}, "If the file changed since plan, run plan and apply again"},
		{"other api error", "apply", &providers.APIError{Asset: "a", HTTPStatus: 400, Code: "INVALID_REQUEST"}, ""},
		{"file gone at upload", "apply", errmark.Mark(gone, operation.ErrFileUnreadable), "Then run apply again"},
		{"file swapped after the check", "plan", &manifest.FieldError{File: "wxmedia.yaml", Msg: "media/a.png leads outside the manifest directory", Err: &assetfile.Error{File: "media/a.png"}}, "Then run plan again"},
		{"unfinished", "apply", errmark.Mark(errors.New("1 forget(s) held back"), operation.ErrUnfinished), "Run apply again to finish them"},
		{"expand pending", "apply", errmark.Mark(errors.New("expanding audience package p failed"), operation.ErrExpandPending), "Run apply again to expand it without uploading"},
		{"daily quota", "apply", quota, "Run apply again tomorrow"},
		{"rate limit", "apply", &providers.APIError{Asset: "a", HTTPStatus: 429, Hint: providers.RateLimitHint("slow down", "")}, ""},
		{"errored dump waiting", "apply", &operation.ErroredDumpError{Msg: "wxmedia.errored.lock.json exists"}, "Then run apply again"},
		{"write failed, dumped", "apply", &lockfile.WriteError{Path: "wxmedia.lock.json", Err: fs.ErrPermission, Errored: "wxmedia.errored.lock.json"}, "Then run apply again"},
		{"write failed, no dump", "apply", &lockfile.WriteError{Path: "wxmedia.lock.json", Err: fs.ErrPermission}, ""},
		{"state changed", "forget", fmt.Errorf("saving: %w", operation.ErrStateChanged), "Run plan again to see the current state"},
		{"lock is a link", "state push", errmark.Mark(&lockfile.LinkError{Path: "wxmedia.lock.json.lock"}, lockfile.ErrNotRegular), "Then run `wxmedia state push` again"},
		{"nothing stored", "state pull", errmark.Mark(fmt.Errorf("%w: nothing is stored yet", lockfile.ErrNotExist), operation.ErrNothingStored), "Run `wxmedia apply` (or `wxmedia state push` to store an existing lockfile) first"},
		{"plan file unreadable", "apply", &planfile.ParseError{Path: "p.plan", Reason: "not a wxmedia plan file"}, "Make a new one with `wxmedia plan -out p.plan`"},
		{"plan file edited", "apply", &planfile.MismatchError{Path: "p.plan", Diffs: []string{"x"}}, "Make a new one with `wxmedia plan -out p.plan` and review it"},
		{"journal beside", "state merge", &operation.JournalBesideError{Journal: "l.json.journal", Lockfile: "l.json"}, "Abort the merge (`git merge --abort`), run `wxmedia apply` on this branch to fold the journal, commit the lockfile, and merge again"},
		{"accounts", "apply", &operation.AccountsError{Problems: errors.New("accounts.legacy: key not set")}, "Fix the account settings above and run apply again"},
		{"several failures, one advice each", "apply", multierror.Append(nil,
			fmt.Errorf("a: %w", &providers.FileChangedError{Detail: "x"}),
			fmt.Errorf("b: %w", &providers.FileChangedError{Detail: "y"}),
			errmark.Mark(errors.New("1 forget(s) held back"), operation.ErrUnfinished)),
			"Run plan again. Run apply again to finish them"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := diagnose(tc.err, tc.cmd)
			if d.Advice != tc.want {
				t.Errorf("advice %q, want %q", d.Advice, tc.want)
			}
			if d.Summary != tc.err.Error() {
				t.Errorf("summary %q, want the error's text %q", d.Summary, tc.err.Error())
			}
			if tc.want != "" && !strings.HasSuffix(d.String(), tc.want) {
				t.Errorf("rendered %q does not end with the advice", d.String())
			}
		})
	}
}

// TestDiagnoseStalePlan: a stale saved plan is rendered as summary, reason
// and the advice for its reason.
func TestDiagnoseStalePlan(t *testing.T) {
	err := &planfile.StaleError{Why: planfile.StaleEnv, Reason: "it was made for -env prod"}
	got := diagnose(err, "apply").String()
	want := planfile.ErrStale.Error() + ": it was made for -env prod; nothing was changed. Apply it with the same -env (or WXMEDIA_ENV), or make a new plan"
	if got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}
