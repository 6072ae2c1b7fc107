package main

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
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
