package views

import (
	"bufio"
	"io"
	"strings"

	"github.com/olekukonko/tablewriter/pkg/twwidth"
)

// streamRowsAbove is the number of plan rows above which the human plan
// table is written line by line (streamTable) instead of through
// tablewriter, which holds every cell several times over: for 100,000
// rows, half a gigabyte of allocations and half the time of a plan. Both
// give the same bytes (TestStreamTableMatchesTablewriter). A variable for
// tests.
var streamRowsAbove = 2000

// streamTable writes t as tablewriter lays it out with planHuman's
// settings: each cell padded to its column's display width with one space
// either side, no borders, a line of dashes under the header. The action
// column is measured plain and written coloured, as planHuman does.
func streamTable(w io.Writer, t *table) error {
	widths := t.columnWidths(twwidth.Width) // as tablewriter measures
	bw := bufio.NewWriterSize(w, 64<<10)
	line := func(cells []string, first string) {
		for i, cell := range cells {
			bw.WriteByte(' ')
			if i == 0 && first != "" {
				bw.WriteString(first)
			} else {
				bw.WriteString(cell)
			}
			bw.WriteString(strings.Repeat(" ", widths[i]-twwidth.Width(cell)+1))
		}
		bw.WriteByte('\n')
	}
	line(t.header, "")
	total := 0
	for _, wd := range widths {
		total += wd + 2
	}
	bw.WriteString(strings.Repeat("-", total))
	bw.WriteByte('\n')
	for i, row := range t.rows {
		line(row, ActionLabel(t.actions[i]))
	}
	return bw.Flush()
}
