package command

import (
	"flag"
	"io"
	"sort"

	"github.com/wxmedia/wxmedia/operation"
	"github.com/wxmedia/wxmedia/views"
)

// completeCommand is the hidden command the completion scripts call with
// the words typed so far; views.Completer answers it.
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

func runComplete(c *cli, words []string) int {
	// The global flags typed so far land in cc, whichever set parsed them.
	cc := &cli{manifestPath: "wxmedia.yaml"}
	cp := &views.Completer{
		FlagSet: func(name string) *flag.FlagSet {
			fs := flag.NewFlagSet("wxmedia "+name, flag.ContinueOnError)
			fs.SetOutput(io.Discard)
			cc.globalFlags(fs)
			if name != "" {
				cmd := commands[name]
				if cmd == nil {
					return nil
				}
				cmd.args().bind(fs)
			}
			return fs
		},
		Commands:   commandNames(),
		StateWords: stateWords(),
		AssetNames: func(from string) []string {
			return operation.AssetNames(cc.chdir, cc.manifestPath, cc.lockfilePath, from)
		},
	}
	cp.Complete(c.stdout, words)
	return ExitOK
}
