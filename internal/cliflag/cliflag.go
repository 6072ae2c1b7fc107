// Package cliflag holds the command line's generic flag handling: range
// checks that cover every numeric flag without listing it, flags after
// positional arguments, and a repeatable string flag.
package cliflag

import (
	"flag"
	"fmt"
	"strings"
	"time"
)

// Check returns a message naming the first flag set on the command line to
// a value out of its range, or "". It is generic so that a flag added
// later is covered without being listed: an integer must be a positive
// integer (a count or a size); a duration must not be negative (0 is each
// duration flag's default: no wait, no latency); a float must not be
// negative, and one named *-rate other than rate-limit is a fraction of
// requests, at most 1. exceptions gives, by flag name, the rule of a flag
// for which zero or a negative number is meaningful.
func Check(fs *flag.FlagSet, exceptions map[string]func(v any) string) string {
	var msg string
	fs.Visit(func(f *flag.Flag) {
		if msg != "" {
			return
		}
		g, ok := f.Value.(flag.Getter)
		if !ok {
			return
		}
		rule := exceptions[f.Name]
		if rule == nil {
			rule = func(v any) string { return defaultRule(f.Name, v) }
		}
		if m := rule(g.Get()); m != "" {
			msg = fmt.Sprintf("invalid value %q for -%s: %s", f.Value.String(), f.Name, m)
		}
	})
	return msg
}

func defaultRule(name string, v any) string {
	switch v := v.(type) {
	case int:
		return positive(int64(v))
	case int64:
		return positive(v)
	case uint:
		return positive(int64(v))
	case uint64:
		if v == 0 {
			return "must be a positive integer"
		}
	case time.Duration:
		if v < 0 {
			return "must not be negative (a duration such as 30s or 2m; 0 for none)"
		}
	case float64:
		switch {
		case v < 0 || v != v:
			return "must be a number not below 0"
		case strings.HasSuffix(name, "-rate") && name != "rate-limit" && v > 1:
			return "must be a fraction of requests between 0 and 1"
		}
	}
	return ""
}

func positive(n int64) string {
	if n <= 0 {
		return "must be a positive integer"
	}
	return ""
}

// Interleave moves flags that follow positional arguments in front of
// them, so `wxmedia output storefront -json` works like Terraform's.
func Interleave(fs *flag.FlagSet, args []string) []string {
	var flags, pos []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			pos = append(pos, args[i+1:]...)
			break
		}
		if strings.HasPrefix(a, "-") && len(a) > 1 {
			flags = append(flags, a)
			name := strings.TrimLeft(a, "-")
			if strings.Contains(name, "=") {
				continue
			}
			if f := fs.Lookup(name); f != nil {
				if bf, ok := f.Value.(interface{ IsBoolFlag() bool }); ok && bf.IsBoolFlag() {
					continue
				}
				if i+1 < len(args) {
					i++
					flags = append(flags, args[i])
				}
			}
			continue
		}
		pos = append(pos, a)
	}
	return append(flags, pos...)
}

// StringList is a repeatable string flag.
type StringList []string

func (s *StringList) String() string { return "" }

// Set appends v.
func (s *StringList) Set(v string) error {
	*s = append(*s, v)
	return nil
}
