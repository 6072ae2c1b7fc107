package views

import (
	"bufio"
	"io"
	"strings"

	"github.com/olekukonko/tablewriter/pkg/twwidth"

	"github.com/wxmedia/wxmedia/planner"
)

// streamRowsAbove is the number of plan rows above which the human plan
// table is written line by line (streamTable) instead of through
// tablewriter, which holds every cell several times over: for 100,000
// rows, half a gigabyte of allocations and half the time of a plan. Both
// give the same bytes (TestStreamTableMatchesTablewriter). A variable for
// tests.
var streamRowsAbove = 2000

// planRow returns the table cells of change c.
func planRow(c *planner.Change) []string {
	size := ""
	if c.After != nil {
		size = planner.HumanSize(c.After.Size)
	}
	name := c.Name
	if c.From != "" {
		name = c.From + " → " + c.Name
	}
	return []string{ActionLabel(c.Action), name, c.Type, size, c.Reason}
}

// streamTable writes the plan table as tablewriter lays it out with
// planHuman's settings: each cell padded to its column's display width
// with one space either side, no borders, a line of dashes under the
// header. It measures the columns in one pass over p and writes each row
// as it goes.
func streamTable(w io.Writer, header []string, p *planner.Plan) error {
	widths := make([]int, len(header))
	for i, h := range header {
		widths[i] = twwidth.Width(h)
	}
	for _, c := range p.Changes {
		if c.Action == planner.NoOp {
			continue
		}
		for i, cell := range planRow(c) {
			widths[i] = max(widths[i], twwidth.Width(cell))
		}
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	line := func(cells []string) {
		for i, cell := range cells {
			bw.WriteByte(' ')
			bw.WriteString(cell)
			bw.WriteString(strings.Repeat(" ", widths[i]-twwidth.Width(cell)+1))
		}
		bw.WriteByte('\n')
	}
	line(header)
	total := 0
	for _, wd := range widths {
		total += wd + 2
	}
	bw.WriteString(strings.Repeat("-", total))
	bw.WriteByte('\n')
	for _, c := range p.Changes {
		if c.Action != planner.NoOp {
			line(planRow(c))
		}
	}
	return bw.Flush()
}
