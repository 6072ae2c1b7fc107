// Package v2image is the `legacy_image` provider: the APIv2 image upload
// POST /secapi/mch/uploadmedia (docs/PROTOCOL.md §2 and §5), which returns a
// media_id.
//
// The request is multipart/form-data with the plain fields mch_id,
// media_hash (lowercase hex MD5 of the file), sign_type (only for
// HMAC-SHA256, see SendSignTypeMD5) and sign, then the file field "media".
// The sign is signing.SignV2 over every field but sign and media, keyed with
// the APIv2 key. The connection needs the merchant API certificate as a TLS
// client certificate, which the account's HTTPClient carries.
//
// The planner hashed the file with SHA-256 only, so Upload reads it once to
// compute the MD5 and once more to stream the body; neither pass holds the
// file in memory, and the body has an exact Content-Length. Both passes
// read through a providers.PlannedReader, so each proves its bytes are the
// planned ones (size and sha256): a file changed since plan gets no
// media_hash, and one changed between the passes is never sent whole.
//
// Answers are XML with HTTP 200 even on failure. return_code FAIL and
// result_code FAIL become *providers.APIError (retryable for SYSTEMERROR and
// FREQUENCY_LIMITED only); a success whose sign does not verify becomes
// *providers.VerifyError. The APIv2 key never appears in an error.
package v2image

import (
	"context"
	"crypto/md5"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"net/url"
	"strings"
	"syscall"

	"github.com/wxmedia/wxmedia/mediatype"
	"github.com/wxmedia/wxmedia/providers"
	"github.com/wxmedia/wxmedia/signing"
)

// media is legacy_image's entry in package mediatype, which defines its
// endpoint, ID field and limits once.
var media = mediatype.Lookup("legacy_image")

// Descriptor registers the provider (see providers/registry).
var Descriptor = providers.Descriptor{Media: media, New: func(a *providers.Account) providers.Uploader { return New(a) }}

// Path is the request path of the v2 upload (mediatype's).
var Path = media.Path

// endpoint names the call in errors.
var endpoint = http.MethodPost + " " + Path

// MaxResponseSize caps how much of a response body is read.
const MaxResponseSize = 1 << 20

// MaxMediaIDLen is the documented bound on media_id (string ≤ 256; the ID
// shape in package mediatype).
var MaxMediaIDLen = media.ID().Max

// SendSignTypeMD5 decides whether sign_type is sent when it is MD5. The
// field is optional and MD5 is the default when it is absent (docs/PROTOCOL.md
// §2, §5), and the documented sign string for uploadmedia has no sign_type
// then, so it is sent only for HMAC-SHA256. Flip this to send "MD5" too.
const SendSignTypeMD5 = false

// AcceptUnsignedSuccess decides what happens to a SUCCESS answer without a
// sign element. [ASSUMED] docs/PROTOCOL.md §5 says to verify the sign "when
// present"; a success without one is accepted (its media_id is only as
// trustworthy as the TLS connection it came over). Set it to false to
// reject such answers as unverifiable.
const AcceptUnsignedSuccess = true

// Client uploads images through the v2 API for one account. It is safe for
// concurrent use and implements providers.Uploader.
type Client struct {
	acct *providers.Account
	http *http.Client
}

var _ providers.Uploader = (*Client)(nil)

// New returns the legacy_image uploader for acct. acct.HTTPClient must
// carry the merchant API certificate as a TLS client certificate. Account
// problems are reported by the first Upload, before any network traffic.
func New(acct *providers.Account) *Client {
	// Without a client certificate WeChat Pay refuses the call, and the
	// error says how to configure one.
	return &Client{acct: acct, http: acct.HTTP()}
}

// signType returns the account's sign type in canonical form.
func (c *Client) signType() (string, error) {
	switch strings.ToUpper(strings.TrimSpace(c.acct.SignType)) {
	case "", signing.SignTypeMD5:
		return signing.SignTypeMD5, nil
	case signing.SignTypeHMACSHA256:
		return signing.SignTypeHMACSHA256, nil
	}
	return "", fmt.Errorf("account %q has sign_type %q; want MD5 or HMAC-SHA256", c.acct.Name, c.acct.SignType)
}

// checkConfig reports account and request problems that no retry can fix.
func (c *Client) checkConfig(req *providers.Request) error {
	a := c.acct
	switch {
	case a == nil:
		return errors.New("no account")
	case a.MchID == "":
		return fmt.Errorf("account %q has no mch_id", a.Name)
	case a.APIKey == "":
		return fmt.Errorf("account %q has no APIv2 key: set the variable named by api_key_env", a.Name)
	case a.BaseURL == "":
		return fmt.Errorf("account %q has no endpoint", a.Name)
	}
	if err := req.Check(); err != nil {
		return err
	}
	_, err := c.signType()
	return err
}

// Upload sends req's file in one attempt and returns the media_id of the
// verified answer.
func (c *Client) Upload(ctx context.Context, req *providers.Request) (*providers.Result, error) {
	if err := c.checkConfig(req); err != nil {
		return nil, fmt.Errorf("%s: legacy_image: %w", req.Asset, err)
	}
	signType, _ := c.signType()
	u, err := url.Parse(strings.TrimRight(c.acct.BaseURL, "/") + Path)
	if err != nil {
		return nil, fmt.Errorf("%s: bad endpoint %q: %w", req.Asset, c.acct.BaseURL, err)
	}

	// First pass: the MD5 the request carries as media_hash, from bytes
	// proven to be the planned ones.
	mediaHash, err := fileMD5(req)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", req.Asset, err)
	}

	fields := [][2]string{{"mch_id", c.acct.MchID}, {"media_hash", mediaHash}}
	if signType != signing.SignTypeMD5 || SendSignTypeMD5 {
		fields = append(fields, [2]string{"sign_type", signType})
	}
	params := make(map[string]string, len(fields))
	for _, f := range fields {
		params[f[0]] = f[1]
	}
	sign, err := signing.SignV2(params, c.acct.APIKey, signType, "media")
	if err != nil {
		return nil, fmt.Errorf("%s: %w", req.Asset, err)
	}
	fields = append(fields, [2]string{"sign", sign})
	prefix, suffix, contentType := multipartFrame(fields, req.Filename)

	// Second pass: stream the file as the media part.
	f, err := req.Open()
	if err != nil {
		return nil, fmt.Errorf("%s: open: %w", req.Asset, err)
	}
	file := providers.NewLockedFile(f)
	defer file.Close()
	// The media part is checked against the planned sha256 as it streams,
	// so it is also the content media_hash was computed from.
	hreq, err := providers.NewStreamingPost(ctx, u.String(), prefix, req.Content(file), req.Size, suffix, contentType, c.acct.UserAgentHeader())
	if err != nil {
		return nil, fmt.Errorf("%s: %w", req.Asset, err)
	}
	hreq.Header.Set("Accept", "application/xml, text/xml")

	resp, data, tooLong, err := providers.Exchange(c.http, hreq, MaxResponseSize)
	if err != nil {
		return nil, c.sendError(ctx, req, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, c.httpError(req, resp, data)
	}
	if tooLong {
		return nil, c.malformed(req, fmt.Sprintf("body is larger than %d bytes", MaxResponseSize))
	}
	return c.decide(req, data, signType)
}

// fileMD5 reads the whole file once and returns its lowercase hex MD5,
// failing when it is not the planned content (size and sha256): nothing is
// sent for a file that changed since plan.
func fileMD5(req *providers.Request) (string, error) {
	f, err := req.Open()
	if err != nil {
		return "", fmt.Errorf("open: %w", err)
	}
	defer f.Close()
	h := md5.New()
	if _, err := io.Copy(io.Discard, req.Content(f, h)); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// decide turns a 200 answer into the result or an error (docs/PROTOCOL.md §5).
func (c *Client) decide(req *providers.Request, data []byte, signType string) (*providers.Result, error) {
	fields, err := parseXML(data)
	if err != nil {
		return nil, c.malformed(req, err.Error())
	}
	switch rc := strings.TrimSpace(fields["return_code"]); rc {
	case "SUCCESS":
	case "":
		return nil, c.malformed(req, "no return_code element")
	default:
		return nil, c.returnFail(req, fields)
	}
	switch rc := strings.TrimSpace(fields["result_code"]); rc {
	case "SUCCESS":
	case "":
		return nil, c.malformed(req, "return_code is SUCCESS but there is no result_code element")
	default:
		// Not verified: a wrong APIv2 key makes WeChat Pay answer SIGNERROR
		// under a sign this client cannot reproduce, and reporting that as
		// a forged answer would hide the actual problem. Nothing is
		// recorded from a failure, so trusting it costs nothing.
		return nil, c.resultFail(req, fields)
	}
	if fields["sign"] != "" {
		if err := signing.VerifyV2(fields, c.acct.APIKey, signType); err != nil {
			reason := "response sign does not match: forged or corrupted response (or api_key_env holds a key other than this merchant's APIv2 key)"
			if !errors.Is(err, signing.ErrV2SignMismatch) {
				reason = "response sign cannot be checked: " + c.redact(err.Error())
			}
			return nil, &providers.VerifyError{Asset: req.Asset, Reason: reason}
		}
	} else if !AcceptUnsignedSuccess {
		return nil, &providers.VerifyError{Asset: req.Asset, Reason: "SUCCESS answer has no sign element"}
	}
	id := fields["media_id"]
	switch {
	case strings.TrimSpace(id) == "":
		return nil, c.malformed(req, "no media_id in a SUCCESS answer")
	case len(id) > MaxMediaIDLen:
		return nil, c.malformed(req, fmt.Sprintf("media_id is %d bytes long, want at most %d", len(id), MaxMediaIDLen))
	}
	return &providers.Result{ID: id}, nil
}

// sendError classifies a failure to send the request or read the answer.
func (c *Client) sendError(ctx context.Context, req *providers.Request, err error) error {
	if ctx.Err() != nil {
		return providers.NetworkError(ctx, req.Asset, "", err)
	}
	if fc := providers.AsFileChanged(req.Asset, err); fc != nil {
		return fc
	}
	if isTLSSetupError(err) {
		// Retrying a refused handshake cannot help: say what to fix.
		return fmt.Errorf("%s: TLS connection to WeChat Pay failed: %v; check client_cert_file/client_key_file (the merchant API certificate apiclient_cert.pem and its key) and the endpoint's server certificate", req.Asset, err)
	}
	if errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) || errors.Is(err, io.EOF) ||
		errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed) {
		// Over TLS 1.3 a refused client certificate surfaces this way: the
		// server drops the connection after the handshake, and depending on
		// timing the client sees a reset, an EOF, or its own connection
		// already closed by the transport's reader.
		err = fmt.Errorf("%w (if this persists, check client_cert_file/client_key_file: WeChat Pay drops connections whose client certificate it refuses)", err)
	}
	return providers.NetworkError(ctx, req.Asset, "", err)
}

// isTLSSetupError reports a handshake the peer refused (a TLS alert, such
// as "certificate required") or a server certificate that does not verify.
func isTLSSetupError(err error) bool {
	var (
		rhe tls.RecordHeaderError
		oe  *net.OpError
	)
	switch {
	case providers.IsCertificateError(err), errors.As(err, &rhe):
		return true
	case errors.As(err, &oe) && oe.Op == "remote error":
		return true // crypto/tls reports a received alert this way
	}
	return false
}

// malformed reports a 200 answer that cannot be used. The upload may have
// succeeded remotely, so it is a plain error, which providers.IsRetryable
// treats as permanent.
func (c *Client) malformed(req *providers.Request, reason string) error {
	return fmt.Errorf("%s: malformed response from %s (HTTP 200): %s", req.Asset, endpoint, c.redact(reason))
}

// multipartFrame returns the bytes before and after the file content and
// the request Content-Type: the plain fields in order (no per-field
// Content-Type, like curl -F), then the "media" part's header.
func multipartFrame(fields [][2]string, filename string) (prefix, suffix []byte, contentType string) {
	return providers.MultipartFrame(func(mw *multipart.Writer) {
		for _, f := range fields {
			w, _ := mw.CreateFormField(f[0])
			io.WriteString(w, f[1])
		}
	}, "media", filename)
}
