package providers_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/wxmedia/wxmedia/providers"
)

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"", 0},
		{"5", 5 * time.Second},
		{" 120 ", 2 * time.Minute},
		{"0", 0},
		{"-3", 0},
		{"99999999", 7 * 24 * time.Hour},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second},
		{now.Add(-time.Hour).Format(http.TimeFormat), 0},
		{"soon", 0},
	}
	for _, tc := range tests {
		if got := providers.ParseRetryAfter(tc.in, now); got != tc.want {
			t.Errorf("ParseRetryAfter(%q) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

func TestRetryable(t *testing.T) {
	tests := []struct {
		status        int
		code, message string
		want          bool
	}{
		{400, "PARAM_ERROR", "bad", false},
		{400, "INVALID_REQUEST", "bad", false},
		{401, "SIGN_ERROR", "", false},
		{403, "NO_AUTH", "", false},
		{404, "NOT_FOUND", "", false},
		{429, "FREQUENCY_LIMIT_EXCEED", "请求过于频繁", true},
		{429, "RATELIMIT_EXCEEDED", "too many requests", true},
		{429, "FREQUENCY_LIMIT_EXCEED", "超过每日上传次数上限", false},
		{429, "FREQUENCY_LIMIT_EXCEED", "Daily quota reached", false},
		{500, "SYSTEM_ERROR", "", true},
		{502, "", "", true},
		{503, "", "", true},
		{307, "", "", false},
	}
	for _, tc := range tests {
		if got := providers.RetryableStatus(tc.status, tc.message); got != tc.want {
			t.Errorf("RetryableStatus(%d, %q) [code %q] = %v, want %v", tc.status, tc.message, tc.code, got, tc.want)
		}
	}
}

// TestDecodeV3ErrorCaps: every provider that reads a v3 or brand error body
// caps its code, message and detail the same way, so a server cannot fill
// our messages and logs.
func TestDecodeV3ErrorCaps(t *testing.T) {
	long := strings.Repeat("x", 5000)
	code, msg := providers.DecodeV3Error([]byte(`{"code":"` + long + `","message":"` + long + `","detail":{"field":"` + long + `"}}`))
	if len(code) > 64+len("…") {
		t.Errorf("code is %d bytes, want at most 64 and an ellipsis", len(code))
	}
	if len(msg) > 500+len("…; detail: ")+300+len("…") {
		t.Errorf("message is %d bytes: the caps did not apply", len(msg))
	}
	if !strings.Contains(msg, "; detail: ") {
		t.Errorf("message %q lost the detail", msg)
	}
	code, msg = providers.DecodeV3Error([]byte("<html>  bad\n gateway " + long + "</html>"))
	if code != "" || !strings.HasPrefix(msg, "<html> bad gateway") || len(msg) > 200+len("…") {
		t.Errorf("non-JSON body: code %q, message %.40q (%d bytes)", code, msg, len(msg))
	}
	if code, msg := providers.DecodeV3Error([]byte(`{"code":"PARAM_ERROR","message":"bad","detail":null}`)); code != "PARAM_ERROR" || msg != "bad" {
		t.Errorf("got %q %q, want PARAM_ERROR bad", code, msg)
	}
}
