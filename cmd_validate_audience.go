package main

import (
	"fmt"

	"github.com/wxmedia/wxmedia/manifest"
	"github.com/wxmedia/wxmedia/planner"
)

// reportAudiences tells validate's user how many lines each user_package
// file holds (to stdout, unless -json), and warns on stderr about files
// longer than WeChat Pay advises.
func (c *cli) reportAudiences(m *manifest.Manifest, lines map[string]int) {
	if len(lines) == 0 {
		return
	}
	if !c.json {
		for _, a := range m.Assets {
			if n, ok := lines[a.Name]; ok {
				fmt.Fprintf(c.stdout, "%s: %s holds %d %s of %s.\n", a.Name, a.File, n, plural(n, "line", "lines"), a.DataType)
			}
		}
	}
	for _, w := range planner.AudienceWarnings(m, lines) {
		fmt.Fprintln(c.stderr, "Warning: "+w)
	}
}
