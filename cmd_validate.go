package main

import (
	"errors"
	"flag"
	"fmt"
	"strings"

	"github.com/hashicorp/go-multierror"

	"github.com/wxmedia/wxmedia/accounts"
	"github.com/wxmedia/wxmedia/manifest"
	"github.com/wxmedia/wxmedia/operation"
	"github.com/wxmedia/wxmedia/planner"
)

// `wxmedia validate`.

func init() {
	register(&command{name: "validate", synopsis: "check the manifest, every file and every account key; report all problems",
		help: "-no-secrets skips loading keys and certificates (and says so), for pipelines\n" +
			"that get no secrets, such as pull requests from forks.",
		args: func() cmdArgs { return &validateArgs{} }})
}

// validateArgs tune `wxmedia validate`.
type validateArgs struct {
	// noSecrets: -no-secrets checks no key or certificate.
	noSecrets bool
	// unsetEnvAsNote reports an unset api_key_env or private_key_env as a
	// note instead of an error, for checks that run without the secrets
	// (a pull-request pipeline).
	unsetEnvAsNote bool
}

func (a *validateArgs) bind(fs *flag.FlagSet) {
	fs.BoolVar(&a.noSecrets, "no-secrets", false, "do not load keys or certificates (for pipelines without secrets)")
}

func (a *validateArgs) run(c *cli, args []string) int { return runValidate(c, a, args) }

func runValidate(c *cli, a *validateArgs, args []string) int {
	if len(args) > 0 {
		return c.usageError("validate takes no arguments")
	}
	// The manifest is kept as far as it could be read, so that every
	// account's keys are checked even when the manifest has other problems.
	la := c.loadArgs()
	la.KeepPartial, la.NoSecrets = true, a.noSecrets
	w, err := operation.Load(la)
	errs := []error{err}
	var notes []error
	if w != nil && w.M != nil && !a.noSecrets {
		r := w.NewResolver()
		defer r.Close()
		for _, e := range flatten(r.Check(true)) {
			if a.unsetEnvAsNote && errors.Is(e, accounts.ErrUnsetEnv) {
				notes = append(notes, e)
			} else {
				errs = append(errs, e)
			}
		}
	}
	if w != nil && w.M != nil {
		errs = append(errs, c.environmentProblems(w, a.noSecrets, operation.JoinProblems(errs...)))
	}
	var lines map[string]int
	if w != nil && w.M != nil {
		// The content of audience files, where the manifest check found
		// nothing wrong with the asset already.
		named := map[string]bool{}
		for _, e := range flatten(err) {
			var fe *manifest.FieldError
			if errors.As(e, &fe) {
				named[strings.SplitN(strings.TrimPrefix(fe.Path, "assets."), ".", 2)[0]] = true
			}
		}
		var aerr error
		lines, aerr = planner.CheckAudiences(w.M, func(name string) bool { return named[name] })
		errs = append(errs, flatten(aerr)...)
	}
	err = operation.JoinProblems(errs...)
	if c.json {
		var warnings []error
		if w != nil && w.M != nil {
			for _, wn := range w.M.Warnings {
				warnings = append(warnings, wn)
			}
			for _, wn := range planner.AudienceWarnings(w.M, lines) {
				warnings = append(warnings, errors.New(wn))
			}
		}
		c.printJSON(validateJSON(err, warnings, notes))
		if err != nil {
			return exitError
		}
		return exitOK
	}
	for _, n := range notes {
		fmt.Fprintf(c.stderr, "Note: %v\n", n)
	}
	if w != nil && w.M != nil {
		c.reportAudiences(w.M, lines)
	}
	if err != nil {
		return c.fail(err)
	}
	n := len(w.M.Assets)
	fmt.Fprintf(c.stdout, "Success! %s is valid: %d %s, %d %s.\n", w.M.Path, len(w.M.Accounts), plural(len(w.M.Accounts), "account", "accounts"), n, plural(n, "asset", "assets"))
	if a.noSecrets {
		fmt.Fprintln(c.stdout, "Keys and certificates were not checked (-no-secrets); run `wxmedia validate` where the secrets are available to check them.")
	}
	return exitOK
}

// flatten lists the problems in err, one per element.
func flatten(err error) []error {
	var me *multierror.Error
	if errors.As(err, &me) {
		return me.WrappedErrors()
	}
	if err != nil {
		return []error{err}
	}
	return nil
}

// diagnostic is one problem in `validate -json` output.
type diagnostic struct {
	Severity string `json:"severity"`
	File     string `json:"file,omitempty"`
	Line     int    `json:"line,omitempty"`
	Column   int    `json:"column,omitempty"`
	Path     string `json:"path,omitempty"`
	Message  string `json:"message"`
}

// validateJSON is the `validate -json` document, like Terraform's:
// {"format_version", "valid", "error_count", "diagnostics": [...]}.
func validateJSON(err error, warnings, notes []error) any {
	diags := []diagnostic{}
	add := func(severity string, e error) {
		var fe *manifest.FieldError
		if errors.As(e, &fe) {
			diags = append(diags, diagnostic{Severity: severity, File: fe.File, Line: fe.Line, Column: fe.Col, Path: fe.Path, Message: fe.Msg})
		} else {
			diags = append(diags, diagnostic{Severity: severity, Message: e.Error()})
		}
	}
	errs := flatten(err)
	for _, e := range errs {
		add("error", e)
	}
	for _, e := range warnings {
		add("warning", e)
	}
	for _, e := range notes {
		add("note", e)
	}
	return struct {
		FormatVersion string       `json:"format_version"`
		Valid         bool         `json:"valid"`
		ErrorCount    int          `json:"error_count"`
		Diagnostics   []diagnostic `json:"diagnostics"`
	}{"1", len(errs) == 0, len(errs), diags}
}
