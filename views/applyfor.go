package views

import (
	"fmt"
	"io"

	"github.com/wxmedia/wxmedia/planner"
)

// ApplyFor picks the view of apply's progress: JSON events on stdout with
// -json, progress bars when stderr is a terminal, else plain lines on
// stderr.
func ApplyFor(stdout, stderr io.Writer, json bool, p *planner.Plan) Apply {
	switch {
	case json:
		return NewApply(stdout, true)
	case IsTerminal(stderr):
		return NewApplyProgress(stderr, p)
	}
	return NewApply(stderr, false)
}

// ApplyConfirm asks, on w, whether to perform the plan shown.
func ApplyConfirm(w io.Writer) {
	fmt.Fprint(w, "\nDo you want to perform these actions?\n  Only 'yes' will be accepted to approve.\n\n  Enter a value: ")
}

// Interrupted tells, on w, what the first (or second) interrupt of an
// apply does.
func Interrupted(w io.Writer, second bool) {
	if second {
		fmt.Fprintln(w, "\nSecond interrupt: aborting uploads in flight. The lockfile holds everything recorded so far.")
		return
	}
	fmt.Fprintln(w, "\nInterrupt received: no new uploads will start; waiting for uploads in flight to finish and be recorded. Press Ctrl-C again to abort them.")
}
