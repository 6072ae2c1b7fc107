package brandchunk

import (
	"net/http"

	"github.com/wxmedia/wxmedia/providers"
)

// apiError turns a non-2xx answer into *providers.APIError (docs/PROTOCOL.md
// §7.3): 429 and 5xx are retryable (providers.RetryableStatus), 4xx are
// not. Error bodies are not signed, so they are not verified. The message
// names the step, e.g. "part 2 of 3".
func (up *upload) apiError(st step, resp *http.Response, data []byte) *providers.APIError {
	code, message := providers.DecodeV3Error(data)
	msg := st.name
	if message != "" {
		msg += ": " + message
	}
	return &providers.APIError{
		Asset:           up.req.Asset,
		Endpoint:        st.endpoint,
		HTTPStatus:      resp.StatusCode,
		Code:            code,
		Message:         msg,
		RequestID:       resp.Header.Get("Request-ID"),
		Retryable:       providers.RetryableStatus(resp.StatusCode, message),
		RetryAfterDelay: providers.ParseRetryAfter(resp.Header.Get("Retry-After"), up.c.acct.Clock()),
		Hint:            hint(st, resp.StatusCode, code, message),
		// What hint says of a refused merge.
		FileMayHaveChanged: st.merge && code == "INVALID_REQUEST",
	}
}

// hint says what the user should do about an error answer.
func hint(st step, status int, code, message string) string {
	switch code {
	case "PARAM_ERROR":
		return "check the audience file: its filename (1 to 128 letters, digits, '_', '.' or '-'), and plain-text content of one openid or MD5-hashed mobile number per line"
	case "INVALID_REQUEST":
		if st.expand {
			return "WeChat Pay would not expand the package with this upload (not merged, or a rule of the package such as its data type): check expand_into and the asset's data_type"
		}
		if st.merge {
			return "WeChat Pay would not merge the parts; if it reports missing parts or a digest mismatch, the file may have changed since plan. Also check wechatpay_public_key_id is the public-key ID linked to this brand_id"
		}
		return "check wechatpay_public_key_id (sent as Wechatpay-Serial) is the public-key ID linked to this brand_id; otherwise the request broke a business rule (part size, number or digest): the file may have changed since plan"
	case "SIGN_ERROR":
		return "check that serial_no is the serial of the brand API certificate that belongs to the private key, that the brand_id (mchid) is right, and that the system clock is correct (within 5 minutes)"
	case "NO_AUTH":
		if st.expand {
			return "the audience package named in expand_into belongs to another brand, or this brand lacks the audience package permission: check expand_into and the account's brand_id"
		}
		return "this brand lacks the audience package (user package) permission, or the upload session belongs to another brand: check the account's brand_id and enable the product in the brand portal"
	case "NOT_FOUND":
		if st.expand {
			return "WeChat Pay knows no audience package with this ID (or no merged upload with this upload_id): check expand_into against the merchant platform; if the upload is unknown, upload again with -replace"
		}
		if st.part != 0 || st.merge {
			return "WeChat Pay has no upload session with this upload_id (it expired or belongs to another brand); apply starts a fresh session"
		}
		return "the endpoint does not exist for this account: check the account's api and endpoint"
	case "RATELIMIT_EXCEEDED", "FREQUENCY_LIMIT_EXCEED", "FREQUENCY_LIMITED":
		return providers.RateLimitHint(message, "; a retry resumes from the acknowledged parts")
	case "SYSTEM_ERROR":
		return "WeChat Pay had an internal error: retry later; the upload resumes from the acknowledged parts"
	}
	switch {
	case status == http.StatusUnauthorized:
		return "check serial_no, the brand private key and the system clock"
	case status == http.StatusTooManyRequests:
		return "rate limited: lower the account's rate_limit or -parallelism; a retry resumes from the acknowledged parts"
	case status >= 300 && status < 400:
		return "unexpected redirect: check the account's endpoint"
	case status >= 500:
		return "server-side problem: retry later; the upload resumes from the acknowledged parts"
	}
	return ""
}
