package main

import (
	"bytes"
	"crypto/sha256"
	"flag"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
	"github.com/wxmedia/wxmedia/internal/pgtest"
	"gopkg.in/yaml.v3"
)

var update = flag.Bool("update", false, "rewrite testscript files with actual output")

func TestMain(m *testing.M) {
	testscript.Main(pgtest.Main(m), map[string]func(){
		"wxmedia": func() { os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)) },
	})
}

func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/script",
		UpdateScripts:       *update,
		RequireExplicitExec: false,
		Setup: func(env *testscript.Env) error {
			env.Setenv("NO_COLOR", "")
			return nil
		},
		Cmds: scriptCmds,
	})
}

// TestExamples runs scripts against copies of examples/, so the examples
// users copy are proven to apply on the sandbox.
func TestExamples(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir: "testdata/examples",
		Setup: func(env *testscript.Env) error {
			return os.CopyFS(filepath.Join(env.WorkDir, "examples"), os.DirFS("examples"))
		},
		Cmds: scriptCmds,
	})
}

// scriptCmds are the helper commands the scripts use.
var scriptCmds = map[string]func(ts *testscript.TestScript, neg bool, args []string){
	// mkmedia EXT FILE SIZE [SEED]: write a file of SIZE bytes whose first
	// bytes are EXT's magic number, the rest pseudo-random from SEED.
	"mkmedia": func(ts *testscript.TestScript, neg bool, args []string) {
		if len(args) < 3 {
			ts.Fatalf("usage: mkmedia EXT FILE SIZE [SEED]")
		}
		size, err := strconv.Atoi(args[2])
		ts.Check(err)
		seed := int64(1)
		if len(args) > 3 {
			seed, err = strconv.ParseInt(args[3], 10, 64)
			ts.Check(err)
		}
		data := mediaBytes(args[0], size, seed)
		p := ts.MkAbs(args[1])
		ts.Check(os.MkdirAll(filepath.Dir(p), 0o755))
		ts.Check(os.WriteFile(p, data, 0o644))
	},
	// age FILE...: set each file's mtime an hour back, past the stat
	// cache's racy window, as files committed long ago are.
	"age": func(ts *testscript.TestScript, neg bool, args []string) {
		old := time.Now().Add(-time.Hour)
		for _, f := range args {
			ts.Check(os.Chtimes(ts.MkAbs(f), old, old))
		}
	},
	// rewrite FILE SRC: give FILE the bytes of SRC, then its own mtime back:
	// a change that size and mtime cannot show (only the ctime does).
	"rewrite": func(ts *testscript.TestScript, neg bool, args []string) {
		if len(args) != 2 {
			ts.Fatalf("usage: rewrite FILE SRC")
		}
		keepMtime(ts, args[0], func(data []byte) []byte {
			src, err := os.ReadFile(ts.MkAbs(args[1]))
			ts.Check(err)
			return src
		})
	},
	// subst FILE OLD NEW: replace every OLD in FILE by NEW (`\n` in either
	// stands for a newline), keeping FILE's mtime.
	"subst": func(ts *testscript.TestScript, neg bool, args []string) {
		if len(args) != 3 {
			ts.Fatalf("usage: subst FILE OLD NEW")
		}
		old, repl := strings.ReplaceAll(args[1], `\n`, "\n"), strings.ReplaceAll(args[2], `\n`, "\n")
		keepMtime(ts, args[0], func(data []byte) []byte {
			if !bytes.Contains(data, []byte(old)) {
				ts.Fatalf("%s holds no %q", args[0], old)
			}
			return bytes.ReplaceAll(data, []byte(old), []byte(repl))
		})
	},
	// exitcode N PROG ARGS...: run PROG and check it exits with N.
	"exitcode": func(ts *testscript.TestScript, neg bool, args []string) {
		if len(args) < 2 {
			ts.Fatalf("usage: exitcode N PROG [ARGS...]")
		}
		want, err := strconv.Atoi(args[0])
		ts.Check(err)
		prog, err := exec.LookPath(args[1])
		if err != nil {
			// testscript puts its commands on its own PATH.
			for _, dir := range filepath.SplitList(ts.Getenv("PATH")) {
				if p := filepath.Join(dir, args[1]); fileExists(p) {
					prog = p
					break
				}
			}
		}
		cmd := exec.Command(prog, args[2:]...)
		cmd.Dir = ts.MkAbs(".")
		cmd.Env = append(os.Environ(), "PATH="+ts.Getenv("PATH"), "NO_COLOR="+ts.Getenv("NO_COLOR"))
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		err = cmd.Run()
		got := 0
		if ee, ok := err.(*exec.ExitError); ok {
			got = ee.ExitCode()
		} else if err != nil {
			ts.Fatalf("%v", err)
		}
		if (got == want) == neg {
			ts.Fatalf("%s exited %d, want %d; output:\n%s", args[1], got, want, out.String())
		}
	},
	// sha256of FILE VAR: set VAR to the sha256 of FILE.
	"sha256of": func(ts *testscript.TestScript, neg bool, args []string) {
		data, err := os.ReadFile(ts.MkAbs(args[0]))
		ts.Check(err)
		ts.Setenv(args[1], fmt.Sprintf("%x", sha256.Sum256(data)))
	},
	// cisteps FILE JOB: run, in order, the wxmedia command lines of JOB's
	// steps in a GitHub Actions workflow or GitLab CI file, with bash.
	"cisteps": func(ts *testscript.TestScript, neg bool, args []string) {
		if len(args) != 2 {
			ts.Fatalf("usage: cisteps FILE JOB")
		}
		lines, err := ciCommands([]byte(ts.ReadFile(args[0])), args[1])
		ts.Check(err)
		if len(lines) == 0 {
			ts.Fatalf("job %s runs no wxmedia command", args[1])
		}
		for _, l := range lines {
			ts.Logf("$ %s", l)
			cmd := exec.Command("bash", "-e", "-o", "pipefail", "-c", l)
			cmd.Dir = ts.MkAbs(".")
			cmd.Env = append(os.Environ(), "PATH="+ts.Getenv("PATH"), "NO_COLOR=1")
			out, err := cmd.CombinedOutput()
			ts.Logf("%s", out)
			if err != nil {
				ts.Fatalf("%s: %v", l, err)
			}
		}
	},
	// countmatch N REGEXP FILE: FILE has exactly N lines containing the
	// literal string.
	"countlines": func(ts *testscript.TestScript, neg bool, args []string) {
		want, err := strconv.Atoi(args[0])
		ts.Check(err)
		got := strings.Count(ts.ReadFile(args[2]), args[1])
		if got != want {
			ts.Fatalf("%q occurs %d times in %s, want %d", args[1], got, args[2], want)
		}
	},
}

// ciCommands returns the shell lines that start with "wxmedia " (or run a
// recipe script, "sh ci/…") in the
// steps of job (GitHub: jobs.JOB.steps[].run; GitLab: JOB.script[]).
func ciCommands(data []byte, job string) ([]string, error) {
	var doc map[string]any
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, err
	}
	var scripts []string
	if jobs, ok := doc["jobs"].(map[string]any); ok {
		j, _ := jobs[job].(map[string]any)
		steps, _ := j["steps"].([]any)
		for _, st := range steps {
			if m, ok := st.(map[string]any); ok {
				if r, ok := m["run"].(string); ok {
					scripts = append(scripts, r)
				}
			}
		}
	} else if j, ok := doc[job].(map[string]any); ok {
		list, _ := j["script"].([]any)
		for _, r := range list {
			if s, ok := r.(string); ok {
				scripts = append(scripts, s)
			}
		}
	} else {
		return nil, fmt.Errorf("no job %q", job)
	}
	var out []string
	for _, s := range scripts {
		for _, l := range strings.Split(s, "\n") {
			if l = strings.TrimSpace(l); strings.HasPrefix(l, "wxmedia ") || strings.HasPrefix(l, "sh ci/") {
				out = append(out, l)
			}
		}
	}
	return out, nil
}

// keepMtime rewrites the file at rel with edit's result and sets its mtime
// back to what it was.
func keepMtime(ts *testscript.TestScript, rel string, edit func([]byte) []byte) {
	p := ts.MkAbs(rel)
	fi, err := os.Stat(p)
	ts.Check(err)
	data, err := os.ReadFile(p)
	ts.Check(err)
	ts.Check(os.WriteFile(p, edit(data), fi.Mode()))
	ts.Check(os.Chtimes(p, fi.ModTime(), fi.ModTime()))
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// mediaBytes returns size bytes that pass the magic-byte check for ext.
func mediaBytes(ext string, size int, seed int64) []byte {
	magic := map[string][]byte{
		"png":  []byte("\x89PNG\r\n\x1a\n"),
		"jpg":  {0xFF, 0xD8, 0xFF, 0xE0},
		"bmp":  []byte("BM"),
		"pdf":  []byte("%PDF-1.7\n"),
		"mp4":  {0, 0, 0, 0x18, 'f', 't', 'y', 'p', 'm', 'p', '4', '2'},
		"csv":  []byte("oXYZ0000000000000000000001\n"),
		"text": []byte("hello"),
	}[ext]
	r := rand.New(rand.NewSource(seed))
	data := make([]byte, size)
	if ext == "csv" {
		return openIDLines(r, size)
	} else {
		r.Read(data)
	}
	copy(data, magic)
	return data
}

// openIDLines returns size bytes of audience file: one openid ("o" and
// 19 to 63 letters, digits, '_' or '-') per line, as a user_package with
// data_type: openid must hold. Lines are 29 bytes, the extra bytes spread
// over them; below 21 bytes no such file exists, and the bytes are filler.
func openIDLines(r *rand.Rand, size int) []byte {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"
	n := size / 29
	if n == 0 {
		n = 1
	}
	extra := size - n*29 // may be negative for a single short line
	data := make([]byte, 0, size)
	for i := range n {
		l := 28 + extra/n
		if i < extra%n {
			l++
		}
		data = append(data, 'o')
		for range max(l-1, 0) {
			data = append(data, alphabet[r.Intn(len(alphabet))])
		}
		data = append(data, '\n')
	}
	return data[:size]
}
