package main

import "github.com/wxmedia/wxmedia/internal/command"

// The exit codes (CONTRACT.md) under the short names the end-to-end tests
// of this package compare run's result with.
const (
	exitOK          = command.ExitOK
	exitError       = command.ExitError
	exitChanges     = command.ExitChanges
	exitInterrupted = command.ExitInterrupted
)
