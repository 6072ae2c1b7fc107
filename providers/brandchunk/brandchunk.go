// Package brandchunk is the `user_package` provider: the brand audience
// file upload of docs/PROTOCOL.md §7, done in three kinds of call with brand
// authentication (§1.6):
//
//  1. E5a POST /brand/marketing/user-package/uploads starts a session and
//     returns upload_id, part_size and part_count;
//  2. E5 PUT …/uploads/{upload_id}/{part_number} sends each part as JSON,
//     {"file":"<base64>","file_meta":{"filename":…,"digest":<part SHA-256>}};
//  3. E5b POST …/uploads/{upload_id}, with no body, merges the parts.
//
// The session is reported through Request.OnSession after it is created and
// after every acknowledged part, and an Upload given Request.Session resumes
// it: the parts already acknowledged are not sent again. When WeChat Pay no
// longer knows the session (404), Upload starts a fresh one, once.
//
// Memory does not grow with the file or the part: a part is read twice
// through small buffers, once to sign its JSON body (whose file_meta, after
// the part, carries the part's SHA-256) and once to send that body, base64
// encoded as it goes out, with an exact Content-Length. The sending pass is
// checked against the digest the signing pass signed, and the signing
// passes read the file in order through one providers.PlannedReader, which
// checks the whole file against the planned sha256 before the last part is
// signed: a file changed since plan is never merged
// (*providers.FileChangedError). Every answer is verified (signing.Verifier)
// before it is trusted. The Result's ID is the upload_id
// (what the downstream expand call takes); the merge answer's fields, among
// them resource_id, are its Attributes.
//
// Field names docs/PROTOCOL.md marks as unknown are constants in assumptions.go.
package brandchunk

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/wxmedia/wxmedia/mediatype"
	"github.com/wxmedia/wxmedia/providers"
	"github.com/wxmedia/wxmedia/signing"
)

// MaxFileSize is the largest file accepted: user_package's limit in
// package mediatype (20 MiB).
const MaxFileSize = 20 * mediatype.MiB

// Descriptor registers the provider (see providers/registry). Its
// endpoint (the session call, PathUploads), ID field and limits are
// user_package's entry in package mediatype.
var Descriptor = providers.Descriptor{Media: mediatype.Lookup("user_package"), New: func(a *providers.Account) providers.Uploader { return New(a) }}

// MaxUploadIDLen bounds upload_id (string ≤ 128, docs/PROTOCOL.md §7.3; the
// ID shape in package mediatype).
var MaxUploadIDLen = mediatype.Lookup("user_package").ID().Max

// MaxResponseSize caps how much of a response body is read.
const MaxResponseSize = 1 << 20

// filenameRE is the documented filename rule for the brand APIs.
var filenameRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9_.\-]{1,128}$`) })

// sha256RE is a SHA-256 in hex.
var sha256RE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[0-9a-fA-F]{64}$`) })

// Client uploads audience files for one brand account. It is safe for
// concurrent use and implements providers.Uploader.
type Client struct {
	acct     *providers.Account
	signer   *signing.Signer
	verifier *signing.Verifier
	http     *http.Client
}

var (
	_ providers.Uploader = (*Client)(nil)
	_ providers.Expander = (*Client)(nil)
)

// New returns the user_package uploader for acct, a brand account: MchID is
// the brand_id, SerialNo and PrivateKey are the brand API certificate's, and
// WechatPayPublicKeyID (sent as Wechatpay-Serial) is required. Account
// problems are reported by the first Upload, before any network traffic.
func New(acct *providers.Account) *Client {
	c := &Client{acct: acct, http: acct.HTTP()}
	if acct != nil {
		c.signer, c.verifier = acct.Signer(signing.SchemeBrand), acct.Verifier()
	}
	return c
}

// checkConfig reports account and request problems that no retry can fix.
func (c *Client) checkConfig(req *providers.Request) error {
	if err := c.acct.CheckSigner("brand_id", true); err != nil {
		return err
	}
	switch {
	case req.Open == nil:
		return errors.New("request has no Open function")
	case req.Size <= 0:
		return fmt.Errorf("the file is empty (%d bytes): an audience file needs at least one line", req.Size)
	case req.Size > MaxFileSize:
		return fmt.Errorf("the file is %d bytes; user_package allows at most %d (20 MiB)", req.Size, MaxFileSize)
	case !filenameRE().MatchString(req.Filename):
		return fmt.Errorf("filename %q must be 1 to 128 letters, digits, '_', '.' or '-'", req.Filename)
	case mediatype.Ext(req.Filename) != "csv":
		return fmt.Errorf("filename %q must end in .csv: the session call takes CSV files only", req.Filename)
	case DataTypeValues[req.DataType] == "":
		return fmt.Errorf("data_type %q is not openid or mobile_md5; set the asset's data_type", req.DataType)
	case !sha256RE().MatchString(req.SHA256):
		return fmt.Errorf("sha256 %q is not 64 hex digits", req.SHA256)
	}
	return nil
}

// Upload sends req's file: it starts a session unless req.Session holds
// one to resume, uploads the parts not yet acknowledged, and merges them.
// Each HTTP call is tried once; a caller retrying a retryable error passes
// the latest session back in and resumes where this call stopped.
func (c *Client) Upload(ctx context.Context, req *providers.Request) (*providers.Result, error) {
	if err := c.checkConfig(req); err != nil {
		return nil, fmt.Errorf("%s: user_package: %w", req.Asset, err)
	}
	if _, err := url.Parse(c.acct.BaseURL); err != nil {
		return nil, fmt.Errorf("%s: bad endpoint %q: %w", req.Asset, c.acct.BaseURL, err)
	}
	f, err := req.Open()
	if err != nil {
		return nil, fmt.Errorf("%s: open: %w", req.Asset, err)
	}
	defer f.Close()
	if err := providers.CheckSize(f, req.Size); err != nil {
		return nil, fmt.Errorf("%s: %w", req.Asset, err)
	}
	up := &upload{c: c, req: req, f: f, base: strings.TrimRight(c.acct.BaseURL, "/")}
	fn, _ := json.Marshal(req.Filename)
	up.filenameJSON = fn

	sess := resumable(req.Session, req.Size)
	resumed, restarted := sess != nil, false
	for {
		if sess == nil {
			if sess, err = up.init(ctx); err != nil {
				return nil, up.restartNote(err, restarted)
			}
			if err := up.save(sess); err != nil {
				return nil, err
			}
		}
		res, err := up.run(ctx, sess)
		if err == nil {
			return res, nil
		}
		if !restarted && (isSessionGone(err) || (resumed && isMergeRefused(err))) {
			// WeChat Pay forgot the session (expired, or never merged in
			// time), or refuses to merge a session we resumed from an
			// earlier run whose record of acknowledged parts it does not
			// share: start again from part 1, once per call. Without this a
			// saved session would fail the same way on every apply.
			restarted, sess = true, nil
			continue
		}
		return nil, up.restartNote(err, restarted)
	}
}

// resumable returns a copy of s if it describes a session for a file of
// size bytes, or nil: a session that does not fit the file (it changed, or
// the state is damaged) cannot be resumed, and a fresh one is started.
func resumable(s *providers.Session, size int64) *providers.Session {
	if s == nil || s.UploadID == "" || len(s.UploadID) > MaxUploadIDLen || s.PartSize <= 0 ||
		s.PartCount > MaxPartCount || int64(s.PartCount) != ceilDiv(size, s.PartSize) {
		return nil
	}
	cp := *s
	cp.Acked = nil
	for _, n := range s.Acked {
		if n >= FirstPartNumber && n < FirstPartNumber+s.PartCount {
			cp.Acked = append(cp.Acked, n)
		}
	}
	slices.Sort(cp.Acked)
	cp.Acked = slices.Compact(cp.Acked)
	return &cp
}

func ceilDiv(a, b int64) int64 { return (a + b - 1) / b }

// upload is the state of one Upload call.
type upload struct {
	c            *Client
	req          *providers.Request
	f            providers.File
	base         string
	filenameJSON []byte
	// buf is the read buffer of the signing pass over each part.
	buf []byte
	// whole reads the file in order across the signing passes of the parts
	// (and the parts acknowledged earlier, which are read but not sent),
	// and checks it against the planned sha256 before the last part is
	// signed: a file that changed since plan never gets its last part
	// sent, let alone merged.
	whole *providers.PlannedReader
}

// save reports the session's state to the caller. A failure stops the
// upload: continuing would acknowledge parts the caller cannot resume from.
func (up *upload) save(s *providers.Session) error {
	if up.req.OnSession == nil {
		return nil
	}
	cp := *s
	cp.Acked = slices.Clone(s.Acked)
	if err := up.req.OnSession(cp); err != nil {
		return fmt.Errorf("%s: saving the upload session %s: %w", up.req.Asset, s.UploadID, err)
	}
	return nil
}

// restartNote adds to err that a fresh session was already started in this
// call, when it was.
func (up *upload) restartNote(err error, restarted bool) error {
	if !restarted {
		return err
	}
	const note = "after WeChat Pay lost or refused the previous upload session a fresh session was started in this attempt and failed too"
	var ae *providers.APIError
	if errors.As(err, &ae) {
		ae.Message = strings.TrimSuffix(ae.Message+"; "+note, "; ")
		return err
	}
	return fmt.Errorf("%w (%s)", err, note)
}

// init starts a session (E5a).
func (up *upload) init(ctx context.Context) (*providers.Session, error) {
	info := map[string]any{
		InitFilenameKey: up.req.Filename,
		InitDigestKey:   strings.ToLower(up.req.SHA256),
		InitSizeKey:     up.req.Size,
		InitFileTypeKey: FileTypeCSV,
		InitDataTypeKey: DataTypeValues[up.req.DataType],
	}
	if up.req.Description != "" {
		info[InitDescriptionKey] = up.req.Description
	}
	st := step{name: "starting the upload session", method: http.MethodPost, path: PathUploads,
		endpoint: http.MethodPost + " " + PathUploads}
	data, err := up.postJSON(ctx, st, map[string]any{InitInfoKey: info})
	if err != nil {
		return nil, err
	}
	var (
		id             *string
		size, count    *int64
		fields, reason = object(data)
	)
	if reason == "" {
		reason = firstOf(
			getString(fields, InitUploadIDKey, &id),
			getInt(fields, InitPartSizeKey, &size),
			getInt(fields, InitPartCountKey, &count))
	}
	if reason == "" {
		switch {
		case *id == "" || len(*id) > MaxUploadIDLen:
			reason = fmt.Sprintf("%s is %d bytes long, want 1..%d", InitUploadIDKey, len(*id), MaxUploadIDLen)
		case *size <= 0:
			reason = fmt.Sprintf("%s is %d, want a positive number of bytes", InitPartSizeKey, *size)
		case *count > MaxPartCount:
			reason = fmt.Sprintf("%s is %d, more than the %d this client accepts", InitPartCountKey, *count, MaxPartCount)
		case *count != ceilDiv(up.req.Size, *size):
			reason = fmt.Sprintf("%s is %d, but a %d-byte file in parts of %d bytes has %d", InitPartCountKey, *count, up.req.Size, *size, ceilDiv(up.req.Size, *size))
		}
	}
	if reason != "" {
		return nil, up.malformed(st, reason)
	}
	return &providers.Session{UploadID: *id, PartSize: *size, PartCount: int(*count)}, nil
}

// run uploads the parts sess has not acknowledged, then merges.
func (up *upload) run(ctx context.Context, sess *providers.Session) (*providers.Result, error) {
	up.whole = up.req.Content(up.f)
	for i := 0; i < sess.PartCount; i++ {
		n := FirstPartNumber + i
		if _, acked := slices.BinarySearch(sess.Acked, n); acked {
			off := int64(i) * sess.PartSize
			if _, err := io.CopyN(io.Discard, up.whole, min(sess.PartSize, up.req.Size-off)); err != nil {
				return nil, up.readError(fmt.Sprintf("part %d of %d", i+1, sess.PartCount), err)
			}
			continue
		}
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("%s: upload interrupted before part %d of %d: %w", up.req.Asset, i+1, sess.PartCount, err)
		}
		if err := up.putPart(ctx, sess, i); err != nil {
			return nil, err
		}
		pos, _ := slices.BinarySearch(sess.Acked, n)
		sess.Acked = slices.Insert(sess.Acked, pos, n)
		if err := up.save(sess); err != nil {
			return nil, err
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("%s: upload interrupted before merging: %w", up.req.Asset, err)
	}
	return up.merge(ctx, sess)
}

// putPart sends part i (0-based) of the file (E5). The body,
//
//	{"file":"<base64 of the part>","file_meta":{"filename":…,"digest":"<SHA-256 hex of the part>"}}
//
// is never held: one pass over the part hashes it and feeds its base64
// encoding to the signature (file_meta comes last, so the digest is known
// by the time it is signed), and a second pass encodes it again as it is
// sent, checking that the file still holds the bytes that were signed.
func (up *upload) putPart(ctx context.Context, sess *providers.Session, i int) error {
	n := FirstPartNumber + i
	off := int64(i) * sess.PartSize
	length := min(sess.PartSize, up.req.Size-off)
	st := step{name: fmt.Sprintf("part %d of %d", i+1, sess.PartCount), method: http.MethodPut,
		path:     PathUploads + "/" + url.PathEscape(sess.UploadID) + "/" + strconv.Itoa(n),
		endpoint: http.MethodPut + " " + PathUploads + "/{upload_id}/{part_number}", part: n}
	u, err := up.url(st)
	if err != nil {
		return err
	}

	var (
		sum    [sha256.Size]byte
		suffix []byte
	)
	var bodyErr error // from reading the part, as opposed to signing
	auth, err := up.c.signer.AuthorizationStream(st.method, u.RequestURI(), func(w io.Writer) error {
		bodyErr = up.signPart(w, st, off, length, &sum, &suffix)
		return bodyErr
	})
	if err != nil {
		if err == bodyErr {
			return err
		}
		return fmt.Errorf("%s: %w", up.req.Asset, err)
	}
	open := func() io.Reader {
		return io.MultiReader(strings.NewReader(partPrefix),
			&partEncoder{src: providers.NewPlannedReader(up.f, off, length, up.req.Size, hex.EncodeToString(sum[:]))},
			bytes.NewReader(suffix))
	}
	bodyLen := int64(len(partPrefix)) + int64(base64.StdEncoding.EncodedLen(int(length))) + int64(len(suffix))
	data, err := up.call(ctx, st, u, auth, &reqBody{n: bodyLen, open: open})
	if err != nil {
		return err
	}
	var num *int64
	fields, reason := object(data)
	if reason == "" {
		reason = getInt(fields, PartAckNumberKey, &num)
	}
	if reason == "" && *num != int64(n) {
		reason = fmt.Sprintf("%s is %d, want %d", PartAckNumberKey, *num, n)
	}
	if reason != "" {
		return up.malformed(st, reason)
	}
	return nil
}

// signPart writes the body of the part at off to w, the signature's hash:
// the part is read once, through a reused buffer and up.whole (so the
// last part's read checks the whole file), into its base64 encoding and
// its own SHA-256, which ends the body in file_meta. It stores that
// SHA-256 in *sum and the body after the base64 in *suffix.
func (up *upload) signPart(w io.Writer, st step, off, length int64, sum *[sha256.Size]byte, suffix *[]byte) error {
	io.WriteString(w, partPrefix)
	enc := base64.NewEncoder(base64.StdEncoding, w)
	ph := sha256.New()
	if up.buf == nil {
		up.buf = make([]byte, 32<<10)
	}
	m, err := io.CopyBuffer(io.MultiWriter(enc, ph), io.LimitReader(up.whole, length), up.buf)
	if err == nil && m != length {
		err = &providers.FileChangedError{Detail: fmt.Sprintf("it is shorter than the planned %d bytes", up.req.Size)}
	}
	if err != nil {
		return up.readError(st.name, err)
	}
	enc.Close()
	ph.Sum(sum[:0])
	*suffix = up.partSuffix(*sum)
	_, err = w.Write(*suffix)
	return err
}

// readError reports a failure to read the file for step: a file that
// changed since plan, or an I/O error.
func (up *upload) readError(step string, err error) error {
	if fc := providers.AsFileChanged(up.req.Asset, err); fc != nil {
		return fc
	}
	return fmt.Errorf("%s: %s: %w", up.req.Asset, step, err)
}

// partPrefix opens a part body, up to the base64 of the part.
const partPrefix = `{"` + PartFileKey + `":"`

// partSuffix closes a part body after the base64 of a part whose SHA-256
// is sum.
func (up *upload) partSuffix(sum [sha256.Size]byte) []byte {
	b := make([]byte, 0, 64+len(up.filenameJSON)+hex.EncodedLen(len(sum)))
	b = append(b, `","`+PartMetaKey+`":{"`+PartMetaFilenameKey+`":`...)
	b = append(b, up.filenameJSON...)
	b = append(b, `,"`+PartMetaDigestKey+`":"`...)
	b = hex.AppendEncode(b, sum[:])
	return append(b, `"}}`...)
}

// partEncoder reads a part from src and returns its standard base64
// encoding, a chunk at a time. src is a providers.PlannedReader of the
// part against the digest that was signed: at the end of the part it
// fails with a *providers.FileChangedError, before the last chunk, when
// the part is not the length or content that was signed, so that the
// request is cut short rather than completed with a body that no longer
// matches its signature.
type partEncoder struct {
	src      io.Reader
	raw, enc []byte
	pending  []byte // encoded bytes not yet returned
	done     bool
}

// partChunk is how many bytes of the part partEncoder reads at a time: a
// multiple of 3, so that the chunks' encodings join without padding.
const partChunk = 24 << 10

func (e *partEncoder) Read(p []byte) (int, error) {
	for len(e.pending) == 0 {
		if e.done {
			return 0, io.EOF
		}
		if e.raw == nil {
			e.raw = make([]byte, partChunk)
			e.enc = make([]byte, base64.StdEncoding.EncodedLen(partChunk))
		}
		m, err := io.ReadFull(e.src, e.raw)
		switch err {
		case nil:
		case io.EOF, io.ErrUnexpectedEOF:
			e.done = true
		default:
			return 0, err // already says what went wrong reading the file
		}
		base64.StdEncoding.Encode(e.enc, e.raw[:m])
		e.pending = e.enc[:base64.StdEncoding.EncodedLen(m)]
	}
	n := copy(p, e.pending)
	e.pending = e.pending[n:]
	return n, nil
}

// merge asks WeChat Pay to assemble the parts (E5b) and returns the result.
func (up *upload) merge(ctx context.Context, sess *providers.Session) (*providers.Result, error) {
	st := step{name: "merging the parts", method: http.MethodPost,
		path:     PathUploads + "/" + url.PathEscape(sess.UploadID),
		endpoint: http.MethodPost + " " + PathUploads + "/{upload_id}", merge: true}
	u, auth, err := up.sign(st, nil)
	if err != nil {
		return nil, err
	}
	data, err := up.call(ctx, st, u, auth, nil)
	if err != nil {
		return nil, err
	}
	fields, reason := object(data)
	var attrs map[string]string
	if reason == "" {
		attrs = stringFields(fields)
		id, hasID := attrs[MergeUploadIDKey]
		_, hasRes := attrs[MergeResourceIDKey]
		switch {
		case hasID && id != sess.UploadID:
			reason = fmt.Sprintf("%s is %q, want %q", MergeUploadIDKey, id, sess.UploadID)
		case RequireResourceID && !hasRes:
			reason = fmt.Sprintf("no %q field", MergeResourceIDKey)
		}
		delete(attrs, MergeUploadIDKey)
	}
	if reason != "" {
		return nil, up.malformed(st, reason)
	}
	return &providers.Result{ID: sess.UploadID, Attributes: attrs}, nil
}

// Expand adds the merged upload req.UploadID to the audience package
// req.Into (POST …/user-packages/{user_package_id}/expand). The Result's
// ID is the upload_id; the answer's string fields, if any, are its
// Attributes, prefixed ExpandAttrPrefix.
func (c *Client) Expand(ctx context.Context, req *providers.ExpandRequest) (*providers.Result, error) {
	up := &upload{c: c, req: &providers.Request{Asset: req.Asset}, base: strings.TrimRight(c.acct.BaseURL, "/")}
	if err := c.acct.CheckSigner("brand_id", true); err != nil {
		return nil, fmt.Errorf("%s: user_package expand: %w", req.Asset, err)
	}
	switch {
	case req.UploadID == "" || len(req.UploadID) > MaxUploadIDLen:
		return nil, fmt.Errorf("%s: user_package expand: upload_id %q is not 1..%d bytes; upload the file again with -replace", req.Asset, req.UploadID, MaxUploadIDLen)
	case !packageIDRE().MatchString(req.Into):
		return nil, fmt.Errorf("%s: user_package expand: expand_into %q is not an audience package ID; fix expand_into", req.Asset, req.Into)
	}
	st := step{name: "expanding audience package " + req.Into, method: http.MethodPost,
		path:     PathUserPackages + "/" + url.PathEscape(req.Into) + ExpandSuffix,
		endpoint: http.MethodPost + " " + PathUserPackages + "/{user_package_id}" + ExpandSuffix, expand: true}
	data, err := up.postJSON(ctx, st, map[string]string{ExpandUploadIDKey: req.UploadID})
	if err != nil {
		return nil, err
	}
	attrs := map[string]string{}
	if len(bytes.TrimSpace(data)) > 0 {
		fields, reason := object(data)
		if reason != "" {
			return nil, up.malformed(st, reason)
		}
		for k, v := range stringFields(fields) {
			if k != ExpandUploadIDKey {
				attrs[ExpandAttrPrefix+k] = v
			}
		}
	}
	return &providers.Result{ID: req.UploadID, Attributes: attrs}, nil
}

// postJSON sends v, encoded as JSON, to st and returns the verified answer.
func (up *upload) postJSON(ctx context.Context, st step, v any) ([]byte, error) {
	body, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("%s: encode the request of %s: %w", up.req.Asset, st.name, err)
	}
	u, auth, err := up.sign(st, body)
	if err != nil {
		return nil, err
	}
	return up.call(ctx, st, u, auth, bytesBody(body))
}

// stringFields returns the non-empty string fields of an answer.
func stringFields(fields map[string]json.RawMessage) map[string]string {
	out := map[string]string{}
	for k, raw := range fields {
		var s string
		if json.Unmarshal(raw, &s) == nil && s != "" {
			out[k] = s
		}
	}
	return out
}

// packageIDRE is what a user_package_id may be (see package audience).
var packageIDRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`) })

// step describes one HTTP call, for the request and for messages.
type step struct {
	name     string // "part 2 of 3", for messages
	method   string
	path     string // escaped path as sent and signed
	endpoint string // method and path template, for APIError.Endpoint
	part     int    // part number, 0 for init and merge
	merge    bool
	expand   bool
}

// reqBody is a request body: its exact length, and a way to read it from the
// start (called again when the transport replays the request).
type reqBody struct {
	n    int64
	open func() io.Reader
}

// bytesBody is a body over b.
func bytesBody(b []byte) *reqBody {
	return &reqBody{n: int64(len(b)), open: func() io.Reader { return bytes.NewReader(b) }}
}

// url returns the URL of st.
func (up *upload) url(st step) (*url.URL, error) {
	u, err := url.Parse(up.base + st.path)
	if err != nil {
		return nil, fmt.Errorf("%s: bad endpoint %q: %w", up.req.Asset, up.c.acct.BaseURL, err)
	}
	return u, nil
}

// sign signs a request to st whose body is b (nil: none) and returns its
// URL and Authorization header.
func (up *upload) sign(st step, b []byte) (*url.URL, string, error) {
	u, err := up.url(st)
	if err != nil {
		return nil, "", err
	}
	auth, err := up.c.signer.Authorization(st.method, u.RequestURI(), b)
	if err != nil {
		return nil, "", fmt.Errorf("%s: %w", up.req.Asset, err)
	}
	return u, auth, nil
}

// call sends one request to u, signed with auth, with body b (nil: none,
// no Content-Type) and returns the verified 2xx body.
func (up *upload) call(ctx context.Context, st step, u *url.URL, auth string, b *reqBody) ([]byte, error) {
	c, req := up.c, up.req
	g := &providers.BodyGuard{}
	var rd io.Reader
	if b != nil {
		rd = g.Reader(b.open())
	}
	hreq, err := http.NewRequestWithContext(ctx, st.method, u.String(), rd)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", req.Asset, err)
	}
	if b != nil {
		hreq.ContentLength = b.n
		hreq.GetBody = func() (io.ReadCloser, error) { return g.Reader(b.open()), nil }
		hreq.Header.Set("Content-Type", "application/json")
	}
	hreq.Header.Set("Authorization", auth)
	hreq.Header.Set("Accept", "application/json")
	hreq.Header.Set("User-Agent", c.acct.UserAgentHeader())
	hreq.Header.Set(signing.HeaderSerial, c.acct.WechatPayPublicKeyID)

	resp, err := c.http.Do(hreq)
	// The transport may still be reading the body after an early answer;
	// from now on it reads nothing, since the file is closed once Upload
	// returns.
	readErr := g.Release()
	if err != nil {
		var fc *providers.FileChangedError
		if errors.As(readErr, &fc) {
			return nil, fmt.Errorf("%s: %s: %w", req.Asset, st.name, fc)
		}
		if readErr != nil {
			return nil, fmt.Errorf("%s: %s: %w", req.Asset, st.name, readErr)
		}
		return nil, up.sendError(ctx, st, err)
	}
	data, tooLong, err := providers.ReadAnswer(resp, MaxResponseSize)
	if err != nil {
		return nil, up.sendError(ctx, st, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, up.apiError(st, resp, data)
	}
	if tooLong {
		return nil, up.malformed(st, fmt.Sprintf("body is larger than %d bytes", MaxResponseSize))
	}
	if err := c.verifier.Verify(resp.Header, data); err != nil {
		return nil, &providers.VerifyError{Asset: req.Asset, Reason: st.name + ": " + err.Error()}
	}
	return data, nil
}

// sendError classifies a failure to send a request or read its answer.
func (up *upload) sendError(ctx context.Context, st step, err error) error {
	return providers.NetworkError(ctx, up.req.Asset, st.name, err)
}

// malformed reports a verified 2xx answer that cannot be used. It is a
// plain error, which providers.IsRetryable treats as permanent.
func (up *upload) malformed(st step, reason string) error {
	return fmt.Errorf("%s: malformed response from %s (%s): %s", up.req.Asset, st.endpoint, st.name, reason)
}

// object decodes a JSON object body.
func object(data []byte) (map[string]json.RawMessage, string) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(data, &m); err != nil || m == nil {
		return nil, "body is not a JSON object"
	}
	return m, ""
}

// getString stores the string field key of m in *dst, or says why not.
func getString(m map[string]json.RawMessage, key string, dst **string) string {
	return getField(m, key, "a string", dst)
}

// getInt stores the integer field key of m in *dst, or says why not.
func getInt(m map[string]json.RawMessage, key string, dst **int64) string {
	return getField(m, key, "an integer", dst)
}

// getField stores field key of m, decoded as a T, in *dst, or says why not
// (what names a T in the message).
func getField[T any](m map[string]json.RawMessage, key, what string, dst **T) string {
	raw, ok := m[key]
	if !ok {
		return fmt.Sprintf("no %q field", key)
	}
	var v T
	if err := json.Unmarshal(raw, &v); err != nil {
		return fmt.Sprintf("%q is not %s", key, what)
	}
	*dst = &v
	return ""
}

func firstOf(reasons ...string) string {
	for _, r := range reasons {
		if r != "" {
			return r
		}
	}
	return ""
}

// isMergeRefused reports a 400 INVALID_REQUEST from the merge call: the
// server does not hold every part the session's record says it does.
func isMergeRefused(err error) bool {
	var ae *providers.APIError
	return errors.As(err, &ae) && ae.HTTPStatus == http.StatusBadRequest && ae.Code == "INVALID_REQUEST" &&
		ae.Endpoint == http.MethodPost+" "+PathUploads+"/{upload_id}"
}

// isSessionGone reports a 404 NOT_FOUND for the session: WeChat Pay no
// longer knows the upload_id.
func isSessionGone(err error) bool {
	var ae *providers.APIError
	return errors.As(err, &ae) && ae.HTTPStatus == http.StatusNotFound && (ae.Code == "NOT_FOUND" || ae.Code == "") &&
		ae.Endpoint != http.MethodPost+" "+PathUploads
}
