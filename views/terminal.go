package views

import (
	"fmt"
	"io"
	"os"
	"strconv"

	"github.com/fatih/color"
	"github.com/mattn/go-isatty"
)

// Terminal decisions: whether a stream is a terminal, whether to colour,
// and how wide the plan table may be. Commands ask here and nowhere else.

// IsTerminal reports whether x is a terminal (an *os.File that is a TTY).
func IsTerminal(x any) bool {
	f, ok := x.(*os.File)
	if !ok {
		return false
	}
	return isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd())
}

// SetColor turns colour on only for a terminal stdout, and off with
// -no-color (noColor) or NO_COLOR in the environment.
func SetColor(noColor bool, stdout io.Writer) {
	color.NoColor = noColor || os.Getenv("NO_COLOR") != "" || !IsTerminal(stdout)
}

// TermWidth is the width the human plan table must fit: $COLUMNS when set
// (as shells export it, and for tests), else the terminal's width when
// stdout is one, else 0 for no limit (pipes and logs keep whole lines).
func TermWidth(stdout io.Writer) int {
	if n, err := strconv.Atoi(os.Getenv("COLUMNS")); err == nil && n > 0 {
		return n
	}
	f, ok := stdout.(*os.File)
	if !ok || !IsTerminal(f) {
		return 0
	}
	return terminalColumns(f)
}

// Error prints msg in the house style: a red, bold "Error:" and the message.
func Error(w io.Writer, msg string) {
	fmt.Fprintf(w, "%s %s\n", color.New(color.FgRed, color.Bold).Sprint("Error:"), msg)
}
