package views

import (
	"fmt"
	"io"
	"strings"

	"github.com/fatih/color"
	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/renderer"
	"github.com/olekukonko/tablewriter/tw"

	"github.com/wxmedia/wxmedia/internal/safetext"
	"github.com/wxmedia/wxmedia/planner"
)

// Plan renders a plan.
type Plan interface {
	Render(p *planner.Plan) error
}

// Kind selects how a view renders.
type Kind int

// The view kinds.
const (
	Human Kind = iota
	JSON
	Markdown
)

// NewPlan returns the plan view of the given kind.
func NewPlan(w io.Writer, kind Kind) Plan {
	switch kind {
	case JSON:
		return &planJSON{w: w}
	case Markdown:
		return &planMarkdown{w: w, limit: MarkdownLimit}
	}
	return &planHuman{w: w}
}

// NewHumanPlan returns the human plan view fitting its table into width
// columns (0: no limit, for pipes and logs) by shortening asset names in
// the middle and reasons at the end.
func NewHumanPlan(w io.Writer, width int) Plan {
	return &planHuman{w: w, width: width}
}

type planJSON struct{ w io.Writer }

func (v *planJSON) Render(p *planner.Plan) error {
	data, err := p.Marshal()
	if err != nil {
		return err
	}
	_, err = v.w.Write(append(data, '\n'))
	return err
}

type planHuman struct {
	w     io.Writer
	width int
}

var (
	createColor  = color.New(color.FgGreen, color.Bold)
	replaceColor = color.New(color.FgYellow, color.Bold)
	renameColor  = color.New(color.FgCyan, color.Bold)
	forgetColor  = color.New(color.FgRed, color.Bold)
	boldColor    = color.New(color.Bold)
)

// ActionLabel is the coloured action word used in tables and logs.
func ActionLabel(a planner.Action) string {
	switch a {
	case planner.Create:
		return createColor.Sprint("+ create")
	case planner.Replace:
		return replaceColor.Sprint("-/+ replace")
	case planner.Rename:
		return renameColor.Sprint("~ rename")
	case planner.Forget:
		return forgetColor.Sprint("- forget")
	case planner.Expand:
		return renameColor.Sprint("~ expand")
	}
	return "  no-op"
}

func (v *planHuman) Render(p *planner.Plan) error {
	if p.Environment != "" {
		fmt.Fprintf(v.w, "Environment: %s\n\n", boldColor.Sprint(safetext.Escape(p.Environment)))
	}
	if !p.HasChanges() {
		_, err := fmt.Fprintf(v.w, "%s %d %s up to date with the lockfile.\n",
			boldColor.Sprint("No changes."), p.Summary.NoOp, plural(p.Summary.NoOp, "asset is", "assets are"))
		return err
	}
	fmt.Fprintln(v.w, legend(p))
	fmt.Fprintln(v.w, "wxmedia will perform the following actions:")
	fmt.Fprintln(v.w)
	tbl := planTable(p)
	tbl.fit(v.width)
	if len(tbl.rows) > streamRowsAbove {
		if err := streamTable(v.w, tbl); err != nil {
			return err
		}
		fmt.Fprintln(v.w)
		_, err := fmt.Fprintln(v.w, boldColor.Sprint(SummaryLine(p.Summary)))
		return err
	}
	t := tablewriter.NewTable(v.w,
		tablewriter.WithRenderer(renderer.NewBlueprint(tw.Rendition{
			Borders: tw.Border{Left: tw.Off, Right: tw.Off, Top: tw.Off, Bottom: tw.Off},
			Symbols: tw.NewSymbols(tw.StyleASCII),
			Settings: tw.Settings{
				Lines:      tw.Lines{ShowHeaderLine: tw.On},
				Separators: tw.Separators{BetweenColumns: tw.Off, BetweenRows: tw.Off},
			},
		})),
		tablewriter.WithHeaderAutoFormat(tw.Off),
		tablewriter.WithHeaderAlignment(tw.AlignLeft),
		tablewriter.WithRowAlignment(tw.AlignLeft),
		tablewriter.WithRowAutoWrap(tw.WrapNone),
		tablewriter.WithTrimSpace(tw.Off),
	)
	t.Header(tbl.header)
	for i, row := range tbl.rows {
		row[0] = ActionLabel(tbl.actions[i]) // colour after measuring
		if err := t.Append(row); err != nil {
			return err
		}
	}
	if err := t.Render(); err != nil {
		return err
	}
	fmt.Fprintln(v.w)
	_, err := fmt.Fprintln(v.w, boldColor.Sprint(SummaryLine(p.Summary)))
	return err
}

// SummaryLine is the last line of a human plan, e.g.
// "Plan: 3 to upload, 1 to replace, 1 to forget, 40 unchanged."
func SummaryLine(s planner.Summary) string {
	parts := []string{fmt.Sprintf("%d to upload", s.Create), fmt.Sprintf("%d to replace", s.Replace)}
	if s.Rename > 0 {
		parts = append(parts, fmt.Sprintf("%d to rename", s.Rename))
	}
	if s.Expand > 0 {
		parts = append(parts, fmt.Sprintf("%d to expand", s.Expand))
	}
	parts = append(parts, fmt.Sprintf("%d to forget", s.Forget), fmt.Sprintf("%d unchanged", s.NoOp))
	return "Plan: " + strings.Join(parts, ", ") + "."
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
