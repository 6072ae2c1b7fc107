package main

import (
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/wxmedia/wxmedia/operation"
)

// completeCommand is the hidden command the completion scripts call with
// the words typed so far (the last being the word to complete, possibly
// empty). It prints one candidate per line, or a directive line: ":files"
// (complete file names) or ":dirs" (directories). Keeping the logic here
// means bash, zsh and fish complete alike, and tests need no shell.
const completeCommand = "__complete"

// stateWords are the words after `wxmedia state` (CONTRACT.md): pull,
// push and the subcommands in stateSubcommands.
func stateWords() []string {
	words := []string{"pull", "push"}
	for w := range stateSubcommands {
		words = append(words, w)
	}
	sort.Strings(words)
	return words
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

func runComplete(c *cli, words []string) int {
	if len(words) == 0 {
		words = []string{""}
	}
	cur, before := words[len(words)-1], words[:len(words)-1]
	out := completions(c, before, cur)
	for _, s := range out {
		if strings.HasPrefix(s, cur) || strings.HasPrefix(s, ":") {
			fmt.Fprintln(c.stdout, s)
		}
	}
	return exitOK
}

// completions returns the candidates for cur after the words before it.
func completions(c *cli, before []string, cur string) []string {
	globals := flag.NewFlagSet("wxmedia", flag.ContinueOnError)
	globals.SetOutput(io.Discard)
	cc := &cli{manifestPath: "wxmedia.yaml"}
	cc.globalFlags(globals)
	var cmd *command
	fs := globals
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
		if cmd == nil {
			cmd = commands[w]
			if cmd == nil {
				return nil
			}
			fs = flag.NewFlagSet("wxmedia "+cmd.name, flag.ContinueOnError)
			fs.SetOutput(io.Discard)
			cc.globalFlags(fs)
			cmd.args().bind(fs)
			continue
		}
		args = append(args, w)
	}
	switch {
	case expect != "" && assetFlags[expect]:
		return assetNames(cc, "both")
	case expect != "" && dirFlags[expect]:
		return []string{":dirs"}
	case expect != "" && (fileFlags[expect] || cmd == nil):
		return []string{":files"}
	case expect != "":
		return nil // a number or a duration
	case strings.HasPrefix(cur, "-"):
		return flagNames(fs)
	case cmd == nil:
		return commandNames()
	}
	switch {
	case cmd.name == "state" && len(args) == 0:
		return stateWords()
	case cmd.name == "completion" && len(args) == 0:
		return []string{"bash", "fish", "zsh"}
	case assetArgCommands[cmd.name] != "" && len(args) == 0:
		return assetNames(cc, assetArgCommands[cmd.name])
	case cmd.name == "apply" || cmd.name == "show" || cmd.name == "state":
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

// assetNames lists asset names from the manifest ("manifest": declared
// assets and glob keys), the lockfile ("lockfile"), or both, sorted. A
// manifest or lockfile that cannot be read contributes nothing: completion
// never prints errors.
func assetNames(cc *cli, from string) []string {
	return operation.AssetNames(cc.chdir, cc.manifestPath, cc.lockfilePath, from)
}
