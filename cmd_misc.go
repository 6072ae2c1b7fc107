package main

import (
	"fmt"
	"sort"
	"strings"

	"github.com/wxmedia/wxmedia/manifest"
)

func init() {
	register(&command{name: "schema", synopsis: "print the manifest's JSON Schema",
		help: "Editors that speak the YAML language server complete and check wxmedia.yaml with it:\n" +
			"  wxmedia schema > wxmedia.schema.json\n" +
			"and put `# yaml-language-server: $schema=wxmedia.schema.json` at the top of the manifest.",
		run: func(c *cli, args []string) int {
			data, err := manifest.SchemaJSON()
			if err != nil {
				return c.fail(err)
			}
			fmt.Fprintf(c.stdout, "%s\n", data)
			return exitOK
		}})
	register(&command{name: "completion", usage: "bash|zsh|fish", synopsis: "print a shell completion script",
		help: "bash:  source <(wxmedia completion bash)\n" +
			"zsh:   wxmedia completion zsh > \"${fpath[1]}/_wxmedia\"\n" +
			"fish:  wxmedia completion fish > ~/.config/fish/completions/wxmedia.fish",
		run: runCompletion})
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
	cmds := strings.Join(commandNames(), " ")
	globals := "-chdir -manifest -lockfile -env -no-color -json"
	switch args[0] {
	case "bash":
		fmt.Fprintf(c.stdout, `# bash completion for wxmedia
_wxmedia() {
  local cur=${COMP_WORDS[COMP_CWORD]} i cmd=""
  for ((i=1; i<COMP_CWORD; i++)); do
    case ${COMP_WORDS[i]} in -*) ;; *) cmd=${COMP_WORDS[i]}; break ;; esac
  done
  if [[ -z $cmd ]]; then
    COMPREPLY=($(compgen -W "%s %s" -- "$cur"))
  elif [[ $cur == -* ]]; then
    COMPREPLY=($(compgen -W "%s -target -replace -parallelism -lock-timeout -out -detailed-exitcode -auto-approve -markdown -refresh-hashes -format" -- "$cur"))
  else
    COMPREPLY=($(compgen -f -- "$cur"))
  fi
}
complete -F _wxmedia wxmedia
`, cmds, globals, globals)
	case "zsh":
		fmt.Fprintf(c.stdout, `#compdef wxmedia
_wxmedia() {
  local -a cmds
  cmds=(%s)
  if (( CURRENT == 2 )); then
    _describe 'command' cmds
  else
    _files
  fi
}
_wxmedia "$@"
`, zshDescribe())
	case "fish":
		fmt.Fprintln(c.stdout, "# fish completion for wxmedia")
		for _, n := range commandNames() {
			fmt.Fprintf(c.stdout, "complete -c wxmedia -n __fish_use_subcommand -a %s -d %q\n", n, commands[n].synopsis)
		}
		for _, g := range strings.Fields(globals) {
			fmt.Fprintf(c.stdout, "complete -c wxmedia -o %s\n", strings.TrimPrefix(g, "-"))
		}
	default:
		return c.usageError(fmt.Sprintf("unknown shell %q; use bash, zsh or fish", args[0]))
	}
	return exitOK
}

func zshDescribe() string {
	var parts []string
	for _, n := range commandNames() {
		parts = append(parts, fmt.Sprintf("'%s:%s'", n, strings.ReplaceAll(commands[n].synopsis, "'", "")))
	}
	return strings.Join(parts, " ")
}
