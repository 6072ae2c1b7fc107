package views

import (
	"fmt"
	"io"
	"strings"
)

// Usage prints the top-level help: every command (names sorted, with its
// synopsis) and the global options.
func Usage(w io.Writer, names []string, synopsis func(name string) string) {
	fmt.Fprintln(w, "Usage: wxmedia [global options] <command> [options] [args]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "wxmedia uploads the files declared in wxmedia.yaml to WeChat Pay and records")
	fmt.Fprintln(w, "the returned IDs in wxmedia.lock.json.")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Commands:")
	for _, n := range names {
		fmt.Fprintf(w, "  %-14s %s\n", n, synopsis(n))
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Global options (before or after the command):")
	fmt.Fprintln(w, "  -chdir DIR       switch to DIR before doing anything else")
	fmt.Fprintln(w, "  -manifest FILE   manifest file (default wxmedia.yaml)")
	fmt.Fprintln(w, "  -lockfile FILE   lockfile (default wxmedia.lock.json beside the manifest)")
	fmt.Fprintln(w, "  -env ENV         select an environment of the manifest (also WXMEDIA_ENV)")
	fmt.Fprintln(w, "  -no-color        disable colour (also honours NO_COLOR)")
	fmt.Fprintln(w, "  -json            machine-readable output")
	fmt.Fprintln(w, "  -log-file FILE   append a redacted HTTP debug trace to FILE (or WXMEDIA_LOG=debug: to stderr)")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Run 'wxmedia <command> -h' for a command's options.")
}

// CommandUsage prints a command's help above its options, which
// printDefaults prints.
func CommandUsage(w io.Writer, name, usage, synopsis, help string, printDefaults func()) {
	fmt.Fprintf(w, "Usage: wxmedia [global options] %s [options] %s\n\n  %s\n", name, usage, synopsis)
	if help != "" {
		fmt.Fprintf(w, "\n%s\n", "  "+strings.ReplaceAll(strings.TrimSpace(help), "\n", "\n  "))
	}
	fmt.Fprintln(w, "\nOptions:")
	printDefaults()
}
