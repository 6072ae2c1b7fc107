package main

import (
	"flag"
	"fmt"
	"strings"
	"time"
)

// flagExceptions are numeric flags for which zero or a negative number is
// meaningful, with the rule they follow instead.
var flagExceptions = map[string]func(v any) string{
	// Any seed is a seed.
	"seed": func(any) string { return "" },
	// The emulator's daily quota: 0 is its default, no quota.
	"daily-quota": func(v any) string {
		if n, ok := v.(int); ok && n < 0 {
			return "must be 0 (unlimited) or more"
		}
		return ""
	},
}

// checkFlags returns a message naming the first flag set on the command
// line to a value out of its range, or "". It is generic so that a flag
// added later is covered without being listed: an integer must be a
// positive integer (a count or a size); a duration must not be negative
// (0 is each duration flag's default: no wait, no latency); a float must
// not be negative, and one named *-rate other than rate-limit is a fraction
// of requests, at most 1.
func checkFlags(fs *flag.FlagSet) string {
	var msg string
	fs.Visit(func(f *flag.Flag) {
		if msg != "" {
			return
		}
		g, ok := f.Value.(flag.Getter)
		if !ok {
			return
		}
		rule := flagExceptions[f.Name]
		if rule == nil {
			rule = func(v any) string { return flagRule(f.Name, v) }
		}
		if m := rule(g.Get()); m != "" {
			msg = fmt.Sprintf("invalid value %q for -%s: %s", f.Value.String(), f.Name, m)
		}
	})
	return msg
}

func flagRule(name string, v any) string {
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
