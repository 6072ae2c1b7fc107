// Package operation runs wxmedia's operations: it loads the workspace (the
// manifest, its lockfile path and stat cache), chooses the state backend
// through one interface (the local lockfile or the PostgreSQL workspace the
// manifest's state block names), takes the apply lock, and runs plan,
// apply, import, forget, validate, output and the state subcommands (pull,
// push, history, show, restore, merge).
//
// It decides and does; it never renders, and its errors carry no advice
// about which command to run next where the CLI adds it (typed errors such
// as planfile.StaleError, AccountsError, ErroredDumpError). Package main parses the flags
// into one args struct per command, calls into this package, and renders
// the results through views. Warnings that must not fail a command go to
// the workspace's Log writer, one "Warning: ..." line each.
package operation
