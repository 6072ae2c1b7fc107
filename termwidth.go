package main

import (
	"os"
	"strconv"
)

// termWidth is the width the human plan table must fit: $COLUMNS when set
// (as shells export it, and for tests), else the terminal's width when
// stdout is one, else 0 for no limit (pipes and logs keep whole lines).
func (c *cli) termWidth() int {
	if n, err := strconv.Atoi(os.Getenv("COLUMNS")); err == nil && n > 0 {
		return n
	}
	f, ok := c.stdout.(*os.File)
	if !ok || !isTerminal(f) {
		return 0
	}
	return terminalColumns(f)
}
