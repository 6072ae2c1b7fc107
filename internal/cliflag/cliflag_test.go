package cliflag

import (
	"flag"
	"io"
	"slices"
	"strings"
	"testing"
	"time"
)

func newSet() *flag.FlagSet {
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Int("parallelism", 4, "")
	fs.Duration("lock-timeout", 0, "")
	fs.Float64("fail-rate", 0, "")
	fs.Float64("rate-limit", 0, "")
	fs.Int("daily-quota", 0, "")
	fs.Bool("json", false, "")
	return fs
}

// TestCheck: every numeric flag set on the command line is range-checked
// by its type and name, unless an exception gives its rule.
func TestCheck(t *testing.T) {
	exceptions := map[string]func(any) string{"daily-quota": func(any) string { return "" }}
	for _, tc := range []struct {
		args []string
		want string // substring of the message; "" for none
	}{
		{[]string{"-parallelism", "0"}, "invalid value \"0\" for -parallelism: must be a positive integer"},
		{[]string{"-lock-timeout", "-1s"}, "-lock-timeout: must not be negative"},
		{[]string{"-fail-rate", "1.5"}, "between 0 and 1"},
		{[]string{"-rate-limit", "50"}, ""},
		{[]string{"-daily-quota", "0"}, ""},
		{[]string{"-lock-timeout", (2 * time.Minute).String(), "-parallelism", "8"}, ""},
	} {
		fs := newSet()
		if err := fs.Parse(tc.args); err != nil {
			t.Fatal(err)
		}
		got := Check(fs, exceptions)
		if (tc.want == "") != (got == "") || !strings.Contains(got, tc.want) {
			t.Errorf("%v: got %q, want %q", tc.args, got, tc.want)
		}
	}
}

// TestInterleave: flags after positional arguments move in front of them,
// with their values; booleans take none; "--" ends the flags.
func TestInterleave(t *testing.T) {
	got := Interleave(newSet(), []string{"name", "-json", "-parallelism", "2", "x", "--", "-y"})
	want := []string{"-json", "-parallelism", "2", "name", "x", "-y"}
	if !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}
