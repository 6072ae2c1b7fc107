package command

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"strings"

	"github.com/wxmedia/wxmedia/internal/cliflag"
	"github.com/wxmedia/wxmedia/operation"
	"github.com/wxmedia/wxmedia/views"
)

// What every command shares: loading the workspace from the global
// options, printing JSON, usage errors and confirmation prompts.

// loadArgs are the global options as operation.LoadArgs; commands set
// their own fields (NoSecrets, RefreshHashes, KeepPartial) on the copy.
func (c *cli) loadArgs() operation.LoadArgs {
	return operation.LoadArgs{ManifestPath: c.manifestPath, LockfilePath: c.lockfilePath, Env: c.env, Log: c.stderr}
}

// loadWorkspace loads the workspace of the global options.
func (c *cli) loadWorkspace() (*operation.Workspace, error) { return operation.Load(c.loadArgs()) }

// planView picks the plan view for the output flags.
func (c *cli) planView(markdown bool) views.Plan {
	switch {
	case c.json:
		return views.NewPlan(c.stdout, views.JSON)
	case markdown:
		return views.NewPlan(c.stdout, views.Markdown)
	}
	return views.NewHumanPlan(c.stdout, views.TermWidth(c.stdout))
}

// fail prints err in the house style and returns ExitError.
func (c *cli) fail(err error) int {
	diagnose(err, c.name).Render(c.stderr)
	return ExitError
}

func (c *cli) printJSON(v any) int {
	enc := json.NewEncoder(c.stdout)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return c.fail(err)
	}
	return ExitOK
}

func (c *cli) usageError(msg string) int {
	fmt.Fprintf(c.stderr, "Error: %s; see -h\n", msg)
	return ExitError
}

// confirm asks the user to type yes, or fails saying how to skip asking
// (autoApprove skips it).
func (c *cli) confirm(what, flagName string, autoApprove bool) error {
	if autoApprove {
		return nil
	}
	if !c.stdinTTY {
		return fmt.Errorf("%s needs confirmation, but standard input is not a terminal; re-run with %s", what, flagName)
	}
	fmt.Fprint(c.stdout, "\nOnly 'yes' will be accepted to approve.\n\n  Enter a value: ")
	if !c.readYes() {
		return fmt.Errorf("%s cancelled; nothing was changed", what)
	}
	return nil
}

// readYes reads one line from stdin and reports whether it says yes.
func (c *cli) readYes() bool {
	line, _ := bufio.NewReader(c.stdin).ReadString('\n')
	return strings.TrimSpace(line) == "yes"
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// planArgs are the flags plan and apply share.
type planArgs struct {
	targets, replace cliflag.StringList
	operation.PlanArgs
}

func (a *planArgs) bind(fs *flag.FlagSet) {
	fs.Var(&a.targets, "target", "limit to assets matching `NAME` (repeatable; globs allowed)")
	fs.Var(&a.replace, "replace", "force re-upload of `NAME` (repeatable; globs allowed)")
	fs.IntVar(&a.Parallelism, "parallelism", 4, "upload up to `N` files at once")
	fs.BoolVar(&a.RefreshHashes, "refresh-hashes", false, "hash every file, ignoring the stat cache in .wxmedia/ (which is then rewritten)")
}

// args returns the parsed flags for the operation.
func (a *planArgs) args() *operation.PlanArgs {
	a.Targets, a.Replace = a.targets, a.replace
	return &a.PlanArgs
}
