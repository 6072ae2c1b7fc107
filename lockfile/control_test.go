package lockfile_test

import (
	"strings"
	"testing"

	"github.com/wxmedia/wxmedia/lockfile"
)

// A lockfile string holding a control character is refused on load, with
// the entry named (escaped) and what to do.
func TestParseRefusesControlCharacters(t *testing.T) {
	entry := func(name, extra string) string {
		return `{"version":1,"lineage":"6f1c0c1e-0000-4000-8000-000000000000","serial":1,"assets":{"` + name +
			`":{"type":"image","account":"shop","mchid":"1","file":"a.png","filename":"a.png","size":1,"sha256":"` + sumA + `","id":"x"` + extra + `}},"pending":{}}`
	}
	for _, tc := range []struct{ name, doc, want string }{
		{"id", strings.Replace(entry("a", ""), `"id":"x"`, `"id":"x\u001b[2J"`, 1), `assets.a.id contains the control character \x1b`},
		{"name", entry(`a\n`, ""), `the name of assets.a\n contains the control character \n`},
		{"bidi name", entry(`a\u202e`, ""), `the name of assets.a\u202e contains the control character \u202e`},
		{"attribute", entry("a", `,"attributes":{"k":"v\r"}`), `assets.a.attributes.k contains the control character \r`},
		{"endpoint", entry("a", `,"endpoint":"sandbox\u0007"`), `assets.a.endpoint contains the control character \x07`},
		{"pending", `{"version":1,"lineage":"6f1c0c1e-0000-4000-8000-000000000000","serial":1,"assets":{},"pending":{"p":{"upload_id":"u\u009b"}}}`,
			`pending.p.upload_id contains the control character \u009b`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := lockfile.Parse("wxmedia.lock.json", []byte(tc.doc))
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "Restore the lockfile from version control") {
				t.Errorf("Parse() error = %v, want one containing %q and what to do", err, tc.want)
			}
		})
	}
}
