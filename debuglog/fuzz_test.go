package debuglog

import (
	"strings"
	"testing"
)

// FuzzRedactAuth: whatever precedes it, a signature parameter's value never
// survives redaction. Seeds are in testdata/fuzz/FuzzRedactAuth.
func FuzzRedactAuth(f *testing.F) {
	f.Add(`mchid="1900000001",nonce_str="abc",timestamp="1",serial_no="AB",`, "c2lnbmF0dXJlIHZhbHVl")
	f.Add(`brand_id="12" `, "QUJDREVGR0g=")
	f.Fuzz(func(t *testing.T, prefix, secret string) {
		if strings.ContainsAny(prefix+secret, "\"") || len(secret) < 6 || strings.Contains(prefix, secret) {
			return
		}
		got := redactAuth("WECHATPAY2-SHA256-RSA2048 " + prefix + `signature="` + secret + `"`)
		if strings.Contains(got, secret) {
			t.Fatalf("redactAuth kept the signature %q: %q", secret, got)
		}
	})
}
