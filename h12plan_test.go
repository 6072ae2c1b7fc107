package main

import (
	"encoding/json"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/wxmedia/wxmedia/lockfile"
)

func init() {
	// plantamper IN OUT NAME FIELD VALUE: copy the saved plan IN to OUT
	// with FIELD (dotted, such as after.file) of the change named NAME set
	// to the string VALUE, the way a hand edit would, leaving the rest
	// (the summary too) as it was.
	scriptCmds["plantamper"] = func(ts *testscript.TestScript, neg bool, args []string) {
		if len(args) != 5 {
			ts.Fatalf("usage: plantamper IN OUT NAME FIELD VALUE")
		}
		var doc map[string]any
		ts.Check(json.Unmarshal([]byte(ts.ReadFile(args[0])), &doc))
		changes, _ := doc["changes"].([]any)
		found := false
		for _, c := range changes {
			m, _ := c.(map[string]any)
			if m["name"] != args[2] {
				continue
			}
			found = true
			path := strings.Split(args[3], ".")
			for _, k := range path[:len(path)-1] {
				next, ok := m[k].(map[string]any)
				if !ok {
					ts.Fatalf("change %s has no object %s", args[2], k)
				}
				m = next
			}
			m[path[len(path)-1]] = args[4]
		}
		if !found {
			ts.Fatalf("no change named %s in %s", args[2], args[0])
		}
		data, err := json.MarshalIndent(doc, "", "  ")
		ts.Check(err)
		ts.Check(os.WriteFile(ts.MkAbs(args[1]), data, 0o644))
	}
	// waitfile FILE VAR: wait (up to 10 s) until FILE exists and is not
	// empty, such as an emulator's -url-file, and set VAR to its first line.
	scriptCmds["waitfile"] = func(ts *testscript.TestScript, neg bool, args []string) {
		if len(args) != 2 {
			ts.Fatalf("usage: waitfile FILE VAR")
		}
		deadline := time.Now().Add(10 * time.Second)
		for {
			data, err := os.ReadFile(ts.MkAbs(args[0]))
			if line, _, _ := strings.Cut(string(data), "\n"); err == nil && line != "" {
				ts.Setenv(args[1], line)
				return
			}
			if time.Now().After(deadline) {
				ts.Fatalf("%s did not appear within 10s", args[0])
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	// expand IN OUT: copy IN to OUT with $VAR and ${VAR} replaced by the
	// script's environment variables.
	scriptCmds["expand"] = func(ts *testscript.TestScript, neg bool, args []string) {
		if len(args) != 2 {
			ts.Fatalf("usage: expand IN OUT")
		}
		ts.Check(os.WriteFile(ts.MkAbs(args[1]), []byte(os.Expand(ts.ReadFile(args[0]), ts.Getenv)), 0o644))
	}
	// dropendpoints LOCKFILE: remove the endpoint of every entry, as a
	// lockfile written before endpoints were recorded has none.
	scriptCmds["dropendpoints"] = func(ts *testscript.TestScript, neg bool, args []string) {
		if len(args) != 1 {
			ts.Fatalf("usage: dropendpoints LOCKFILE")
		}
		editLockfile(ts, args[0], func(st *lockfile.State) {
			for _, e := range st.Assets {
				e.Endpoint = ""
			}
		})
	}
	// renameentry LOCKFILE OLD NEW: rename a lockfile entry, as a hand
	// edit or a bad merge would.
	scriptCmds["renameentry"] = func(ts *testscript.TestScript, neg bool, args []string) {
		if len(args) != 3 {
			ts.Fatalf("usage: renameentry LOCKFILE OLD NEW")
		}
		editLockfile(ts, args[0], func(st *lockfile.State) {
			e, ok := st.Assets[args[1]]
			if !ok {
				ts.Fatalf("no entry %s in %s", args[1], args[0])
			}
			delete(st.Assets, args[1])
			st.Assets[args[2]] = e
		})
	}
	// setraw VAR TEXT: set VAR to TEXT read as the body of a Go string
	// literal, so that scripts can pass control characters ('a\x1b[2J').
	scriptCmds["setraw"] = func(ts *testscript.TestScript, neg bool, args []string) {
		if len(args) != 2 {
			ts.Fatalf("usage: setraw VAR TEXT")
		}
		v, err := strconv.Unquote(`"` + strings.ReplaceAll(args[1], `"`, `\"`) + `"`)
		ts.Check(err)
		ts.Setenv(args[0], v)
	}
}

// editLockfile rewrites the lockfile at path (relative to the script's
// directory) with fn's change, in canonical form.
func editLockfile(ts *testscript.TestScript, path string, fn func(*lockfile.State)) {
	st, err := lockfile.Parse(path, []byte(ts.ReadFile(path)))
	ts.Check(err)
	fn(st)
	data, err := st.Marshal()
	ts.Check(err)
	ts.Check(os.WriteFile(ts.MkAbs(path), data, 0o644))
}
