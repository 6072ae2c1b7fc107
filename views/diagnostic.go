package views

import (
	"io"
	"strings"
)

// Diagnostic is an error as the user reads it, in the manner of
// Terraform's tfdiags: what went wrong (Summary, then Detail), and what to
// do about it (Advice). The packages that find a problem return typed
// errors without advice; the command that renders one adds the advice,
// because only it knows which command to suggest.
type Diagnostic struct {
	Summary string
	Detail  string
	Advice  string
}

// String is the diagnostic as one message: "summary: detail. Advice". When
// the summary and detail take several lines (a list of failed changes),
// the advice, which concerns them all, goes on a line of its own.
func (d Diagnostic) String() string {
	var b strings.Builder
	b.WriteString(d.Summary)
	if d.Detail != "" {
		b.WriteString(": " + d.Detail)
	}
	switch {
	case d.Advice == "":
	case strings.Contains(b.String(), "\n"):
		b.WriteString("\n" + d.Advice)
	default:
		b.WriteString(". " + d.Advice)
	}
	return b.String()
}

// Render prints d as an error in the house style (see Error).
func (d Diagnostic) Render(w io.Writer) { Error(w, d.String()) }
