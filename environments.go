package main

import (
	"errors"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/hashicorp/go-multierror"

	"github.com/wxmedia/wxmedia/accounts"
	"github.com/wxmedia/wxmedia/manifest"
)

// envPattern is the rule for environment names (as for account and asset
// names): they become part of a lockfile name.
var envPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]*$`)

// defaultLockfile derives the lockfile from the flags: -lockfile as given;
// otherwise NAME.lock.json beside the manifest NAME.yaml (wxmedia.yaml →
// wxmedia.lock.json, wxmedia.prod.yaml → wxmedia.prod.lock.json), with
// ".ENV" before ".lock.json" when an environment is selected.
func (c *cli) defaultLockfile() (string, error) {
	if c.env != "" && !envPattern.MatchString(c.env) {
		return "", fmt.Errorf("environment %q (from -env or WXMEDIA_ENV) is not a valid name: use letters, digits, '_', '.' and '-', starting with a letter or digit", c.env)
	}
	if c.lockfilePath != "" {
		return c.lockfilePath, nil
	}
	base := filepath.Base(c.manifestPath)
	for _, ext := range []string{".yaml", ".yml"} {
		if strings.HasSuffix(strings.ToLower(base), ext) {
			base = base[:len(base)-len(ext)]
			break
		}
	}
	if c.env != "" {
		base += "." + c.env
	}
	return filepath.Join(filepath.Dir(c.manifestPath), base+".lock.json"), nil
}

// envLabel names an environment in messages.
func envLabel(env string) string {
	if env == "" {
		return "no environment"
	}
	return "environment " + env
}

// environmentProblems checks every environment of the manifest, each with
// its overrides merged, for `validate` without -env: a mistake in the
// production overrides shows in the pull request, not at the production
// apply. Problems the plain manifest has already are not repeated; the
// others say which environment they are in.
func (c *cli) environmentProblems(w *workspace, found error) error {
	if c.env != "" || len(w.m.Environments) == 0 {
		return nil
	}
	seen := map[string]bool{}
	for _, e := range problems(found) {
		seen[e.Error()] = true
	}
	var errs []error
	for _, env := range w.m.Environments {
		m, err := manifest.LoadWith(c.manifestPath, manifest.Options{Env: env, SkipCredentialFiles: c.noSecrets})
		if err == nil && !c.noSecrets {
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
	return joinProblems(errs...)
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
