package main

import (
	"errors"
	"fmt"

	"github.com/hashicorp/go-multierror"

	"github.com/wxmedia/wxmedia/accounts"
	"github.com/wxmedia/wxmedia/manifest"
	"github.com/wxmedia/wxmedia/operation"
)

// environmentProblems checks every environment of the manifest, each with
// its overrides merged, for `validate` without -env: a mistake in the
// production overrides shows in the pull request, not at the production
// apply. Problems the plain manifest has already are not repeated; the
// others say which environment they are in.
func (c *cli) environmentProblems(w *operation.Workspace, noSecrets bool, found error) error {
	if c.env != "" || len(w.M.Environments) == 0 {
		return nil
	}
	seen := map[string]bool{}
	for _, e := range problems(found) {
		seen[e.Error()] = true
	}
	var errs []error
	for _, env := range w.M.Environments {
		m, err := manifest.LoadWith(c.manifestPath, manifest.Options{Env: env, SkipCredentialFiles: noSecrets})
		if err == nil && !noSecrets {
			r := accounts.New(m)
			err = r.Check(false)
			r.Close()
		}
		for _, e := range problems(err) {
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
	return operation.JoinProblems(errs...)
}

// problems lists the problems in err (a multierror's, or err itself).
func problems(err error) []error {
	var me *multierror.Error
	if errors.As(err, &me) {
		return me.WrappedErrors()
	}
	if err != nil {
		return []error{err}
	}
	return nil
}
