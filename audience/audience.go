// Package audience checks the content of a brand audience file (a
// user_package asset) before anything is uploaded: WeChat Pay silently drops
// lines it does not recognise (docs/PROTOCOL.md §7.2), so a wrong data_type or a
// header row would otherwise cost a T+2 wait for an audience that is smaller
// than intended, and a raw mobile number must never leave the machine.
//
// The file is plain text with no header row, one identifier per line: an
// openid, or the MD5 of a mobile number (32 hex digits).
package audience

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"regexp"
	"sync"
)

// The data_type values of a user_package asset.
const (
	OpenID    = "openid"
	MobileMD5 = "mobile_md5"
)

// DataTypes lists the data_type values, in the order messages name them.
func DataTypes() []string { return []string{OpenID, MobileMD5} }

// ValidDataType reports whether s is a data_type value.
func ValidDataType(s string) bool { return s == OpenID || s == MobileMD5 }

// AdvisedMaxLines is WeChat Pay's advice for the number of lines in one
// audience file (docs/PROTOCOL.md §7.3): more is accepted, with a warning.
const AdvisedMaxLines = 500_000

// MaxReported is how many bad lines a Report lists; BadCount counts all.
const MaxReported = 5

// maxLine bounds the part of a line that is looked at: no valid line is
// longer than 64 characters, so anything past this is only counted.
const maxLine = 256

// The patterns are compiled when first used, not when every command
// starts: a counted repetition compiles to a program as long as the count.
var (
	openIDRE = lazyRegexp(`^[A-Za-z0-9_-]{20,64}$`)
	// [ASSUMED] MD5 hex is accepted in either case; the documentation
	// only says "MD5-hashed".
	md5RE = lazyRegexp(`^[0-9A-Fa-f]{32}$`)
	// A Chinese mobile number, optionally with the country code, anywhere
	// in the line; or a whole line that is a phone number in any format.
	cnMobileRE = lazyRegexp(`(^|[^0-9])(\+?86[ -]?)?1[3-9][0-9]{9}([^0-9]|$)`)
	phoneRE    = lazyRegexp(`^\+?[0-9][0-9 ()-]{5,20}[0-9]$`)
)

// lazyRegexp returns expr compiled when first asked for.
func lazyRegexp(expr string) func() *regexp.Regexp {
	return sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(expr) })
}

// Problem is one bad line.
type Problem struct {
	// Line is the 1-based line number.
	Line int
	// RawMobile marks a line that looks like a mobile number in clear.
	RawMobile bool
	// Reason says what is wrong; it never quotes a line that looks like a
	// mobile number.
	Reason string
}

// Report is what Check found.
type Report struct {
	// Lines counts the lines, the empty ones included (a final line break
	// does not start a line).
	Lines int
	// Bad lists the first MaxReported bad lines, in file order.
	Bad []Problem
	// BadCount counts every bad line; RawMobiles those that look like
	// mobile numbers in clear.
	BadCount, RawMobiles int
}

// Check reads an audience file of the given data type (OpenID or
// MobileMD5) and reports its line count and bad lines. The error is a read
// error or an unknown data type; bad content is in the Report.
func Check(r io.Reader, dataType string) (Report, error) {
	var rep Report
	if !ValidDataType(dataType) {
		return rep, fmt.Errorf("audience: unknown data_type %q", dataType)
	}
	valid, want := openIDRE(), "an openid (20 to 64 letters, digits, '_' or '-')"
	if dataType == MobileMD5 {
		valid, want = md5RE(), "an MD5-hashed mobile number (32 hex digits)"
	}
	br := bufio.NewReaderSize(r, 64<<10)
	var line []byte
	for {
		chunk, isPrefix, err := br.ReadLine()
		if err == io.EOF {
			return rep, nil
		}
		if err != nil {
			return rep, err
		}
		long := false
		line = append(line[:0], chunk[:min(len(chunk), maxLine)]...)
		for isPrefix {
			long = true
			if _, isPrefix, err = br.ReadLine(); err != nil && err != io.EOF {
				return rep, err
			}
		}
		rep.Lines++
		if rep.Lines == 1 {
			line = bytes.TrimPrefix(line, []byte("\xEF\xBB\xBF"))
		}
		if !long && valid.Match(line) {
			continue
		}
		p := Problem{Line: rep.Lines}
		switch {
		case cnMobileRE().Match(line) || phoneRE().Match(bytes.TrimSpace(line)):
			p.RawMobile = true
			p.Reason = "looks like a raw mobile number: hash it with MD5 first; raw numbers are never uploaded"
			rep.RawMobiles++
		case len(bytes.TrimSpace(line)) == 0:
			p.Reason = "is empty; remove blank lines"
		case long:
			p.Reason = fmt.Sprintf("is longer than %d characters; want %s per line", maxLine, want)
		default:
			p.Reason = fmt.Sprintf("%s is not %s%s", quote(line), want, hint(line, dataType))
		}
		rep.BadCount++
		if len(rep.Bad) < MaxReported {
			rep.Bad = append(rep.Bad, p)
		}
	}
}

// hint suggests the likely mistake behind a bad line.
func hint(line []byte, dataType string) string {
	t := bytes.TrimSpace(line)
	switch {
	case bytes.ContainsAny(t, ",;\t"):
		return "; the file has one column and no header row"
	case !bytes.Equal(t, line):
		return "; remove the spaces around it"
	case dataType == OpenID && md5RE().Match(t):
		return "; it looks like an MD5 hash: set data_type: mobile_md5"
	case dataType == MobileMD5 && openIDRE().Match(t):
		return "; it looks like an openid: set data_type: openid"
	}
	return ""
}

// quote shows the start of a line in a message.
func quote(line []byte) string {
	const show = 40
	if len(line) > show {
		return fmt.Sprintf("%q…", line[:show])
	}
	return fmt.Sprintf("%q", line)
}

// Describe renders a problem for a message about file: "file line N: …".
func (p Problem) Describe(file string) string {
	return fmt.Sprintf("%s line %d: %s", file, p.Line, p.Reason)
}

// MaxDescription bounds a user_package description, in characters.
// [ASSUMED] the documentation names the field but not its limit.
const MaxDescription = 128

// packageIDRE is what a user_package_id (expand_into) may be. [ASSUMED]
// the documented sample is 20 digits; letters, '_' and '-' are allowed too
// since the ID goes into a URL path and nothing documents its alphabet.
var packageIDRE = lazyRegexp(`^[A-Za-z0-9_-]{1,64}$`)

// ValidPackageID reports whether s can name an audience package in
// expand_into.
func ValidPackageID(s string) bool { return packageIDRE().MatchString(s) }
