// Package safetext finds and escapes the characters that must not reach a
// terminal or a lockfile key unescaped: control characters (C0, DEL, C1,
// which include ESC and newlines) and the Unicode controls that reorder or
// hide text (bidirectional overrides and isolates). A hostile name or ID
// holding them could erase lines of a plan on a reviewer's screen or make
// one name look like another.
package safetext

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Unsafe reports whether r must not be shown raw.
func Unsafe(r rune) bool {
	switch {
	case unicode.IsControl(r):
		return true
	case r >= 0x202A && r <= 0x202E, r >= 0x2066 && r <= 0x2069, r == 0x200E, r == 0x200F, r == 0x061C:
		return true // bidirectional embeddings, overrides, isolates and marks
	case r == 0x2028 || r == 0x2029:
		return true // line and paragraph separators
	}
	return false
}

// Find returns the first unsafe character of s, as it would be escaped
// (such as `\x1b`), and whether there is one. Invalid UTF-8 counts as
// unsafe too.
func Find(s string) (string, bool) {
	// Printable ASCII is safe: most strings (a plan checks every asset's
	// name and path) are found safe without decoding a rune.
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f {
			return find(s[i:]) // s[i] starts a rune: every byte before is one
		}
	}
	return "", false
}

func find(s string) (string, bool) {
	for i, r := range s {
		if r == utf8.RuneError {
			if _, n := utf8.DecodeRuneInString(s[i:]); n == 1 {
				return fmt.Sprintf(`\x%02x`, s[i]), true
			}
		}
		if Unsafe(r) {
			return escapeRune(r), true
		}
	}
	return "", false
}

// Escape returns s with every unsafe character (and every byte of invalid
// UTF-8) written as a Go escape: "\x1b", "\n", "\u202e". A string without
// any is returned as it is.
func Escape(s string) string {
	if _, bad := Find(s); !bad {
		return s
	}
	var b strings.Builder
	for i, r := range s {
		if r == utf8.RuneError {
			if _, n := utf8.DecodeRuneInString(s[i:]); n == 1 {
				fmt.Fprintf(&b, `\x%02x`, s[i])
				continue
			}
		}
		if Unsafe(r) {
			b.WriteString(escapeRune(r))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

func escapeRune(r rune) string {
	switch r {
	case '\n':
		return `\n`
	case '\r':
		return `\r`
	case '\t':
		return `\t`
	}
	if r < 0x80 {
		return fmt.Sprintf(`\x%02x`, r)
	}
	return fmt.Sprintf(`\u%04x`, r)
}
