package audience_test

import (
	"strings"
	"testing"

	"github.com/wxmedia/wxmedia/audience"
)

func TestCheck(t *testing.T) {
	const oid = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"
	const md5 = "e10adc3949ba59abbe56e057f20f883e"
	tests := []struct {
		name, dataType, content string
		lines, bad, raw         int
		firstLine               int
		reason                  string
	}{
		{"openids", audience.OpenID, oid + "\n" + oid + "\r\n" + oid, 3, 0, 0, 0, ""},
		{"md5 either case", audience.MobileMD5, md5 + "\n" + strings.ToUpper(md5) + "\n", 2, 0, 0, 0, ""},
		{"bom", audience.OpenID, "\xEF\xBB\xBF" + oid + "\n", 1, 0, 0, 0, ""},
		{"header row", audience.OpenID, "openid\n" + oid + "\n", 2, 1, 0, 1, `"openid" is not an openid`},
		{"raw mobile", audience.MobileMD5, md5 + "\n13800138000\n", 2, 1, 1, 2, "hash it with MD5 first; raw numbers are never uploaded"},
		{"raw mobile with code", audience.OpenID, "+86 13800138000\n", 1, 1, 1, 1, "raw numbers are never uploaded"},
		{"raw mobile in a row", audience.OpenID, "13800138000,Wang\n", 1, 1, 1, 1, "raw numbers are never uploaded"},
		{"foreign phone", audience.MobileMD5, "+1 (415) 555-0100\n", 1, 1, 1, 1, "raw numbers are never uploaded"},
		{"md5 as openid", audience.OpenID, md5 + "\n", 1, 0, 0, 0, ""}, // 32 hex digits are a valid openid shape
		{"openid as md5", audience.MobileMD5, oid + "\n", 1, 1, 0, 1, "set data_type: openid"},
		{"blank line", audience.OpenID, oid + "\n\n" + oid + "\n", 3, 1, 0, 2, "is empty"},
		{"two columns", audience.OpenID, oid + "," + oid + "\n", 1, 1, 0, 1, "one column and no header row"},
		{"long line", audience.OpenID, strings.Repeat("a", 100000) + "\n" + oid, 2, 1, 0, 1, "longer than"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rep, err := audience.Check(strings.NewReader(tc.content), tc.dataType)
			if err != nil {
				t.Fatal(err)
			}
			if rep.Lines != tc.lines || rep.BadCount != tc.bad || rep.RawMobiles != tc.raw {
				t.Fatalf("Check = %d lines, %d bad, %d raw; want %d, %d, %d (%+v)", rep.Lines, rep.BadCount, rep.RawMobiles, tc.lines, tc.bad, tc.raw, rep.Bad)
			}
			if tc.bad == 0 {
				return
			}
			p := rep.Bad[0]
			if p.Line != tc.firstLine || !strings.Contains(p.Reason, tc.reason) {
				t.Errorf("first problem = line %d %q, want line %d containing %q", p.Line, p.Reason, tc.firstLine, tc.reason)
			}
			if p.RawMobile && strings.Contains(p.Describe("f.csv"), "13800138000") {
				t.Errorf("message %q quotes the mobile number", p.Describe("f.csv"))
			}
		})
	}
}

func TestCheckReportsFirstProblemsAndCountsAll(t *testing.T) {
	var b strings.Builder
	for range 12 {
		b.WriteString("x\n")
	}
	rep, err := audience.Check(strings.NewReader(b.String()), audience.OpenID)
	if err != nil {
		t.Fatal(err)
	}
	if rep.BadCount != 12 || len(rep.Bad) != audience.MaxReported || rep.Bad[audience.MaxReported-1].Line != audience.MaxReported {
		t.Fatalf("Check = %d bad, listed %+v; want 12 counted and lines 1..%d listed", rep.BadCount, rep.Bad, audience.MaxReported)
	}
}

func TestCheckUnknownDataType(t *testing.T) {
	if _, err := audience.Check(strings.NewReader("x"), "email"); err == nil {
		t.Fatal("Check with data_type email succeeded")
	}
}
