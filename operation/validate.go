package operation

import (
	"errors"
	"fmt"
	"strings"

	"github.com/hashicorp/go-multierror"

	"github.com/wxmedia/wxmedia/accounts"
	"github.com/wxmedia/wxmedia/manifest"
	"github.com/wxmedia/wxmedia/scan"
)

// ValidateArgs tune `wxmedia validate`.
type ValidateArgs struct {
	// NoSecrets checks no key or certificate.
	NoSecrets bool
	// UnsetEnvAsNote reports an unset api_key_env or private_key_env as a
	// note instead of an error, for checks that run without the secrets
	// (a pull-request pipeline).
	UnsetEnvAsNote bool
}

// Validation is everything validate found.
type Validation struct {
	// W is the workspace as far as it could be read; nil (or W.M nil)
	// when the manifest could not be read at all.
	W *Workspace
	// Err joins every problem (see Problems), nil when there is none.
	Err error
	// Notes are problems reported as notes (ValidateArgs.UnsetEnvAsNote).
	Notes []error
	// Lines counts the lines of each user_package asset's file.
	Lines map[string]int
}

// Validate checks the manifest, every file, every account's keys and
// every environment's overrides, and reports all problems at once.
func Validate(la LoadArgs, a ValidateArgs) *Validation {
	// The manifest is kept as far as it could be read, so that every
	// account's keys are checked even when the manifest has other problems.
	la.KeepPartial, la.NoSecrets = true, a.NoSecrets
	w, err := Load(la)
	v := &Validation{W: w}
	errs := []error{err}
	if w == nil || w.M == nil {
		v.Err = JoinProblems(errs...)
		return v
	}
	if !a.NoSecrets {
		r := w.NewResolver()
		defer r.Close()
		for _, e := range Problems(r.Check(true)) {
			if a.UnsetEnvAsNote && errors.Is(e, accounts.ErrUnsetEnv) {
				v.Notes = append(v.Notes, e)
			} else {
				errs = append(errs, e)
			}
		}
	}
	errs = append(errs, environmentProblems(w, la, JoinProblems(errs...)))
	// The content of audience files, where the manifest check found
	// nothing wrong with the asset already.
	named := map[string]bool{}
	for _, e := range Problems(err) {
		var fe *manifest.FieldError
		if errors.As(e, &fe) {
			named[strings.SplitN(strings.TrimPrefix(fe.Path, "assets."), ".", 2)[0]] = true
		}
	}
	var aerr error
	v.Lines, aerr = scan.CheckAudiences(w.M, func(name string) bool { return named[name] })
	errs = append(errs, Problems(aerr)...)
	v.Err = JoinProblems(errs...)
	return v
}

// Warnings are the manifest's warnings and those about audience files.
func (v *Validation) Warnings() []error {
	if v.W == nil || v.W.M == nil {
		return nil
	}
	var warnings []error
	for _, wn := range v.W.M.Warnings {
		warnings = append(warnings, wn)
	}
	for _, wn := range scan.AudienceWarnings(v.W.M, v.Lines) {
		warnings = append(warnings, errors.New(wn))
	}
	return warnings
}

// environmentProblems checks every environment of the manifest, each with
// its overrides merged, for `validate` without -env: a mistake in the
// production overrides shows in the pull request, not at the production
// apply. Problems the plain manifest has already are not repeated; the
// others say which environment they are in.
func environmentProblems(w *Workspace, la LoadArgs, found error) error {
	if la.Env != "" || len(w.M.Environments) == 0 {
		return nil
	}
	seen := map[string]bool{}
	for _, e := range Problems(found) {
		seen[e.Error()] = true
	}
	var errs []error
	for _, env := range w.M.Environments {
		m, err := manifest.LoadWith(la.ManifestPath, manifest.Options{Env: env, SkipCredentialFiles: la.NoSecrets})
		if err == nil && !la.NoSecrets {
			r := accounts.New(m)
			err = r.Check(false)
			r.Close()
		}
		for _, e := range Problems(err) {
			if seen[e.Error()] {
				continue
			}
			seen[e.Error()] = true
			var fe *manifest.FieldError
			if errors.As(e, &fe) {
				c := *fe
				c.Msg = "in environment " + env + ": " + c.Msg
				e = &c
			} else {
				e = fmt.Errorf("in environment %s: %w", env, e)
			}
			errs = append(errs, e)
		}
	}
	return JoinProblems(errs...)
}

// Problems lists the problems in err (a multierror's, or err itself).
func Problems(err error) []error {
	var me *multierror.Error
	if errors.As(err, &me) {
		return me.WrappedErrors()
	}
	if err != nil {
		return []error{err}
	}
	return nil
}
