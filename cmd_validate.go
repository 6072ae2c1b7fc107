package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/hashicorp/go-multierror"

	"github.com/wxmedia/wxmedia/accounts"
	"github.com/wxmedia/wxmedia/manifest"
	"github.com/wxmedia/wxmedia/scan"
)

// validateOptions tune `wxmedia validate`.
type validateOptions struct {
	// keepPartial: the manifest is kept as far as it could be read, so that
	// every account's keys are checked even when the manifest has other
	// problems. Set by validate only.
	keepPartial bool
	// unsetEnvAsNote reports an unset api_key_env or private_key_env as a
	// note instead of an error, for checks that run without the secrets
	// (a pull-request pipeline).
	unsetEnvAsNote bool
}

func runValidate(c *cli, args []string) int {
	if len(args) > 0 {
		return c.usageError("validate takes no arguments")
	}
	c.validate.keepPartial = true
	w, err := c.loadWorkspace()
	errs := []error{err}
	var notes []error
	if w != nil && w.m != nil && !c.noSecrets {
		r := c.newResolver(w)
		defer r.Close()
		for _, e := range flatten(r.Check(true)) {
			if c.validate.unsetEnvAsNote && errors.Is(e, accounts.ErrUnsetEnv) {
				notes = append(notes, e)
			} else {
				errs = append(errs, e)
			}
		}
	}
	if w != nil && w.m != nil {
		errs = append(errs, c.environmentProblems(w, joinProblems(errs...)))
	}
	var lines map[string]int
	if w != nil && w.m != nil {
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
		lines, aerr = scan.CheckAudiences(w.m, func(name string) bool { return named[name] })
		errs = append(errs, flatten(aerr)...)
	}
	err = joinProblems(errs...)
	if c.json {
		var warnings []error
		if w != nil && w.m != nil {
			for _, wn := range w.m.Warnings {
				warnings = append(warnings, wn)
			}
			for _, wn := range scan.AudienceWarnings(w.m, lines) {
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
	if w != nil && w.m != nil {
		c.reportAudiences(w.m, lines)
	}
	if err != nil {
		return c.fail(err)
	}
	n := len(w.m.Assets)
	fmt.Fprintf(c.stdout, "Success! %s is valid: %d %s, %d %s.\n", w.m.Path, len(w.m.Accounts), plural(len(w.m.Accounts), "account", "accounts"), n, plural(n, "asset", "assets"))
	if c.noSecrets {
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
