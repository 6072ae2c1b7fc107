package v3upload

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"strings"

	"github.com/wxmedia/wxmedia/mediatype"
	"github.com/wxmedia/wxmedia/providers"
	"github.com/wxmedia/wxmedia/signing"
)

// MaxResponseSize caps how much of a response body is read.
const MaxResponseSize = 1 << 20

// Endpoint describes one multipart "meta + file" endpoint.
type Endpoint struct {
	// Type is the asset type served, for messages (e.g. "image").
	Type string
	// Path is the request path, e.g. "/v3/merchant/media/upload".
	Path string
	// DigestKey is the meta key holding the SHA-256 hex: "sha256", or
	// "digest" for the global file upload.
	DigestKey string
	// Scheme is signing.SchemeV3 or signing.SchemeBrand. Brand endpoints
	// also require the account's WechatPayPublicKeyID.
	Scheme string
	// IDField is the response JSON field holding the ID (media_id, file_id,
	// media_url, image_url).
	IDField string
	// IDMinLen and IDMaxLen bound the ID's length in bytes, as documented.
	IDMinLen, IDMaxLen int
}

// EndpointFor returns the endpoint of a multipart type: its path, ID field
// and ID length bounds are t's (package mediatype defines them once); the
// account api decides the Authorization scheme (brand: the brand scheme)
// and the meta key of the digest (global: "digest", else "sha256").
func EndpointFor(t *mediatype.Type) Endpoint {
	ep := Endpoint{Type: t.Name, Path: t.Path, DigestKey: "sha256", Scheme: signing.SchemeV3, IDField: t.IDField}
	if id := t.ID(); id != nil {
		ep.IDMinLen, ep.IDMaxLen = id.Min, id.Max
	}
	switch t.API {
	case "global":
		ep.DigestKey = "digest"
	case "brand":
		ep.Scheme = signing.SchemeBrand
	}
	return ep
}

// Descriptor returns the descriptor of the provider of multipart type t.
func Descriptor(t *mediatype.Type) providers.Descriptor {
	ep := EndpointFor(t)
	return providers.Descriptor{Media: t, New: func(a *providers.Account) providers.Uploader { return New(ep, a) }}
}

// String returns the method and path, e.g. "POST /v3/merchant/media/upload".
func (ep Endpoint) String() string { return http.MethodPost + " " + ep.Path }

// Client uploads files to one Endpoint for one account. It is safe for
// concurrent use and implements providers.Uploader.
type Client struct {
	ep       Endpoint
	acct     *providers.Account
	signer   *signing.Signer
	verifier *signing.Verifier
	http     *http.Client
}

var _ providers.Uploader = (*Client)(nil)

// New returns a client for ep that signs with acct's keys and sends to
// acct.BaseURL. Account problems (no private key, no key to verify
// responses, …) are reported by the first Upload, before any network
// traffic.
func New(ep Endpoint, acct *providers.Account) *Client {
	c := &Client{ep: ep, acct: acct, http: acct.HTTP()}
	if acct != nil {
		c.signer, c.verifier = acct.Signer(ep.Scheme), acct.Verifier()
	}
	return c
}

// Endpoint returns the endpoint c uploads to.
func (c *Client) Endpoint() Endpoint { return c.ep }

// checkConfig reports account and request problems that no retry can fix.
func (c *Client) checkConfig(req *providers.Request) error {
	idName := "mchid"
	if c.ep.Scheme == signing.SchemeBrand {
		idName = "brand_id"
	}
	if err := c.acct.CheckSigner(idName, c.ep.Scheme == signing.SchemeBrand); err != nil {
		return err
	}
	if err := req.Check(); err != nil {
		return err
	}
	if req.SHA256 == "" {
		return errors.New("empty sha256")
	}
	return nil
}

// Upload sends req's file to the endpoint in one attempt and returns the ID
// from the verified response.
func (c *Client) Upload(ctx context.Context, req *providers.Request) (*providers.Result, error) {
	if err := c.checkConfig(req); err != nil {
		return nil, fmt.Errorf("%s: %s: %w", req.Asset, c.ep.Type, err)
	}
	u, err := url.Parse(strings.TrimRight(c.acct.BaseURL, "/") + c.ep.Path)
	if err != nil {
		return nil, fmt.Errorf("%s: bad endpoint %q: %w", req.Asset, c.acct.BaseURL, err)
	}

	// docs/PROTOCOL.md §8 pitfall 2: serialise the meta once; these exact bytes
	// are signed and sent. json.Marshal sorts map keys and adds no spaces.
	meta, err := json.Marshal(map[string]string{"filename": req.Filename, c.ep.DigestKey: req.SHA256})
	if err != nil {
		return nil, fmt.Errorf("%s: encode meta: %w", req.Asset, err)
	}
	prefix, suffix, contentType := multipartFrame(meta, req.Filename)

	auth, err := c.signer.Authorization(http.MethodPost, u.RequestURI(), meta)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", req.Asset, err)
	}

	f, err := req.Open()
	if err != nil {
		return nil, fmt.Errorf("%s: open: %w", req.Asset, err)
	}
	file := providers.NewLockedFile(f)
	defer file.Close()
	if err := providers.CheckSize(f, req.Size); err != nil {
		return nil, fmt.Errorf("%s: %w", req.Asset, err)
	}

	// The meta above already carries the planned sha256: the file part is
	// checked against it as it streams, and the request is cut short
	// before its end if the bytes differ.
	hreq, err := providers.NewStreamingPost(ctx, u.String(), prefix, req.Content(file), req.Size, suffix, contentType, c.acct.UserAgentHeader())
	if err != nil {
		return nil, fmt.Errorf("%s: %w", req.Asset, err)
	}
	hreq.Header.Set("Authorization", auth)
	hreq.Header.Set("Accept", "application/json")
	if id := c.acct.WechatPayPublicKeyID; id != "" {
		hreq.Header.Set(signing.HeaderSerial, id)
	}

	resp, data, tooLong, err := providers.Exchange(c.http, hreq, MaxResponseSize)
	if err != nil {
		return nil, c.sendError(ctx, req, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, c.apiError(req, resp, data)
	}
	if tooLong {
		return nil, c.malformed(req, resp, fmt.Sprintf("body is larger than %d bytes", MaxResponseSize))
	}
	if err := c.verifier.Verify(resp.Header, data); err != nil {
		return nil, &providers.VerifyError{Asset: req.Asset, Reason: err.Error()}
	}
	id, reason := c.extractID(data)
	if reason != "" {
		return nil, c.malformed(req, resp, reason)
	}
	return &providers.Result{ID: id}, nil
}

// sendError classifies a failure to send the request or read the answer.
func (c *Client) sendError(ctx context.Context, req *providers.Request, err error) error {
	if fc := providers.AsFileChanged(req.Asset, err); ctx.Err() == nil && fc != nil {
		return fc
	}
	return providers.NetworkError(ctx, req.Asset, "", err)
}

// extractID returns the ID field of a verified success body, or why it is
// unusable.
func (c *Client) extractID(data []byte) (id, reason string) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(data, &fields); err != nil {
		return "", "body is not a JSON object"
	}
	raw, ok := fields[c.ep.IDField]
	if !ok {
		return "", fmt.Sprintf("no %q field", c.ep.IDField)
	}
	if err := json.Unmarshal(raw, &id); err != nil {
		return "", fmt.Sprintf("%q is not a string", c.ep.IDField)
	}
	if strings.TrimSpace(id) == "" {
		return "", fmt.Sprintf("%q is empty", c.ep.IDField)
	}
	if len(id) < c.ep.IDMinLen || (c.ep.IDMaxLen > 0 && len(id) > c.ep.IDMaxLen) {
		return "", fmt.Sprintf("%q is %d bytes long, want %d..%d", c.ep.IDField, len(id), c.ep.IDMinLen, c.ep.IDMaxLen)
	}
	return id, ""
}

// malformed reports a 2xx response that cannot be used. The upload may have
// succeeded remotely, so this is not retryable without care; it is a plain
// error, which providers.IsRetryable treats as permanent.
func (c *Client) malformed(req *providers.Request, resp *http.Response, reason string) error {
	msg := fmt.Sprintf("%s: malformed response from %s (HTTP %d): %s", req.Asset, c.ep, resp.StatusCode, reason)
	if rid := resp.Header.Get("Request-ID"); rid != "" {
		msg += " [Request-ID " + rid + "]"
	}
	return errors.New(msg)
}

// multipartFrame returns the bytes before and after the file content, and
// the request Content-Type, laid out as docs/PROTOCOL.md §1.5 describes.
func multipartFrame(meta []byte, filename string) (prefix, suffix []byte, contentType string) {
	return providers.MultipartFrame(func(mw *multipart.Writer) {
		h := make(textproto.MIMEHeader)
		// The trailing ";" is what the API page and wechatpay-go send.
		h.Set("Content-Disposition", `form-data; name="meta";`)
		h.Set("Content-Type", "application/json")
		pw, _ := mw.CreatePart(h)
		pw.Write(meta)
	}, "file", filename)
}
