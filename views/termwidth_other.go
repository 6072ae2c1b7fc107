//go:build !unix

package views

import "os"

// terminalColumns returns 0: without a portable way to ask, the table is
// not fitted (set COLUMNS to fit it).
func terminalColumns(*os.File) int { return 0 }
