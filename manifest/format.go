package manifest

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// FormatErrors is a multierror.ErrorFormatFunc for problem lists that mix
// *FieldError (from the manifest, the file checks and the account checks)
// with other errors: it sorts FieldErrors by file and position, prints one
// line each, and closes with a count when there are several.
func FormatErrors(es []error) string {
	sorted := append([]error(nil), es...)
	pos := func(e error) (string, int, int) {
		var fe *FieldError
		if errors.As(e, &fe) {
			return fe.File, fe.Line, fe.Col
		}
		return "\xff", 0, 0 // errors without a position go last
	}
	sort.SliceStable(sorted, func(i, j int) bool {
		fi, li, ci := pos(sorted[i])
		fj, lj, cj := pos(sorted[j])
		if fi != fj {
			return fi < fj
		}
		if li != lj {
			return li < lj
		}
		return ci < cj
	})
	var b strings.Builder
	for i, e := range sorted {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(e.Error())
	}
	if len(sorted) > 1 {
		file, _, _ := pos(sorted[0])
		if file == "\xff" {
			file = "total"
		}
		fmt.Fprintf(&b, "\n%d problems in %s", len(sorted), file)
	}
	return b.String()
}
