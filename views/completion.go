package views

// CompletionScripts are the shell completion scripts `wxmedia completion
// SHELL` prints. Each hands the words typed so far to `wxmedia __complete`,
// which knows the commands, their flags, the asset names and where global
// options may appear.
var CompletionScripts = map[string]string{
	"bash": `# bash completion for wxmedia
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
`,
	"zsh": `#compdef wxmedia
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
`,
	"fish": `# fish completion for wxmedia
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
`,
}
