package views

import (
	"strings"

	"github.com/mattn/go-runewidth"

	"github.com/wxmedia/wxmedia/internal/safetext"
	"github.com/wxmedia/wxmedia/mediatype"
	"github.com/wxmedia/wxmedia/planner"
)

// symbols explains each action's mark, for the legend above a plan.
var symbols = []struct {
	action planner.Action
	text   string
}{
	{planner.Create, "+ create      upload a new file"},
	{planner.Replace, "-/+ replace   upload again; the new ID replaces the recorded one"},
	{planner.Rename, "~ rename      move the recorded ID to the new name; nothing is uploaded"},
	{planner.Forget, "- forget      drop the lockfile entry (WeChat Pay media cannot be deleted)"},
}

// legend lists the marks the plan uses, as Terraform does.
func legend(p *planner.Plan) string {
	used := map[planner.Action]bool{}
	for _, c := range p.Changes {
		used[c.Action] = true
	}
	var b strings.Builder
	b.WriteString("Actions are marked with these symbols:\n")
	for _, s := range symbols {
		if used[s.action] {
			b.WriteString("  " + s.text + "\n")
		}
	}
	return b.String()
}

// table is a plan's rows as plain text, measured before colour is added.
type table struct {
	header  []string
	rows    [][]string
	actions []planner.Action
	// asset and reason are the columns that give way to a narrow terminal.
	asset, reason int
}

// planTable lays out the changes of p, with an ACCOUNT column when they
// span more than one account.
func planTable(p *planner.Plan) *table {
	multi := spansAccounts(p)
	t := &table{header: []string{"ACTION", "ASSET", "TYPE", "SIZE", "REASON"}, asset: 1, reason: 4}
	if multi {
		t.header = []string{"ACTION", "ASSET", "ACCOUNT", "TYPE", "SIZE", "REASON"}
		t.reason = 5
	}
	for _, c := range p.Changes {
		if c.Action == planner.NoOp {
			continue
		}
		size := ""
		if c.After != nil {
			size = mediatype.HumanSize(c.After.Size)
		}
		// Names, types and reasons can come from a saved plan file, which
		// anyone may have edited: a control character must not act on the
		// reviewer's terminal.
		name := safetext.Escape(c.Name)
		if c.From != "" {
			name = safetext.Escape(c.From) + " → " + name
		}
		typ, reason := safetext.Escape(c.Type), safetext.Escape(c.Reason)
		row := []string{plainLabel(c.Action), name, typ, size, reason}
		if multi {
			row = []string{plainLabel(c.Action), name, safetext.Escape(c.Account), typ, size, reason}
		}
		t.rows = append(t.rows, row)
		t.actions = append(t.actions, c.Action)
	}
	return t
}

// spansAccounts reports whether the plan's assets belong to more than one
// account, which is when tables show an ACCOUNT column.
func spansAccounts(p *planner.Plan) bool {
	first := ""
	for i, c := range p.Changes {
		if i == 0 {
			first = c.Account
		} else if c.Account != first {
			return true
		}
	}
	return false
}

func plainLabel(a planner.Action) string {
	switch a {
	case planner.Create:
		return "+ create"
	case planner.Replace:
		return "-/+ replace"
	case planner.Rename:
		return "~ rename"
	case planner.Forget:
		return "- forget"
	}
	return "  no-op"
}

// cellPad is what the table adds around each cell: a space either side.
const cellPad = 2

// columnWidths returns each column's widest cell, header included, as
// measure counts display columns.
func (t *table) columnWidths(measure func(string) int) []int {
	widths := make([]int, len(t.header))
	for i, h := range t.header {
		widths[i] = measure(h)
	}
	for _, r := range t.rows {
		for i, cell := range r {
			widths[i] = max(widths[i], measure(cell))
		}
	}
	return widths
}

// fit shortens the asset and reason columns so that every line is at most
// width columns wide (0: no limit). Asset names lose their middle, where
// paths differ least; reasons lose their end. Each keeps a minimum, so a
// very narrow terminal wraps rather than showing nothing.
func (t *table) fit(width int) {
	if width <= 0 {
		return
	}
	widths := t.columnWidths(runewidth.StringWidth)
	total := 0
	for _, w := range widths {
		total += w + cellPad
	}
	over := total - width
	if over <= 0 {
		return
	}
	const minAsset, minReason = 16, 12
	// The reason gives way first, then the asset name.
	newReason := max(widths[t.reason]-over, min(minReason, widths[t.reason]))
	over -= widths[t.reason] - newReason
	newAsset := widths[t.asset]
	if over > 0 {
		newAsset = max(widths[t.asset]-over, min(minAsset, widths[t.asset]))
	}
	for _, r := range t.rows {
		r[t.asset] = truncateMiddle(r[t.asset], newAsset)
		r[t.reason] = truncateEnd(r[t.reason], newReason)
	}
}

// truncateMiddle shortens s to at most w columns by replacing its middle
// with "…".
func truncateMiddle(s string, w int) string {
	if runewidth.StringWidth(s) <= w || w < 3 {
		return s
	}
	r := []rune(s)
	keep := w - 1
	headW := keep / 2
	head := runewidth.Truncate(s, headW, "")
	tailW := keep - runewidth.StringWidth(head)
	i := len(r)
	for i > 0 && runewidth.StringWidth(string(r[i-1:])) <= tailW {
		i--
	}
	return head + "…" + string(r[i:])
}

// truncateEnd shortens s to at most w columns, ending in "…".
func truncateEnd(s string, w int) string {
	if runewidth.StringWidth(s) <= w || w < 2 {
		return s
	}
	return runewidth.Truncate(s, w, "…")
}
