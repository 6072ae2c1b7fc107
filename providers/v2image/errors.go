package v2image

import (
	"net/http"
	"regexp"
	"strings"

	"github.com/wxmedia/wxmedia/providers"
)

// err_code values of uploadmedia (docs/PROTOCOL.md §5).
const (
	CodeInvalidRequest   = "INVALID_REQUEST"
	CodeSignError        = "SIGNERROR"
	CodeParamError       = "PARAM_ERROR"
	CodeFrequencyLimited = "FREQUENCY_LIMITED"
	CodeSystemError      = "SYSTEMERROR"
	// CodeFail is the APIError code of a return_code FAIL answer that
	// carries no err_code.
	CodeFail = "FAIL"
)

// Retryable reports whether a v2 err_code may succeed if the same request is
// sent again later: only SYSTEMERROR and FREQUENCY_LIMITED (docs/PROTOCOL.md §5).
func Retryable(errCode string) bool {
	switch errCode {
	case CodeSystemError, CodeFrequencyLimited:
		return true
	}
	return false
}

// retryable is Retryable for an answer with message: a FREQUENCY_LIMITED
// about the daily upload quota cannot succeed again until tomorrow, as for
// the v3 endpoints (providers.RetryableStatus).
func retryable(errCode, message string) bool {
	return Retryable(errCode) && !(errCode == CodeFrequencyLimited && providers.IsDailyQuota(message))
}

// certHint is the advice for a request without a usable client certificate.
const certHint = "WeChat Pay did not accept the client certificate: set client_cert_file and client_key_file to this merchant's API certificate (apiclient_cert.pem) and its key (apiclient_key.pem)"

// hint says what the user should do about a v2 failure.
func hint(code, message string) string {
	if isCertMessage(message) {
		return certHint
	}
	switch code {
	case CodeSignError:
		return "check that the variable named by api_key_env holds this merchant's APIv2 key (the 32-character API key, not the APIv3 key) and that sign_type matches the one set for it"
	case CodeParamError:
		return "check the image (jpg, jpeg, bmp or png, smaller than 2 MB, content matching the extension), that media_hash is its MD5 (the file must not change during upload), and the account's mchid"
	case CodeInvalidRequest:
		return "check the client certificate (client_cert_file/client_key_file must be this merchant's API certificate) and that the merchant has permission to upload media"
	case CodeFrequencyLimited:
		return providers.RateLimitHint(message, "")
	case CodeSystemError:
		return "WeChat Pay had an internal error: retry later with the same file"
	}
	if isSignMessage(message) {
		return hint(CodeSignError, "")
	}
	return ""
}

// isCertMessage reports a failure about the TLS client certificate, as in
// "Certificate is required" or "证书错误".
func isCertMessage(m string) bool {
	l := strings.ToLower(m)
	return strings.Contains(l, "certificate") || strings.Contains(l, "cert ") || strings.Contains(m, "证书")
}

// isSignMessage reports a protocol-level signature failure ("签名错误").
func isSignMessage(m string) bool {
	l := strings.ToLower(m)
	return strings.Contains(l, "sign") || strings.Contains(m, "签名")
}

// leadingCode finds a code the message starts with, as in
// "INVALID_REQUEST: the body must be multipart/form-data".
var leadingCode = regexp.MustCompile(`^\s*([A-Z][A-Z_]{2,40})\s*[:：]`)

// returnFail turns a return_code FAIL answer into an APIError. Such answers
// concern the communication, and only return_msg is guaranteed.
func (c *Client) returnFail(req *providers.Request, f map[string]string) *providers.APIError {
	code := strings.TrimSpace(f["err_code"])
	msg := c.redact(f["return_msg"])
	hintCode := code
	if m := leadingCode.FindStringSubmatch(msg); hintCode == "" && m != nil {
		hintCode = m[1]
	}
	if code == "" {
		code = CodeFail
	}
	return failure(req, code, hintCode, msg)
}

// resultFail turns a result_code FAIL answer into an APIError.
func (c *Client) resultFail(req *providers.Request, f map[string]string) *providers.APIError {
	code := strings.TrimSpace(f["err_code"])
	msg := c.redact(f["err_code_des"])
	if code == "" {
		code = CodeFail
		if msg == "" {
			msg = c.redact(f["return_msg"])
		}
	}
	return failure(req, code, code, msg)
}

// failure is the APIError for a FAIL answer (HTTP 200): code is reported,
// hintCode decides whether to retry and what to suggest.
func failure(req *providers.Request, code, hintCode, msg string) *providers.APIError {
	return &providers.APIError{
		Asset:      req.Asset,
		Endpoint:   endpoint,
		HTTPStatus: http.StatusOK,
		Code:       code,
		Message:    msg,
		Retryable:  retryable(hintCode, msg),
		Hint:       hint(hintCode, msg),
	}
}

// httpError turns a non-200 answer (a proxy, a load balancer, a gateway in
// front of the v2 API) into an APIError: 429 and 5xx are retryable.
func (c *Client) httpError(req *providers.Request, resp *http.Response, data []byte) *providers.APIError {
	msg := c.redact(providers.Excerpt(data, 200))
	code := ""
	if f, err := parseXML(data); err == nil {
		code = strings.TrimSpace(f["err_code"])
		if m := c.redact(f["return_msg"] + " " + f["err_code_des"]); strings.TrimSpace(m) != "" {
			msg = strings.TrimSpace(m)
		}
	}
	h := hint(code, msg)
	if h == "" {
		switch s := resp.StatusCode; {
		case s == http.StatusTooManyRequests:
			h = "rate limited: lower the account's rate_limit or -parallelism"
		case s >= 500:
			h = "server-side problem: retry later"
		case s == http.StatusNotFound || (s >= 300 && s < 400):
			h = "check the account's endpoint"
		}
	}
	return &providers.APIError{
		Asset:           req.Asset,
		Endpoint:        endpoint,
		HTTPStatus:      resp.StatusCode,
		Code:            code,
		Message:         msg,
		RequestID:       resp.Header.Get("Request-ID"),
		Retryable:       providers.RetryableStatus(resp.StatusCode, msg),
		RetryAfterDelay: providers.ParseRetryAfter(resp.Header.Get("Retry-After"), c.acct.Clock()),
		Hint:            h,
	}
}

// redact removes the APIv2 key from text that came from the server, so that
// an answer echoing it (a misbehaving proxy, a forged answer) cannot put it
// in an error message or a log.
func (c *Client) redact(s string) string {
	if k := c.acct.APIKey; k != "" && strings.Contains(s, k) {
		s = strings.ReplaceAll(s, k, "[REDACTED]")
	}
	return s
}
