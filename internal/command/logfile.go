package command

import (
	"fmt"
	"os"
	"strings"

	"github.com/wxmedia/wxmedia/debuglog"
)

// startTrace installs the debug trace: to -log-file FILE (appended), or to
// stderr when WXMEDIA_LOG=debug. The returned function uninstalls it.
func (c *cli) startTrace() (func(), error) {
	level := strings.ToLower(strings.TrimSpace(os.Getenv("WXMEDIA_LOG")))
	switch {
	case c.logFile != "":
		f, err := os.OpenFile(c.logFile, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
		if err != nil {
			return nil, fmt.Errorf("-log-file: %w; name a file in a writable directory", err)
		}
		prev := debuglog.SetDefault(debuglog.New(f))
		return func() { debuglog.SetDefault(prev); f.Close() }, nil
	case level == "debug" || level == "trace":
		prev := debuglog.SetDefault(debuglog.New(c.stderr))
		return func() { debuglog.SetDefault(prev) }, nil
	case level != "" && level != "off":
		fmt.Fprintf(c.stderr, "Warning: WXMEDIA_LOG=%s is not a known level; set WXMEDIA_LOG=debug for the HTTP trace. No trace is written.\n", os.Getenv("WXMEDIA_LOG"))
	}
	return func() {}, nil
}
