package v3upload

import (
	"net/http"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/wxmedia/wxmedia/providers"
)

// FuzzResponse feeds arbitrary status codes and bodies to the JSON response
// parsers: success bodies (the ID field) and error bodies. They must never
// panic, never return an ID outside the endpoint's bounds, and always name
// the asset in errors.
func FuzzResponse(f *testing.F) {
	f.Add(200, []byte(`{"media_id":"abc"}`))
	f.Add(200, []byte(`{"media_id":""}`))
	f.Add(200, []byte(`{"media_id":123}`))
	f.Add(200, []byte(`[]`))
	f.Add(400, []byte(`{"code":"PARAM_ERROR","message":"bad","detail":{"field":"filename"}}`))
	f.Add(429, []byte(`{"code":"FREQUENCY_LIMIT_EXCEED","message":"今日上传次数已达上限"}`))
	f.Add(502, []byte("<html>bad gateway</html>"))
	f.Add(500, []byte(`{"code":"SYSTEM_ERROR","message":"`+strings.Repeat("x", 5000)+`"}`))
	c := New(Endpoint{Type: "image", Path: "/v3/merchant/media/upload", DigestKey: "sha256", IDField: "media_id", IDMinLen: 1, IDMaxLen: 512}, &providers.Account{})
	req := &providers.Request{Asset: "fuzzed_asset"}
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		if status >= 200 && status <= 299 {
			id, reason := c.extractID(body)
			if reason == "" && (len(id) < 1 || len(id) > 512) {
				t.Fatalf("accepted an ID of length %d", len(id))
			}
			if reason != "" && id != "" {
				t.Fatalf("returned both an ID and a reason")
			}
			return
		}
		resp := &http.Response{StatusCode: status, Header: http.Header{"Request-Id": {"RID"}}}
		err := c.apiError(req, resp, body)
		msg := err.Error()
		if !strings.HasPrefix(msg, "fuzzed_asset: ") {
			t.Fatalf("error does not name the asset: %q", msg)
		}
		if len(msg) > 4096 {
			t.Fatalf("error message is %d bytes: an excerpt must be bounded", len(msg))
		}
		if utf8.ValidString(string(body)) && !utf8.ValidString(msg) {
			t.Fatalf("valid body produced an invalid UTF-8 message")
		}
	})
}
