package command

import (
	"fmt"
	"io"
	"maps"
	"slices"

	"github.com/wxmedia/wxmedia/views"
)

// `wxmedia completion bash|zsh|fish`.

func init() {
	register(&command{name: "completion", usage: "bash|zsh|fish", synopsis: "print a shell completion script",
		help: "bash:  source <(wxmedia completion bash)\n" +
			"zsh:   wxmedia completion zsh > \"${fpath[1]}/_wxmedia\"\n" +
			"fish:  wxmedia completion fish > ~/.config/fish/completions/wxmedia.fish",
		args: simple(runCompletion).args})
}

func commandNames() []string { return slices.Sorted(maps.Keys(commands)) }

func runCompletion(c *cli, args []string) int {
	if len(args) != 1 {
		return c.usageError("completion needs one shell: bash, zsh or fish")
	}
	// Each script hands the words typed so far to `wxmedia __complete`
	// (cmd_complete.go).
	script, ok := views.CompletionScripts[args[0]]
	if !ok {
		return c.usageError(fmt.Sprintf("unknown shell %q; use bash, zsh or fish", args[0]))
	}
	io.WriteString(c.stdout, script)
	return ExitOK
}
