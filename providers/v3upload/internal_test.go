package v3upload

import (
	"net/http"
	"strings"
	"testing"
	"time"
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
		if got := parseRetryAfter(tc.in, now); got != tc.want {
			t.Errorf("parseRetryAfter(%q) = %v, want %v", tc.in, got, tc.want)
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
		if got := Retryable(tc.status, tc.code, tc.message); got != tc.want {
			t.Errorf("Retryable(%d, %q, %q) = %v, want %v", tc.status, tc.code, tc.message, got, tc.want)
		}
	}
}

func TestMultipartFrame(t *testing.T) {
	prefix, suffix, ct := multipartFrame([]byte(`{"filename":"x.jpg","sha256":"ab"}`), "x.jpg")
	b := ct[len("multipart/form-data; boundary="):]
	wantPrefix := "--" + b + "\r\nContent-Disposition: form-data; name=\"meta\";\r\nContent-Type: application/json\r\n\r\n" +
		`{"filename":"x.jpg","sha256":"ab"}` + "\r\n--" + b + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"x.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n"
	if string(prefix) != wantPrefix {
		t.Errorf("prefix = %q, want %q", prefix, wantPrefix)
	}
	if want := "\r\n--" + b + "--\r\n"; string(suffix) != want {
		t.Errorf("suffix = %q, want %q", suffix, want)
	}
}

func TestInvalidRequestHintLeadsWithLikelyCause(t *testing.T) {
	for _, tc := range []struct{ msg, typ, want string }{
		{"Wechatpay-Serial is not the key of this merchant", "image", "check that wechatpay_public_key_id"},
		{"file size exceeds the limit", "global_file", "check the file's type (pdf, jpg, bmp, png), size"},
		{"business rule", "image", "check that the file's type, size and digest"},
	} {
		if got := hint(400, "INVALID_REQUEST", tc.msg, tc.typ); !strings.HasPrefix(got, tc.want) {
			t.Errorf("hint(%q, %s) = %q, want it to start %q", tc.msg, tc.typ, got, tc.want)
		}
	}
}
