package v3upload

import (
	"net/http"
	"strings"

	"github.com/wxmedia/wxmedia/providers"
)

// apiError turns a non-2xx response into *providers.APIError. Error bodies
// are not signed, so they are not verified (as in wechatpay-go).
func (c *Client) apiError(req *providers.Request, resp *http.Response, data []byte) *providers.APIError {
	code, message := providers.DecodeV3Error(data)
	return &providers.APIError{
		Asset:           req.Asset,
		Endpoint:        c.ep.String(),
		HTTPStatus:      resp.StatusCode,
		Code:            code,
		Message:         message,
		RequestID:       resp.Header.Get("Request-ID"),
		Retryable:       providers.RetryableStatus(resp.StatusCode, message),
		RetryAfterDelay: providers.ParseRetryAfter(resp.Header.Get("Retry-After"), c.acct.Clock()),
		Hint:            hint(resp.StatusCode, code, message, c.ep.Type),
	}
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
		return providers.RateLimitHint(message, "")
	case "SYSTEM_ERROR":
		return "WeChat Pay had an internal error: retry later with the same file"
	}
	switch {
	case status == http.StatusUnauthorized:
		return "check serial_no, the private key and the system clock"
	case status == http.StatusTooManyRequests:
		return providers.RateLimitHint(message, "")
	case status >= 300 && status < 400:
		return "unexpected redirect: check the account's endpoint"
	case status >= 500:
		return "server-side problem: retry later"
	}
	return ""
}
