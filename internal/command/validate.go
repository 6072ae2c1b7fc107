package command

import (
	"flag"
	"fmt"

	"github.com/wxmedia/wxmedia/operation"
	"github.com/wxmedia/wxmedia/scan"
	"github.com/wxmedia/wxmedia/views"
)

// `wxmedia validate`.

func init() {
	register(&command{name: "validate", synopsis: "check the manifest, every file and every account key; report all problems",
		help: "-no-secrets skips loading keys and certificates (and says so), for pipelines\n" +
			"that get no secrets, such as pull requests from forks.",
		args: func() cmdArgs { return &validateArgs{} }})
}

// validateArgs are validate's flags.
type validateArgs operation.ValidateArgs

func (a *validateArgs) bind(fs *flag.FlagSet) {
	fs.BoolVar(&a.NoSecrets, "no-secrets", false, "do not load keys or certificates (for pipelines without secrets)")
}

func (a *validateArgs) run(c *cli, args []string) int { return runValidate(c, a, args) }

func runValidate(c *cli, a *validateArgs, args []string) int {
	if len(args) > 0 {
		return c.usageError("validate takes no arguments")
	}
	v := operation.Validate(c.loadArgs(), operation.ValidateArgs(*a))
	if c.json {
		c.printJSON(views.ValidateJSON(operation.Problems(v.Err), v.Warnings(), v.Notes))
		if v.Err != nil {
			return ExitError
		}
		return ExitOK
	}
	for _, n := range v.Notes {
		fmt.Fprintf(c.stderr, "Note: %v\n", n)
	}
	if v.W != nil && v.W.M != nil {
		c.reportAudiences(v.W, v.Lines)
	}
	if v.Err != nil {
		return c.fail(v.Err)
	}
	m := v.W.M
	n := len(m.Assets)
	fmt.Fprintf(c.stdout, "Success! %s is valid: %d %s, %d %s.\n", m.Path, len(m.Accounts), plural(len(m.Accounts), "account", "accounts"), n, plural(n, "asset", "assets"))
	if a.NoSecrets {
		fmt.Fprintln(c.stdout, "Keys and certificates were not checked (-no-secrets); run `wxmedia validate` where the secrets are available to check them.")
	}
	return ExitOK
}

// reportAudiences tells validate's user how many lines each user_package
// file holds (to stdout, unless -json), and warns on stderr about files
// longer than WeChat Pay advises.
func (c *cli) reportAudiences(w *operation.Workspace, lines map[string]int) {
	if len(lines) == 0 {
		return
	}
	m := w.M
	if !c.json {
		for _, a := range m.Assets {
			if n, ok := lines[a.Name]; ok {
				fmt.Fprintf(c.stdout, "%s: %s holds %d %s of %s.\n", a.Name, a.File, n, plural(n, "line", "lines"), a.DataType)
			}
		}
	}
	for _, w := range scan.AudienceWarnings(m, lines) {
		fmt.Fprintln(c.stderr, "Warning: "+w)
	}
}
