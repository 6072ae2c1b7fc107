package main

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

// TestBad runs the bad-input corpus in testdata/bad: every script feeds
// wxmedia a broken manifest, key, media file, lockfile, plan file or
// command line and checks that it fails with exit code 1, a message naming
// the culprit and saying what to do, no panic, and no lockfile or plan file
// written or changed.
func TestBad(t *testing.T) {
	cmds := map[string]func(ts *testscript.TestScript, neg bool, args []string){
		"wxfail": wxfail,
		"mkraw":  mkraw,
	}
	for k, v := range scriptCmds {
		cmds[k] = v
	}
	testscript.Run(t, testscript.Params{
		Dir:           "testdata/bad",
		UpdateScripts: *update,
		Setup: func(env *testscript.Env) error {
			env.Setenv("NO_COLOR", "1")
			return nil
		},
		Condition: func(cond string) (bool, error) {
			if cond == "root" {
				return os.Geteuid() == 0, nil
			}
			return false, errors.New("unknown condition " + cond)
		},
		Cmds: cmds,
	})
}

// wxfail ARGS...: run `wxmedia ARGS...` and check that it exits with code 1
// (not 0, not a panic's 2), prints something on stderr, and that stderr
// holds no panic or goroutine dump. stdout and stderr are then available to
// the stdout/stderr commands as usual.
func wxfail(ts *testscript.TestScript, neg bool, args []string) {
	if neg {
		ts.Fatalf("wxfail does not support !")
	}
	err := ts.Exec("wxmedia", args...)
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		ts.Fatalf("wxmedia %s: want exit code 1, got %v", strings.Join(args, " "), err)
	}
	if ee.ExitCode() != 1 {
		ts.Fatalf("wxmedia %s: exit code %d, want 1", strings.Join(args, " "), ee.ExitCode())
	}
	stderr := ts.ReadFile("stderr")
	if strings.TrimSpace(stderr) == "" {
		ts.Fatalf("wxmedia %s: failed without a message on stderr", strings.Join(args, " "))
	}
	for _, bad := range []string{"panic", "goroutine ", "runtime error"} {
		if strings.Contains(stderr, bad) {
			ts.Fatalf("wxmedia %s: stderr contains %q", strings.Join(args, " "), bad)
		}
	}
}

// mkraw FILE CONTENT: write CONTENT to FILE, both read as the body of a Go
// string literal, so that scripts can make non-UTF-8 names and bytes
// (mkraw 'media/bad\xff.png' '\x89PNG\r\n\x1a\n...').
func mkraw(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: mkraw FILE CONTENT")
	}
	var un [2]string
	for i, a := range args {
		s, err := strconv.Unquote(`"` + strings.ReplaceAll(a, `"`, `\"`) + `"`)
		ts.Check(err)
		un[i] = s
	}
	p := ts.MkAbs(un[0])
	ts.Check(os.MkdirAll(filepath.Dir(p), 0o755))
	ts.Check(os.WriteFile(p, []byte(un[1]), 0o644))
}
