package main

import (
	"fmt"
	"io"
	"sort"
)

// `wxmedia completion bash|zsh|fish`.

func init() {
	register(&command{name: "completion", usage: "bash|zsh|fish", synopsis: "print a shell completion script",
		help: "bash:  source <(wxmedia completion bash)\n" +
			"zsh:   wxmedia completion zsh > \"${fpath[1]}/_wxmedia\"\n" +
			"fish:  wxmedia completion fish > ~/.config/fish/completions/wxmedia.fish",
		args: simple(runCompletion).args})
}

func commandNames() []string {
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func runCompletion(c *cli, args []string) int {
	if len(args) != 1 {
		return c.usageError("completion needs one shell: bash, zsh or fish")
	}
	// Each script hands the words typed so far to `wxmedia __complete`
	// (see complete.go), which knows the commands, their flags, the
	// asset names and where global options may appear.
	switch args[0] {
	case "bash":
		io.WriteString(c.stdout, `# bash completion for wxmedia
_wxmedia() {
  local cur=${COMP_WORDS[COMP_CWORD]} out
  out=$(wxmedia __complete "${COMP_WORDS[@]:1:COMP_CWORD}" 2>/dev/null)
  case $out in
    :files) COMPREPLY=($(compgen -f -- "$cur")) ;;
    :dirs) COMPREPLY=($(compgen -d -- "$cur")) ;;
    *) local IFS=$'\n'; COMPREPLY=($(compgen -W "$out" -- "$cur")) ;;
  esac
}
complete -F _wxmedia wxmedia
`)
	case "zsh":
		io.WriteString(c.stdout, `#compdef wxmedia
_wxmedia() {
  local -a out
  out=("${(@f)$(wxmedia __complete "${(@)words[2,CURRENT]}" 2>/dev/null)}")
  case $out[1] in
    :files) _files ;;
    :dirs) _files -/ ;;
    *) compadd -- $out ;;
  esac
}
_wxmedia "$@"
`)
	case "fish":
		io.WriteString(c.stdout, `# fish completion for wxmedia
function __wxmedia_complete
    set -l words (commandline -opc) (commandline -ct)
    set -e words[1]
    set -l out (wxmedia __complete $words 2>/dev/null)
    switch "$out[1]"
        case :files
            __fish_complete_path (commandline -ct)
        case :dirs
            __fish_complete_directories (commandline -ct)
        case '*'
            printf '%s\n' $out
    end
end
complete -c wxmedia -f -a '(__wxmedia_complete)'
`)
	default:
		return c.usageError(fmt.Sprintf("unknown shell %q; use bash, zsh or fish", args[0]))
	}
	return exitOK
}
