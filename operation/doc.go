// Package operation runs wxmedia's operations: it loads the workspace (the
// manifest, its lockfile path and stat cache), chooses the state backend
// through one interface (the local lockfile or the PostgreSQL workspace the
// manifest's state block names), takes the apply lock, and runs plan,
// apply, import, forget, validate, output and the state subcommands (pull,
// push, history, show, restore, merge).
//
// It decides and does; it never renders, and its errors carry no advice
// about which command to run next: they are typed (planfile.StaleError,
// AccountsError, ErroredDumpError, JournalBesideError) or marked with a
// kind (ErrUnfinished, ErrStateChanged ..., errkinds.go), and the command
// layer (internal/command) adds the advice. The command layer parses the
// flags into one args struct per command, calls into this package, and
// renders the results through views. Warnings that must not fail a command go to
// the workspace's Log writer, one "Warning: ..." line each.
package operation
