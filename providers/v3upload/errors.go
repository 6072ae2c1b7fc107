package v3upload

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/wxmedia/wxmedia/providers"
)

// errorBody is the v3 error body (docs/PROTOCOL.md §1.3).
type errorBody struct {
	Code    string          `json:"code"`
	Message string          `json:"message"`
	Detail  json.RawMessage `json:"detail"`
}

// apiError turns a non-2xx response into *providers.APIError. Error bodies
// are not signed, so they are not verified (as in wechatpay-go).
func (c *Client) apiError(req *providers.Request, resp *http.Response, data []byte) *providers.APIError {
	var eb errorBody
	if err := json.Unmarshal(data, &eb); err != nil || (eb.Code == "" && eb.Message == "") {
		// A proxy or load balancer page, say: keep a short excerpt.
		eb = errorBody{Message: excerpt(data, 200)}
	} else {
		// Bound what a server can put into our messages and logs.
		eb.Code, eb.Message = excerpt([]byte(eb.Code), 64), excerpt([]byte(eb.Message), 500)
		if d := bytes.TrimSpace(eb.Detail); len(d) > 0 && string(d) != "null" && string(d) != "{}" {
			eb.Message += "; detail: " + excerpt(d, 300)
		}
	}
	retry := Retryable(resp.StatusCode, eb.Code, eb.Message)
	return &providers.APIError{
		Asset:           req.Asset,
		Endpoint:        c.ep.String(),
		HTTPStatus:      resp.StatusCode,
		Code:            eb.Code,
		Message:         eb.Message,
		RequestID:       resp.Header.Get("Request-ID"),
		Retryable:       retry,
		RetryAfterDelay: parseRetryAfter(resp.Header.Get("Retry-After"), c.acct.Clock()),
		Hint:            hint(resp.StatusCode, eb.Code, eb.Message, c.ep.Type),
	}
}

// Retryable decides whether an error answer may succeed if the same request
// is sent again later (docs/PROTOCOL.md §1.4): rate limits (429) and server
// errors (5xx) are retryable, except a 429 saying the daily upload quota is
// used up, which cannot succeed again today. Everything else needs a fix.
func Retryable(status int, code, message string) bool {
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

// hint says what the user should do about an error answer.
func hint(status int, code, message, assetType string) string {
	switch code {
	case "SIGN_ERROR":
		return "check that serial_no is the serial of the certificate that belongs to the private key, that mchid is right, and that the system clock is correct (within 5 minutes)"
	case "PARAM_ERROR":
		return "fix the file or its filename: the extension must match the content, the size must be within the " + assetType + " limit, and the file must not be empty"
	case "INVALID_REQUEST":
		if strings.Contains(strings.ToLower(message), "serial") {
			return "check that wechatpay_public_key_id (sent as Wechatpay-Serial) is the public key ID of this account"
		}
		if assetType == "global_file" {
			// This endpoint reports every file problem as INVALID_REQUEST.
			return "check the file's type (pdf, jpg, bmp, png), size (at most 5 MiB) and that it did not change since plan; if the file is fine, check wechatpay_public_key_id"
		}
		return "check that the file's type, size and digest meet the endpoint's rules, and that wechatpay_public_key_id (sent as Wechatpay-Serial) belongs to this account"
	case "NO_AUTH":
		return "this account lacks permission for the endpoint: enable the product in the WeChat Pay merchant portal"
	case "NOT_FOUND":
		return "the endpoint does not exist for this account: check the account's api and endpoint"
	case "FREQUENCY_LIMIT_EXCEED", "RATELIMIT_EXCEEDED", "FREQUENCY_LIMITED":
		if IsDailyQuota(message) {
			return "the daily upload quota is used up: run apply again tomorrow"
		}
		return "rate limited: lower the account's rate_limit or -parallelism"
	case "SYSTEM_ERROR":
		return "WeChat Pay had an internal error: retry later with the same file"
	}
	switch {
	case status == http.StatusUnauthorized:
		return "check serial_no, the private key and the system clock"
	case status == http.StatusTooManyRequests:
		if IsDailyQuota(message) {
			return "the daily upload quota is used up: run apply again tomorrow"
		}
		return "rate limited: lower the account's rate_limit or -parallelism"
	case status >= 300 && status < 400:
		return "unexpected redirect: check the account's endpoint"
	case status >= 500:
		return "server-side problem: retry later"
	}
	return ""
}

// excerpt returns up to max bytes of b as valid UTF-8 on one line.
func excerpt(b []byte, max int) string {
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
