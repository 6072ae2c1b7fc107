package main

import (
	"encoding/json"
	"os"
	"strings"

	"github.com/rogpeppe/go-internal/testscript"
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
}
