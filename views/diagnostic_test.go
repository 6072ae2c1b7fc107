package views

import "testing"

func TestDiagnosticString(t *testing.T) {
	for _, tc := range []struct {
		d    Diagnostic
		want string
	}{
		{Diagnostic{Summary: "s"}, "s"},
		{Diagnostic{Summary: "s", Detail: "d"}, "s: d"},
		{Diagnostic{Summary: "s", Detail: "d", Advice: "Do this"}, "s: d. Do this"},
		{Diagnostic{Summary: "s", Advice: "Do this"}, "s. Do this"},
		{Diagnostic{Summary: "2 changes failed:\n  - a\n  - b", Advice: "Do this"}, "2 changes failed:\n  - a\n  - b\nDo this"},
	} {
		if got := tc.d.String(); got != tc.want {
			t.Errorf("%+v: %q, want %q", tc.d, got, tc.want)
		}
	}
}
