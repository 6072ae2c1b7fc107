// Package providers defines the contract every WeChat Pay upload endpoint
// implements (Uploader), the connection settings they share (Account), and
// the error type that carries WeChat Pay's code and retryability.
package providers

import (
	"context"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/wxmedia/wxmedia/signing"
)

// Uploader uploads one file to one WeChat Pay endpoint and returns the ID the
// endpoint issued.
//
// Upload is safe for concurrent use. It makes exactly one attempt per call
// (chunked providers make one attempt per HTTP call inside and resume through
// Request.Session); retrying, rate limiting and persistence are the caller's
// job. Each successful call may create a new remote object: WeChat Pay has no
// idempotency key, so callers must record the result before retrying anything
// for the same content. Errors are *APIError when the server answered, and
// IsRetryable reports whether trying again can help.
type Uploader interface {
	Upload(ctx context.Context, req *Request) (*Result, error)
}

// Request describes one file to upload.
type Request struct {
	// Asset is the manifest name, used only in error messages.
	Asset string
	// Filename is the name sent to WeChat Pay.
	Filename string
	// Size and SHA256 (lowercase hex) describe the content that was planned.
	Size   int64
	SHA256 string
	// Open returns a fresh reader over the file's content; it is called once
	// per attempt so that retries can re-read the body.
	Open func() (File, error)
	// Session is the resumable state of a chunked upload left by an earlier
	// attempt, or nil. Providers that do not chunk ignore it.
	Session *Session
	// OnSession, if set, is called by chunked providers each time the
	// session's state changes (created, a part acknowledged), so the caller
	// can persist it before the next step.
	OnSession func(Session) error
	// DataType and Description describe an audience file (user_package
	// only): DataType is "openid" or "mobile_md5" as in the manifest.
	DataType, Description string
}

// Expander is implemented by providers whose uploads can be added to an
// existing remote object after the upload: user_package expands an
// audience package with a merged upload.
//
// Expand makes one attempt, like Upload; it is safe for concurrent use.
// Errors follow Upload's rules (*APIError, IsRetryable).
type Expander interface {
	Expand(ctx context.Context, req *ExpandRequest) (*Result, error)
}

// ExpandRequest asks to add a finished upload to a remote object.
type ExpandRequest struct {
	// Asset is the manifest name, used only in error messages.
	Asset string
	// UploadID is the recorded ID of the upload (Result.ID).
	UploadID string
	// Into is the object to expand: a user_package_id.
	Into string
}

// File is what Request.Open returns: the content, readable at any offset.
type File interface {
	io.Reader
	io.ReaderAt
	io.Closer
}

// Session is the client-side record of a chunked upload in progress.
type Session struct {
	UploadID  string `json:"upload_id"`
	PartSize  int64  `json:"part_size"`
	PartCount int    `json:"part_count"`
	// Acked lists the part numbers the server acknowledged, ascending.
	Acked []int `json:"parts_acknowledged"`
}

// Result is what a successful upload returns.
type Result struct {
	// ID is the value applications reference: media_id, file_id, media_url,
	// image_url or a user package's upload_id.
	ID string
	// Attributes are provider-specific extras, recorded beside the ID.
	Attributes map[string]string
}

// Account is a resolved account: keys loaded, endpoint known. It is built
// from the manifest by package accounts and never printed.
type Account struct {
	Name string
	// API is v3, v2, global or brand.
	API string
	// MchID is the merchant ID (v3, global, v2) or brand_id (brand).
	MchID string
	// SerialNo is the serial of the merchant (or brand) API certificate.
	SerialNo string
	// PrivateKey signs v3 and brand requests.
	PrivateKey *rsa.PrivateKey
	// WechatPayKeys verifies responses, keyed by Wechatpay-Serial: a
	// PUB_KEY_ID_… for public-key mode or a platform certificate serial.
	WechatPayKeys map[string]*rsa.PublicKey
	// WechatPayPublicKeyID, when set, is sent as the Wechatpay-Serial request
	// header (mandatory for brand).
	WechatPayPublicKeyID string
	// APIKey is the APIv2 key (v2 only).
	APIKey string
	// SignType is MD5 or HMAC-SHA256 (v2 only).
	SignType string
	// BaseURL is scheme://host[:port] with no trailing slash.
	BaseURL string
	// HTTPClient carries TLS settings (client certificate, extra CAs).
	HTTPClient *http.Client
	// Now returns the current time; nil means time.Now. Tests pin it.
	Now func() time.Time
	// ClientCert is the parsed client certificate (v2), for messages only.
	ClientCert *x509.Certificate
	// RateStart is the request rate an adaptive Pacer starts at (the
	// endpoint's default, or rate_limit); 0 means the account is not paced.
	RateStart float64
	// RateCeiling is the configured rate_limit, which a Pacer never
	// exceeds; 0 means none was configured.
	RateCeiling float64
	// UserAgent is sent as the User-Agent header of every request, e.g.
	// "wxmedia/1.2.0"; empty means DefaultUserAgent.
	UserAgent string
}

// HTTP returns the client requests for a are sent with: a.HTTPClient
// (TLS settings, extra CAs), or DefaultHTTPClient when a or it is nil.
func (a *Account) HTTP() *http.Client {
	if a == nil || a.HTTPClient == nil {
		return DefaultHTTPClient
	}
	return a.HTTPClient
}

// DefaultUserAgent is the User-Agent of an account that sets none.
const DefaultUserAgent = "wxmedia/dev"

// UserAgentHeader returns a.UserAgent, or DefaultUserAgent when unset.
func (a *Account) UserAgentHeader() string {
	if a.UserAgent != "" {
		return a.UserAgent
	}
	return DefaultUserAgent
}

// Clock returns a.Now, or time.Now when unset.
func (a *Account) Clock() time.Time {
	if a.Now != nil {
		return a.Now()
	}
	return time.Now()
}

// Signer returns the request signer for a's keys under scheme
// (signing.SchemeV3 or signing.SchemeBrand).
func (a *Account) Signer(scheme string) *signing.Signer {
	return &signing.Signer{Scheme: scheme, ID: a.MchID, SerialNo: a.SerialNo, Key: a.PrivateKey, Now: a.Clock}
}

// Verifier returns the verifier of WeChat Pay's response signatures for a.
func (a *Account) Verifier() *signing.Verifier {
	return &signing.Verifier{Keys: a.WechatPayKeys, Now: a.Clock}
}

// APIError is an answer from WeChat Pay (or the emulator) that is not a
// success: a v3 error body, a v2 FAIL, or a response that failed
// verification.
type APIError struct {
	Asset      string
	Endpoint   string
	HTTPStatus int
	Code       string
	Message    string
	RequestID  string
	// Retryable reports whether the same request may succeed later.
	Retryable bool
	// RetryAfterDelay is the server's Retry-After, if it sent one.
	RetryAfterDelay time.Duration
	// Hint says what the user should do; it is appended to the message.
	Hint string
	// FileMayHaveChanged reports an answer that may mean the file changed
	// since plan (parts refused at merge), so that the command layer can
	// suggest a new plan.
	FileMayHaveChanged bool
}

// ErrDailyQuota is matched (errors.Is) by an *APIError saying the daily
// upload quota is used up: no retry succeeds before tomorrow.
var ErrDailyQuota = errors.New("the daily upload quota is used up")

// Is reports whether e is a kind of error that target names:
// ErrDailyQuota.
func (e *APIError) Is(target error) bool { return target == ErrDailyQuota && e.Hint == dailyQuotaHint }

func (e *APIError) Error() string {
	msg := fmt.Sprintf("%s: WeChat Pay answered HTTP %d", e.Asset, e.HTTPStatus)
	if e.Code != "" {
		msg += " " + e.Code
	}
	if e.Message != "" {
		msg += fmt.Sprintf(" (%q)", e.Message)
	}
	if e.RequestID != "" {
		msg += " [Request-ID " + e.RequestID + "]"
	}
	if e.Retryable {
		msg += "; retrying may help"
	} else {
		msg += "; retrying will not help"
	}
	if e.Hint != "" {
		msg += ": " + e.Hint
	}
	return msg
}

// RetryAfter returns the delay the server asked for, or 0.
func (e *APIError) RetryAfter() time.Duration { return e.RetryAfterDelay }

// VerifyError reports a response whose signature or headers could not be
// trusted. It is never retryable: the ID in such a response is not recorded.
type VerifyError struct {
	Asset  string
	Reason string
}

func (e *VerifyError) Error() string {
	return fmt.Sprintf("%s: response rejected: %s; nothing was recorded. Check the account's wechatpay_public_key_id/wechatpay_public_key_file (or platform certificates), the system clock, and any proxy that rewrites Wechatpay-* headers", e.Asset, e.Reason)
}

// TransportError wraps a network failure (reset, timeout, truncated body).
// The upload may or may not have reached WeChat Pay.
type TransportError struct {
	Asset string
	Err   error
}

func (e *TransportError) Error() string {
	if IsCertificateError(e.Err) {
		return fmt.Sprintf("%s: the endpoint's TLS certificate is not trusted: %v; nothing was uploaded. If the endpoint uses a private CA, name its certificate in the account's ca_file", e.Asset, e.Err)
	}
	return fmt.Sprintf("%s: network error talking to WeChat Pay: %v; retrying may help", e.Asset, e.Err)
}

// IsCertificateError reports whether err is a failure to verify the
// server's TLS certificate: permanent until the trust settings change.
func IsCertificateError(err error) bool {
	var (
		cve *tls.CertificateVerificationError
		uae x509.UnknownAuthorityError
		cie x509.CertificateInvalidError
		hne x509.HostnameError
	)
	return errors.As(err, &cve) || errors.As(err, &uae) || errors.As(err, &cie) || errors.As(err, &hne)
}

func (e *TransportError) Unwrap() error { return e.Err }

// ErrUnsupportedType is returned for an asset type with no provider.
var ErrUnsupportedType = errors.New("providers: unsupported asset type")

// IsRetryable reports whether err is worth retrying with the same request:
// rate limits, server errors and transport failures, but never a context
// cancellation, a verification failure or a client error.
//
// A TransportError is retryable even when it wraps a timeout: an HTTP
// client timeout is not the caller giving up. Callers check their own
// context before retrying.
func IsRetryable(err error) bool {
	if err == nil {
		return false
	}
	var ve *VerifyError
	if errors.As(err, &ve) {
		return false
	}
	var ae *APIError
	if errors.As(err, &ae) {
		return ae.Retryable
	}
	var te *TransportError
	if errors.As(err, &te) {
		return !errors.Is(te.Err, context.Canceled) && !IsCertificateError(te.Err)
	}
	return false
}

// RetryAfter returns the Retry-After carried by err, or 0.
func RetryAfter(err error) time.Duration {
	var ae *APIError
	if errors.As(err, &ae) {
		return ae.RetryAfterDelay
	}
	return 0
}

// CheckSigner reports what a v3 or brand account lacks to sign requests and
// verify the answers, before any traffic. idName is what the account's
// MchID is called for its api (mchid or brand_id); brand accounts must also
// name their public key, which they send as Wechatpay-Serial.
func (a *Account) CheckSigner(idName string, brand bool) error {
	switch {
	case a == nil:
		return errors.New("no account")
	case a.PrivateKey == nil:
		return fmt.Errorf("account %q has no private key", a.Name)
	case a.MchID == "":
		return fmt.Errorf("account %q has no %s", a.Name, idName)
	case a.SerialNo == "":
		return fmt.Errorf("account %q has no serial_no", a.Name)
	case a.BaseURL == "":
		return fmt.Errorf("account %q has no endpoint", a.Name)
	case len(a.WechatPayKeys) == 0:
		return fmt.Errorf("account %q has no WeChat Pay public key or platform certificate, so responses could not be verified", a.Name)
	case brand && a.WechatPayPublicKeyID == "":
		return fmt.Errorf("account %q needs wechatpay_public_key_id: brand APIs require the Wechatpay-Serial header", a.Name)
	case a.WechatPayPublicKeyID != "" && a.WechatPayKeys[a.WechatPayPublicKeyID] == nil:
		return fmt.Errorf("account %q sends Wechatpay-Serial %s but has no public key for it", a.Name, a.WechatPayPublicKeyID)
	}
	return nil
}

// Check reports a request no provider can send: no way to open the file,
// a negative size, or a filename that would break the request's headers.
func (r *Request) Check() error {
	switch {
	case r.Open == nil:
		return errors.New("request has no Open function")
	case r.Size < 0:
		return fmt.Errorf("negative size %d", r.Size)
	case r.Filename == "":
		return errors.New("empty filename")
	case strings.ContainsAny(r.Filename, "\r\n\x00"):
		return fmt.Errorf("filename %q contains a line break or NUL", r.Filename)
	}
	return nil
}

// DefaultHTTPClient is what providers use for an account without an
// HTTPClient: every stage but the body upload is bounded, and no upload
// takes longer than five minutes.
var DefaultHTTPClient = func() *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.ResponseHeaderTimeout = 60 * time.Second
	t.MaxIdleConnsPerHost = 16
	return &http.Client{Transport: t, Timeout: 5 * time.Minute}
}()
