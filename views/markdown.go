package views

import (
	"fmt"
	"io"
	"strings"

	"github.com/wxmedia/wxmedia/internal/safetext"
	"github.com/wxmedia/wxmedia/mediatype"
	"github.com/wxmedia/wxmedia/planner"
)

// MarkdownLimit keeps a Markdown plan under GitHub's 65,536-character
// comment limit, with room for a wrapper the pipeline adds.
const MarkdownLimit = 60000

type planMarkdown struct {
	w     io.Writer
	limit int
}

// mdCode renders s as an inline code span, the one Markdown construct
// whose content GitHub neither formats nor links: no @mention pings a
// team, no #123 becomes an issue reference, no URL or www. name becomes a
// link, and no <tag> is interpreted. Control characters are escaped first
// (safetext), the fence is longer than any run of backticks in s, and '|'
// is escaped so that the table keeps its columns (GFM reads `\|` inside a
// code span in a table as '|').
func mdCode(s string) string {
	if s == "" {
		return ""
	}
	s = safetext.Escape(s)
	run, longest := 0, 0
	for i := 0; i < len(s); i++ {
		if s[i] == '`' {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	fence := strings.Repeat("`", longest+1)
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") || strings.HasPrefix(s, " ") || strings.HasSuffix(s, " ") {
		s = " " + s + " " // CommonMark strips one space on each side
	}
	return fence + strings.ReplaceAll(s, "|", `\|`) + fence
}

func (v *planMarkdown) Render(p *planner.Plan) error {
	var head, rows, tail strings.Builder
	head.WriteString("### wxmedia plan")
	if p.Environment != "" {
		fmt.Fprintf(&head, " (environment %s)", mdCode(p.Environment))
	}
	head.WriteString("\n\n")
	if !p.HasChanges() {
		fmt.Fprintf(&head, "**No changes.** %d %s up to date with the lockfile.\n", p.Summary.NoOp, plural(p.Summary.NoOp, "asset is", "assets are"))
		_, err := io.WriteString(v.w, head.String())
		return err
	}
	fmt.Fprintf(&head, "**%s**\n\n", SummaryLine(p.Summary))
	multi := spansAccounts(p)
	if multi {
		head.WriteString("| action | asset | account | type | size | reason |\n|---|---|---|---|---|---|\n")
	} else {
		head.WriteString("| action | asset | type | size | reason |\n|---|---|---|---|---|\n")
	}
	var unchanged []string
	for _, c := range p.Changes {
		if c.Action == planner.NoOp {
			unchanged = append(unchanged, c.Name)
			continue
		}
		name := mdCode(c.Name)
		if c.From != "" {
			name = mdCode(c.From) + " → " + name
		}
		size := ""
		if c.After != nil {
			size = mediatype.HumanSize(c.After.Size)
		}
		typ := mdCode(c.Type)
		if multi {
			typ = mdCode(c.Account) + " | " + typ
		}
		fmt.Fprintf(&rows, "| %s | %s | %s | %s | %s |\n", c.Action, name, typ, size, mdCode(c.Reason))
	}
	if len(unchanged) > 0 {
		fmt.Fprintf(&tail, "\n<details><summary>%d unchanged %s</summary>\n\n", len(unchanged), plural(len(unchanged), "asset", "assets"))
		for _, n := range unchanged {
			fmt.Fprintf(&tail, "- %s\n", mdCode(n))
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
