package command

import (
	"flag"
	"fmt"

	"github.com/wxmedia/wxmedia/planfile"
	"github.com/wxmedia/wxmedia/planner"
	"github.com/wxmedia/wxmedia/views"
)

// `wxmedia show PLANFILE`.

func init() {
	register(&command{name: "show", usage: "PLANFILE", synopsis: "render a saved plan (human, -json, -markdown)",
		args: func() cmdArgs { return &showArgs{} }})
}

type showArgs struct{ markdown bool }

func (a *showArgs) bind(fs *flag.FlagSet) {
	fs.BoolVar(&a.markdown, "markdown", false, "render as Markdown for a pull-request comment")
}

func (a *showArgs) run(c *cli, args []string) int {
	if len(args) != 1 {
		return c.usageError("show needs exactly one plan file")
	}
	f, err := planfile.Read(args[0])
	if err != nil {
		return c.fail(err)
	}
	// Render what the changes add up to, never a stored count: an edited
	// file could add a forget while its summary still says 0.
	if got := planner.Summarize(f.Changes); got != f.Summary {
		fmt.Fprintf(c.stderr, "Warning: %s: its stored summary (%s) does not match its changes (%s), so the file was edited; showing the summary of the changes. `wxmedia apply` refuses this plan.\n",
			args[0], views.SummaryLine(f.Summary), views.SummaryLine(got))
		f.Summary = got
	}
	if err := c.planView(a.markdown).Render(f.Plan); err != nil {
		return c.fail(err)
	}
	return ExitOK
}
