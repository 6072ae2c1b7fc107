package main

import (
	"fmt"
	"os"

	"github.com/wxmedia/wxmedia/accounts"
	"github.com/wxmedia/wxmedia/lockfile"
)

// erroredDump describes the errored-state dump an earlier apply left for
// this workspace's state (beside the lockfile, or in the user cache
// directory when it could not be written there) and how to recover; ""
// when there is none.
func (w *workspace) erroredDump() string {
	for _, p := range lockfile.ErroredPaths(lockfile.ErroredPathFor(w.lockPath)) {
		if _, err := os.Lstat(p); err != nil {
			continue
		}
		if w.remote != nil {
			return fmt.Sprintf("%s exists: an earlier apply could not write %s and saved its full state there. %s", p, w.remote.Name(), w.remote.RecoverHint(p))
		}
		return fmt.Sprintf("%s exists: an earlier apply could not write %s and saved its full state there. Check it, move it over %s (or delete it if the lockfile is already complete)", p, w.lockPath, w.lockPath)
	}
	return ""
}

// newResolver returns the accounts resolver for w, its warnings going to
// stderr.
func (c *cli) newResolver(w *workspace) *accounts.Resolver {
	r := accounts.New(w.m)
	r.Warn = func(msg string) { fmt.Fprintf(c.stderr, "Warning: %s.\n", msg) }
	return r
}
