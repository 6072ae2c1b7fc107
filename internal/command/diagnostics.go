package command

import (
	"errors"

	"github.com/wxmedia/wxmedia/operation"
	"github.com/wxmedia/wxmedia/planfile"
	"github.com/wxmedia/wxmedia/views"
)

// Advice is added to errors here, where they are rendered: the packages
// below return typed errors that say what is wrong, and only the command
// line knows which command to suggest.

// staleAdvice says what to do about each reason a saved plan is stale.
var staleAdvice = map[planfile.Stale]string{
	planfile.StaleLockfile: "Make a new plan",
	planfile.StaleLineage:  "Make a new plan against this lockfile",
	planfile.StaleManifest: "Make a new plan",
	planfile.StaleEnv:      "Apply it with the same -env (or WXMEDIA_ENV), or make a new plan",
	planfile.StaleContent:  "Make a new plan",
}

// diagnose turns err into the diagnostic the user reads.
func diagnose(err error) views.Diagnostic {
	var se *planfile.StaleError
	if errors.As(err, &se) && se == err {
		return views.Diagnostic{Summary: planfile.ErrStale.Error(), Detail: se.Reason + "; nothing was changed", Advice: staleAdvice[se.Why]}
	}
	var ae *operation.AccountsError
	if errors.As(err, &ae) && ae == err {
		return views.Diagnostic{Summary: err.Error(), Advice: "Fix the account settings above and run apply again"}
	}
	return views.Diagnostic{Summary: err.Error()}
}
