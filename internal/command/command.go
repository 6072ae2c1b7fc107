// Package command is wxmedia's command layer: it parses the global flags and
// each command's arguments, runs the operation (package operation) and
// renders the result through views. One file per command, named for it
// (apply.go, state_history.go ...), each registering itself in an init
// function; Run is the whole program but for the process exit.
package command

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/wxmedia/wxmedia/internal/cliflag"
	"github.com/wxmedia/wxmedia/views"
)

// Exit codes (CONTRACT.md).
const (
	ExitOK          = 0
	ExitError       = 1
	ExitChanges     = 2
	ExitInterrupted = 130
)

// command is one subcommand.
type command struct {
	name     string
	synopsis string
	usage    string // argument summary after the name
	help     string // longer description
	// args makes a fresh struct for the command's own flags: one per run.
	args func() cmdArgs
}

// cmdArgs is one command's own flags, and the command run with them.
type cmdArgs interface {
	bind(fs *flag.FlagSet)
	run(c *cli, args []string) int
}

// simple is a command without flags of its own.
type simple func(c *cli, args []string) int

func (simple) bind(*flag.FlagSet) {}

func (f simple) run(c *cli, args []string) int { return f(c, args) }

func (f simple) args() cmdArgs { return f }

var commands = map[string]*command{}

func register(c *command) { commands[c.name] = c }

// cli holds what every command shares: streams and the global flags.
type cli struct {
	stdin          io.Reader
	stdout, stderr io.Writer

	chdir        string
	manifestPath string
	lockfilePath string
	env          string // -env, or WXMEDIA_ENV
	noColor      bool
	json         bool
	logFile      string

	// stdinTTY reports whether the user can answer prompts.
	stdinTTY bool

	// version is wxmedia's version, for `wxmedia version` and the
	// User-Agent of uploads.
	version string

	// name is the command running ("apply", "state push"), for advice
	// such as "run `wxmedia apply` again".
	name string
}

func (c *cli) globalFlags(fs *flag.FlagSet) {
	fs.StringVar(&c.chdir, "chdir", c.chdir, "switch to `DIR` before doing anything else")
	fs.StringVar(&c.manifestPath, "manifest", c.manifestPath, "manifest `FILE`")
	fs.StringVar(&c.lockfilePath, "lockfile", c.lockfilePath, "lockfile `FILE` (default: wxmedia.lock.json beside the manifest; NAME.lock.json for -manifest NAME.yaml; wxmedia.ENV.lock.json for -env ENV)")
	fs.StringVar(&c.env, "env", c.env, "select the environment `ENV` of the manifest's environments block (also WXMEDIA_ENV)")
	fs.BoolVar(&c.noColor, "no-color", c.noColor, "disable colour (also honours NO_COLOR)")
	fs.BoolVar(&c.json, "json", c.json, "machine-readable JSON output")
	fs.StringVar(&c.logFile, "log-file", c.logFile, "append a redacted debug trace of every HTTP exchange to `FILE` (see WXMEDIA_LOG)")
}

// Run runs the wxmedia command line args (without the program name) with
// the given streams and returns the exit code. version is the program's
// version (the main package's build stamp).
func Run(version string, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	c := &cli{stdin: stdin, stdout: stdout, stderr: stderr, manifestPath: "wxmedia.yaml", env: os.Getenv("WXMEDIA_ENV"), version: version}
	top := flag.NewFlagSet("wxmedia", flag.ContinueOnError)
	top.SetOutput(stderr)
	c.globalFlags(top)
	showVersion := top.Bool("version", false, "print the version and exit")
	top.Usage = func() { c.mainUsage(stderr) }
	if err := top.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return ExitOK
		}
		return ExitError
	}
	if *showVersion {
		return runVersion(c, nil)
	}
	rest := top.Args()
	if len(rest) == 0 {
		c.mainUsage(stderr)
		return ExitError
	}
	if rest[0] == completeCommand {
		return runComplete(c, rest[1:])
	}
	cmd, ok := commands[rest[0]]
	if !ok {
		fmt.Fprintf(stderr, "wxmedia: unknown command %q%s\n\n", rest[0], suggest(rest[0]))
		c.mainUsage(stderr)
		return ExitError
	}
	fs := flag.NewFlagSet("wxmedia "+cmd.name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	c.globalFlags(fs)
	c.name = cmd.name
	ca := cmd.args()
	ca.bind(fs)
	fs.Usage = func() { views.CommandUsage(stderr, cmd.name, cmd.usage, cmd.synopsis, cmd.help, fs.PrintDefaults) }
	if err := fs.Parse(cliflag.Interleave(fs, rest[1:])); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return ExitOK
		}
		return ExitError
	}
	if msg := cliflag.Check(fs, flagExceptions); msg != "" {
		return c.usageError(msg)
	}
	if c.chdir != "" {
		if err := os.Chdir(c.chdir); err != nil {
			fmt.Fprintf(stderr, "Error: -chdir: %v\n", err)
			return ExitError
		}
	}
	views.SetColor(c.noColor, stdout)
	c.stdinTTY = views.IsTerminal(stdin)
	stopTrace, err := c.startTrace()
	if err != nil {
		fmt.Fprintf(stderr, "Error: %v\n", err)
		return ExitError
	}
	defer stopTrace()
	return ca.run(c, fs.Args())
}

func (c *cli) mainUsage(w io.Writer) {
	views.Usage(w, commandNames(), func(n string) string { return commands[n].synopsis })
}

func suggest(name string) string {
	for n := range commands {
		if strings.HasPrefix(n, name) || strings.HasPrefix(name, n) {
			return fmt.Sprintf(" (did you mean %q?)", n)
		}
	}
	return ""
}
