package v2image

import (
	"bytes"
	"encoding/xml"
	"maps"
	"slices"
	"strings"
	"testing"
)

// FuzzParseXML feeds arbitrary bodies to the answer parser: it must never
// panic, and what it accepts must survive a round trip (the fields written
// back as XML parse to the same map), so that no two readings of one body
// can disagree about the fields the sign covers.
func FuzzParseXML(f *testing.F) {
	for _, s := range []string{
		`<xml><return_code><![CDATA[SUCCESS]]></return_code><return_msg><![CDATA[OK]]></return_msg><result_code><![CDATA[SUCCESS]]></result_code><media_id><![CDATA[H1ihR9JUtVj-J7CJqBUY5ZOrG_Je75H-rKu8Ln1k4-N0sNLbcBEFOLMMZFRAMVSNIKp-0xqr2mxqtjF2MuGfcDg]]></media_id><sign><![CDATA[BF5B5E8D5E2F9C4C2E0D1A6E0E7E3B1C]]></sign></xml>`,
		`<xml><return_code><![CDATA[FAIL]]></return_code><return_msg><![CDATA[Certificate is required]]></return_msg></xml>`,
		`<?xml version="1.0" encoding="UTF-8"?>` + "\n<xml>\n  <return_code>SUCCESS</return_code>\n  <!-- c -->\n  <err_code_des>a &amp; b &lt;c&gt;</err_code_des>\n</xml>\n",
		`<xml><a>1</a><a>2</a></xml>`,
		`<xml><a><b>1</b></a></xml>`,
		`<xml><p:a>1</p:a></xml>`,
		`<xml>text<a>1</a></xml>`,
		`<xml><a>1</b></xml>`,
		`<xml><a>]]></a></xml>`,
		`<xml><a><![CDATA[x]]]]><![CDATA[>y]]></a></xml>`,
		`<!DOCTYPE x [<!ENTITY e "v">]><xml><a>&e;</a></xml>`,
		`<xml></xml><xml></xml>`,
		`<xml>`,
		``,
		"<xml><a>\r\n&#xD;</a></xml>",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		fields, err := parseXML(data)
		if err != nil {
			if fields != nil {
				t.Fatal("fields returned with an error")
			}
			return
		}
		if len(fields) > maxFields {
			t.Fatalf("%d fields, limit %d", len(fields), maxFields)
		}
		var b bytes.Buffer
		b.WriteString("<xml>")
		for _, k := range slices.Sorted(maps.Keys(fields)) {
			b.WriteString("<" + k + ">")
			xml.EscapeText(&b, []byte(fields[k]))
			b.WriteString("</" + k + ">")
		}
		b.WriteString("</xml>")
		again, err := parseXML(b.Bytes())
		if err != nil {
			t.Fatalf("re-encoded fields %q do not parse: %v", b.String(), err)
		}
		if !maps.Equal(fields, again) {
			t.Fatalf("round trip changed the fields: %q -> %q", fields, again)
		}
		for k := range fields {
			if k == "" || strings.ContainsAny(k, "<>") {
				t.Fatalf("odd element name %q", k)
			}
		}
	})
}
