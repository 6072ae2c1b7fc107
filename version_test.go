package main

import (
	"bytes"
	"strings"
	"testing"
)

// TestVersionStamp: the build stamp is main.version (set with -ldflags
// "-X main.version=…"), and `wxmedia version` prints it: the command layer
// is given it by main.
func TestVersionStamp(t *testing.T) {
	defer func(v string) { version = v }(version)
	version = "9.9.9-stamp"
	var out, errb bytes.Buffer
	if code := run([]string{"version"}, strings.NewReader(""), &out, &errb); code != exitOK {
		t.Fatalf("version exited %d: %s", code, errb.String())
	}
	if !strings.HasPrefix(out.String(), "wxmedia 9.9.9-stamp\n") {
		t.Errorf("version printed %q, want the stamp main.version", out.String())
	}
}
