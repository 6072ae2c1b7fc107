package views

import (
	"fmt"
	"io"
	"strings"

	"github.com/wxmedia/wxmedia/planner"
)

// MarkdownLimit keeps a Markdown plan under GitHub's 65,536-character
// comment limit, with room for a wrapper the pipeline adds.
const MarkdownLimit = 60000

type planMarkdown struct {
	w     io.Writer
	limit int
}

var mdEscaper = strings.NewReplacer(`\`, `\\`, "|", `\|`, "`", "\\`", "*", `\*`, "_", `\_`, "<", "&lt;", ">", "&gt;", "[", `\[`, "]", `\]`, "\n", " ", "\r", " ")

func mdEscape(s string) string { return mdEscaper.Replace(s) }

func (v *planMarkdown) Render(p *planner.Plan) error {
	var head, rows, tail strings.Builder
	head.WriteString("### wxmedia plan")
	if p.Environment != "" {
		fmt.Fprintf(&head, " (environment %s)", mdEscape(p.Environment))
	}
	head.WriteString("\n\n")
	if !p.HasChanges() {
		fmt.Fprintf(&head, "**No changes.** %d %s up to date with the lockfile.\n", p.Summary.NoOp, plural(p.Summary.NoOp, "asset is", "assets are"))
		_, err := io.WriteString(v.w, head.String())
		return err
	}
	fmt.Fprintf(&head, "**%s**\n\n", SummaryLine(p.Summary))
	head.WriteString("| action | asset | type | size | reason |\n|---|---|---|---|---|\n")
	var unchanged []string
	for _, c := range p.Changes {
		if c.Action == planner.NoOp {
			unchanged = append(unchanged, c.Name)
			continue
		}
		name := mdEscape(c.Name)
		if c.From != "" {
			name = mdEscape(c.From) + " → " + name
		}
		size := ""
		if c.After != nil {
			size = planner.HumanSize(c.After.Size)
		}
		fmt.Fprintf(&rows, "| %s | %s | %s | %s | %s |\n", c.Action, name, mdEscape(c.Type), size, mdEscape(c.Reason))
	}
	if len(unchanged) > 0 {
		fmt.Fprintf(&tail, "\n<details><summary>%d unchanged %s</summary>\n\n", len(unchanged), plural(len(unchanged), "asset", "assets"))
		for _, n := range unchanged {
			fmt.Fprintf(&tail, "- %s\n", mdEscape(n))
		}
		tail.WriteString("\n</details>\n")
	}
	out := head.String() + rows.String() + tail.String()
	if len(out) > v.limit {
		out = truncateMarkdown(head.String(), rows.String(), tail.String(), v.limit)
	}
	_, err := io.WriteString(v.w, out)
	return err
}

// truncateMarkdown drops whole rows (unchanged list first) so the comment
// fits, and says how many were left out.
func truncateMarkdown(head, rows, tail string, limit int) string {
	note := func(n int) string {
		return fmt.Sprintf("\n_… %d more %s not shown to stay under the comment size limit; run `wxmedia show -markdown` or `wxmedia plan` locally for the full plan._\n", n, plural(n, "line", "lines"))
	}
	budget := limit - len(head) - len(note(999999))
	lines := strings.SplitAfter(rows, "\n")
	var b strings.Builder
	b.WriteString(head)
	kept := 0
	for _, l := range lines {
		if l == "" {
			continue
		}
		if b.Len()+len(l) > len(head)+budget {
			break
		}
		b.WriteString(l)
		kept++
	}
	dropped := len(strings.Split(strings.TrimSuffix(rows, "\n"), "\n")) - kept
	if tail != "" {
		dropped += strings.Count(tail, "\n- ")
	}
	b.WriteString(note(dropped))
	return b.String()
}
