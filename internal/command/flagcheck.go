package command

// flagExceptions are numeric flags for which zero or a negative number is
// meaningful, with the rule they follow instead (cliflag.Check).
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
