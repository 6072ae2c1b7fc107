package views

import (
	"flag"
	"fmt"
	"io"
	"strings"
)

// Completer answers `wxmedia __complete`, which the completion scripts call
// with the words typed so far (the last being the word to complete,
// possibly empty). It prints one candidate per line, or a directive line:
// ":files" (complete file names) or ":dirs" (directories). Keeping the
// logic here means bash, zsh and fish complete alike, and tests need no
// shell.
type Completer struct {
	// FlagSet returns a flag set with the global flags bound, and with
	// command's own flags for a command (""  for none); nil for an unknown
	// command. Every set binds the global flags to the same values, so
	// -chdir and -manifest typed anywhere are honoured.
	FlagSet func(command string) *flag.FlagSet
	// Commands and StateWords are the command names and the words after
	// `wxmedia state`.
	Commands, StateWords []string
	// AssetNames lists asset names from "manifest", "lockfile" or "both",
	// reading the files the flags seen so far name; it never fails.
	AssetNames func(from string) []string
}

// assetArgCommands take an asset name as their first argument, read from
// the lockfile (recorded assets) or the manifest (declared ones).
var assetArgCommands = map[string]string{"output": "lockfile", "forget": "lockfile", "import": "manifest"}

// fileFlags take a path; dirFlags a directory; assetFlags an asset name.
var (
	fileFlags  = map[string]bool{"manifest": true, "lockfile": true, "out": true, "log-file": true, "log": true, "url-file": true}
	dirFlags   = map[string]bool{"chdir": true, "write-keys": true, "write-keys-only": true}
	assetFlags = map[string]bool{"target": true, "replace": true}
)

// Complete prints to w the candidates for the last of words that start
// with it, and any directive.
func (cp *Completer) Complete(w io.Writer, words []string) {
	if len(words) == 0 {
		words = []string{""}
	}
	cur, before := words[len(words)-1], words[:len(words)-1]
	for _, s := range cp.candidates(before, cur) {
		if strings.HasPrefix(s, cur) || strings.HasPrefix(s, ":") {
			fmt.Fprintln(w, s)
		}
	}
}

// candidates returns the candidates for cur after the words before it.
func (cp *Completer) candidates(before []string, cur string) []string {
	fs := cp.FlagSet("")
	cmd := ""
	var args []string // positional arguments after the command
	expect := ""      // a flag whose value is the next word
	for _, w := range before {
		if expect != "" {
			// Apply the value, so -chdir and -manifest are honoured.
			_ = fs.Set(expect, w)
			expect = ""
			continue
		}
		if strings.HasPrefix(w, "-") && len(w) > 1 {
			name := strings.TrimLeft(w, "-")
			if i := strings.IndexByte(name, '='); i >= 0 {
				_ = fs.Set(name[:i], name[i+1:])
				continue
			}
			if f := fs.Lookup(name); f != nil && !isBoolFlag(f) {
				expect = name
			}
			continue
		}
		if cmd == "" {
			if fs = cp.FlagSet(w); fs == nil {
				return nil
			}
			cmd = w
			continue
		}
		args = append(args, w)
	}
	switch {
	case expect != "" && assetFlags[expect]:
		return cp.AssetNames("both")
	case expect != "" && dirFlags[expect]:
		return []string{":dirs"}
	case expect != "" && (fileFlags[expect] || cmd == ""):
		return []string{":files"}
	case expect != "":
		return nil // a number or a duration
	case strings.HasPrefix(cur, "-"):
		return flagNames(fs)
	case cmd == "":
		return cp.Commands
	}
	switch {
	case cmd == "state" && len(args) == 0:
		return cp.StateWords
	case cmd == "completion" && len(args) == 0:
		return []string{"bash", "fish", "zsh"}
	case assetArgCommands[cmd] != "" && len(args) == 0:
		return cp.AssetNames(assetArgCommands[cmd])
	case cmd == "apply" || cmd == "show" || cmd == "state":
		return []string{":files"}
	}
	return nil
}

func isBoolFlag(f *flag.Flag) bool {
	bf, ok := f.Value.(interface{ IsBoolFlag() bool })
	return ok && bf.IsBoolFlag()
}

func flagNames(fs *flag.FlagSet) []string {
	var out []string
	fs.VisitAll(func(f *flag.Flag) { out = append(out, "-"+f.Name) })
	return out
}
