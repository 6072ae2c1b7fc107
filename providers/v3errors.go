package providers

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"unicode/utf8"
)

// Caps on what a server can put into our messages and logs through an error
// answer: one set for every provider.
const (
	maxErrorCode    = 64
	maxErrorMessage = 500
	maxErrorDetail  = 300
	// MaxExcerpt is how much of a body that is not a WeChat Pay error body
	// (a proxy's page, say) is quoted in a message.
	MaxExcerpt = 200
)

// v3ErrorBody is the v3 error body (docs/PROTOCOL.md §1.3), also used by the
// brand endpoints.
type v3ErrorBody struct {
	Code    string          `json:"code"`
	Message string          `json:"message"`
	Detail  json.RawMessage `json:"detail"`
}

// DecodeV3Error reads a non-2xx v3 (or brand) answer body: its code, and its
// message with any detail appended, each capped. A body that is not a
// WeChat Pay error body gives no code and an excerpt as the message. Error
// bodies are not signed, so they are not verified (as in wechatpay-go).
func DecodeV3Error(data []byte) (code, message string) {
	var eb v3ErrorBody
	if err := json.Unmarshal(data, &eb); err != nil || (eb.Code == "" && eb.Message == "") {
		return "", Excerpt(data, MaxExcerpt)
	}
	code, message = Excerpt([]byte(eb.Code), maxErrorCode), Excerpt([]byte(eb.Message), maxErrorMessage)
	if d := bytes.TrimSpace(eb.Detail); len(d) > 0 && string(d) != "null" && string(d) != "{}" {
		message += "; detail: " + Excerpt(d, maxErrorDetail)
	}
	return code, message
}

// RetryableStatus decides whether an error answer may succeed if the same
// request is sent again later (docs/PROTOCOL.md §1.4): rate limits (429)
// and server errors (5xx) are retryable, except a 429 saying the daily
// upload quota is used up, which cannot succeed again today. Everything
// else needs a fix.
func RetryableStatus(status int, message string) bool {
	switch {
	case status == http.StatusTooManyRequests:
		return !IsDailyQuota(message)
	case status >= 500:
		return true
	}
	return false
}

// IsDailyQuota reports whether a rate-limit message is about the daily
// quota rather than the per-second rate. [ASSUMED] WeChat Pay uses the same
// code for both, so this reads the message, in English or Chinese.
func IsDailyQuota(message string) bool {
	m := strings.ToLower(message)
	for _, w := range []string{"daily", "per day", "today", "quota", "当日", "当天", "每日", "每天", "今日", "今天", "日上限"} {
		if strings.Contains(m, w) {
			return true
		}
	}
	return false
}

// dailyQuotaHint is the hint of an answer saying the daily upload quota is
// used up; such an *APIError matches ErrDailyQuota.
const dailyQuotaHint = "the daily upload quota is used up until tomorrow"

// RateLimitHint is the advice for a rate-limit answer: the daily upload
// quota is used up when message says so (the error then matches
// ErrDailyQuota), else lower the rate; more, if set, is added to the latter
// (e.g. "; a retry resumes …").
func RateLimitHint(message, more string) string {
	if IsDailyQuota(message) {
		return dailyQuotaHint
	}
	return "rate limited: lower the account's rate_limit or -parallelism" + more
}

// Excerpt returns up to max bytes of b, whitespace collapsed, as valid
// UTF-8 on one line, with "…" when cut.
func Excerpt(b []byte, max int) string {
	s := strings.Join(strings.Fields(string(b)), " ")
	if len(s) > max {
		s = s[:max]
		for !utf8.ValidString(s) {
			s = s[:len(s)-1]
		}
		s += "…"
	}
	return strings.ToValidUTF8(s, "?")
}
