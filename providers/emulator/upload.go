package emulator

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"sort"
	"strings"
	"unicode/utf8"
)

// MiB is the unit of the documented "MB" limits. [ASSUMED] binary megabytes.
const MiB = 1 << 20

// Endpoint paths.
const (
	PathImageUpload     = "/v3/merchant/media/upload"
	PathVideoUpload     = "/v3/merchant/media/video_upload"
	PathGlobalUpload    = "/v3/global/merchant-storage/file/upload"
	PathMarketingUpload = "/v3/marketing/favor/media/image-upload"
	PathBrandImage      = "/brand/marketing/product-coupon/media/upload-image"
)

// uploadSpec describes one multipart upload endpoint (docs/PROTOCOL.md §1.5).
type uploadSpec struct {
	path   string
	scheme string   // Authorization scheme
	apis   []string // merchant APIs allowed to call it
	// requireSerial makes the Wechatpay-Serial request header mandatory.
	requireSerial bool
	// digestKeys are the meta keys holding the hex SHA-256, first present wins.
	digestKeys []string
	// refusedKeys are meta keys a client might send by mistake, refused.
	refusedKeys []string
	// digestExact requires exactly 64 hex digits; otherwise up to maxDigest
	// characters are accepted and compared.
	digestExact bool
	maxDigest   int
	maxFilename int // in characters
	maxSize     int64
	formats     map[string]magic
	// contentTypes, when set, lists the accepted file part Content-Types.
	contentTypes []string
	// paramCode is the code of parameter errors (E4 uses INVALID_REQUEST).
	paramCode string
	// kind words the content errors ("image", "video", "file").
	kind string
	// idField names the response field; newID makes its value.
	idField string
	newID   func(ext string) string
}

// maxMetaSize caps the meta part. [ASSUMED] 4 KiB is far above any valid
// meta (filename ≤ 256 characters plus a digest).
const maxMetaSize = 4 << 10

// bodySlack is how much a multipart body may exceed the file limit (the
// meta part, headers and boundaries) before the server stops reading.
const bodySlack = 64 << 10

// MarketingURLPrefix and BrandImageURLPrefix start the URLs the marketing
// and brand image endpoints return. [ASSUMED] any https URL ending in the
// file's extension; the host is reserved (.invalid) so nothing fetches it.
const (
	MarketingURLPrefix  = "https://sandbox.wxmedia.invalid/marketing/"
	BrandImageURLPrefix = "https://sandbox.wxmedia.invalid/brand/"
)

// newMediaID returns an unguessable media_id: 60 base64url characters.
// [ASSUMED] real media_ids are opaque base64url strings of similar length.
func newMediaID(string) string { return base64.RawURLEncoding.EncodeToString(randomBytes(45)) }

// newUUID returns a random (version 4) UUID, the form of E4's file_id.
func newUUID(string) string {
	b := randomBytes(16)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// uploadSpecs is the table of multipart endpoints, keyed by path.
// [ASSUMED] global merchants may call E1 and E2 (docs/PROTOCOL.md §0 lists the
// global host for them); only global merchants may call E4, only v3
// merchants E6. A known merchant calling an endpoint outside its API gets
// 403 NO_AUTH.
var uploadSpecs = map[string]*uploadSpec{
	PathImageUpload: {
		path: PathImageUpload, scheme: schemeV3, apis: []string{APIV3, APIGlobal},
		digestKeys: []string{"sha256"}, maxDigest: 64, maxFilename: 128, maxSize: 2 * MiB,
		formats: imageFormats, paramCode: codeParam, kind: "image",
		idField: "media_id", newID: newMediaID,
	},
	PathVideoUpload: {
		path: PathVideoUpload, scheme: schemeV3, apis: []string{APIV3, APIGlobal},
		digestKeys: []string{"sha256"}, maxDigest: 64, maxFilename: 128, maxSize: 5 * MiB,
		formats: videoFormats, paramCode: codeParam, kind: "video",
		idField: "media_id", newID: newMediaID,
	},
	PathGlobalUpload: {
		path: PathGlobalUpload, scheme: schemeV3, apis: []string{APIGlobal},
		// The parameter table's "digest" is normative (docs/PROTOCOL.md §6
		// discrepancy); the sample's "sha256" is refused, so that a client
		// sending it is caught here rather than by WeChat Pay.
		digestKeys: []string{"digest"}, refusedKeys: []string{"sha256"}, digestExact: true, maxFilename: 256, maxSize: 5 * MiB,
		formats: globalFormats,
		// [ASSUMED] the content types E4 checks the file part against.
		contentTypes: []string{"application/pdf", "image/jpeg", "image/jpg", "image/png", "image/bmp"},
		paramCode:    codeInvalid, kind: "file",
		idField: "file_id", newID: newUUID,
	},
	PathMarketingUpload: {
		path: PathMarketingUpload, scheme: schemeV3, apis: []string{APIV3},
		digestKeys: []string{"sha256"}, maxDigest: 256, maxFilename: 128, maxSize: 2 * MiB,
		formats: imageFormats, paramCode: codeParam, kind: "image",
		idField: "media_url", newID: func(ext string) string { return MarketingURLPrefix + newMediaID("") + "." + ext },
	},
	PathBrandImage: {
		path: PathBrandImage, scheme: schemeBrand, apis: []string{APIBrand}, requireSerial: true,
		digestKeys: []string{"sha256"}, maxDigest: 64, maxFilename: 128, maxSize: 2 * MiB,
		formats: imageFormats, paramCode: codeParam, kind: "image",
		idField: "image_url", newID: func(ext string) string { return BrandImageURLPrefix + newMediaID("") + "." + ext },
	},
}

// multipartBody is what readMultipart extracts.
type multipartBody struct {
	meta     []byte
	hasMeta  bool
	hasFile  bool
	filename string
	fileType string
	size     int64
	sha256   string
	head     []byte
}

// methodNotAllowed answers a wrong HTTP method. [ASSUMED] 400
// INVALID_REQUEST (a documented pair; docs/PROTOCOL.md lists no 405) with an Allow
// header.
func (q *request) methodNotAllowed(allow string) {
	q.w.Header().Set("Allow", allow)
	q.writeError(errorf(http.StatusBadRequest, codeInvalid, "%s is not allowed here; use %s", q.r.Method, allow))
}

// serveUpload handles every multipart endpoint of uploadSpecs.
func (s *Server) serveUpload(q *request, spec *uploadSpec) {
	r := q.r
	if r.Method != http.MethodPost {
		q.methodNotAllowed(http.MethodPost)
		return
	}
	m, auth, e := s.authenticate(r, spec.scheme, spec.apis)
	if e != nil {
		q.writeError(e)
		return
	}
	if e := s.checkWechatpaySerial(r, spec.requireSerial); e != nil {
		q.writeError(e)
		return
	}
	if e := s.allow(m); e != nil {
		q.writeError(e)
		return
	}
	boundary, e := multipartBoundary(r)
	if e != nil {
		q.writeError(e)
		return
	}
	body := http.MaxBytesReader(q.w, r.Body, spec.maxSize+bodySlack)
	mb, e := readMultipart(body, boundary, spec.maxSize)
	if e != nil {
		if e.code == codeParam {
			e.code = spec.paramCode
		}
		q.writeError(e)
		return
	}
	if !mb.hasMeta {
		q.writeError(errorf(http.StatusBadRequest, spec.paramCode, "the multipart body has no meta part"))
		return
	}
	if e := verifySignature(r, m, auth, mb.meta); e != nil {
		q.writeError(e)
		return
	}
	filename, ext, e := spec.validate(mb)
	if e != nil {
		q.writeError(e)
		return
	}
	id, e := s.issue(m, spec.path, mb.sha256, filename, func() string { return spec.newID(ext) }, true)
	if e != nil {
		q.writeError(e)
		return
	}
	q.writeSigned(http.StatusOK, map[string]string{spec.idField: id})
}

// multipartBoundary checks the request is multipart/form-data.
func multipartBoundary(r *http.Request) (string, *apiError) {
	ct := r.Header.Get("Content-Type")
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil || mt != "multipart/form-data" {
		return "", errorf(http.StatusBadRequest, codeInvalid, "Content-Type must be multipart/form-data, got %q", truncateForMsg(ct))
	}
	b := params["boundary"]
	if b == "" {
		return "", errorf(http.StatusBadRequest, codeInvalid, "multipart/form-data Content-Type has no boundary")
	}
	return b, nil
}

// readMultipart reads the meta and file parts, in either order, streaming
// the file through SHA-256 and stopping as soon as it exceeds maxSize.
// Parameter problems are reported as PARAM_ERROR for the caller to recode.
func readMultipart(body io.Reader, boundary string, maxSize int64) (*multipartBody, *apiError) {
	br := bufio.NewReaderSize(body, 4096)
	if e := checkCRLF(br, boundary); e != nil {
		return nil, e
	}
	mr := multipart.NewReader(br, boundary)
	mb := &multipartBody{}
	for {
		p, err := mr.NextRawPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, readError(err, "malformed multipart body")
		}
		disp, params, err := mime.ParseMediaType(p.Header.Get("Content-Disposition"))
		if err != nil || disp != "form-data" || params["name"] == "" {
			return nil, errorf(http.StatusBadRequest, codeInvalid, "a multipart part has no valid Content-Disposition: form-data; name=...")
		}
		switch name := params["name"]; name {
		case "meta":
			if mb.hasMeta {
				return nil, errorf(http.StatusBadRequest, codeParam, "the meta part appears twice")
			}
			mb.hasMeta = true
			meta, err := io.ReadAll(io.LimitReader(p, maxMetaSize+1))
			if err != nil {
				return nil, readError(err, "reading the meta part")
			}
			if len(meta) > maxMetaSize {
				return nil, errorf(http.StatusBadRequest, codeParam, "the meta part is larger than %d bytes", maxMetaSize)
			}
			mb.meta = meta
		case "file":
			if mb.hasFile {
				return nil, errorf(http.StatusBadRequest, codeParam, "the file part appears twice")
			}
			mb.hasFile = true
			fn, ok := params["filename"]
			if !ok {
				return nil, errorf(http.StatusBadRequest, codeParam, "the file part has no filename in its Content-Disposition")
			}
			mb.filename = fn
			mb.fileType = p.Header.Get("Content-Type")
			h := sha256.New()
			head := &headWriter{}
			n, err := io.Copy(io.MultiWriter(h, head), io.LimitReader(p, maxSize+1))
			if err != nil {
				return nil, readError(err, "reading the file part")
			}
			if n > maxSize {
				return nil, errorf(http.StatusBadRequest, codeParam, "file is larger than the %d-byte limit", maxSize)
			}
			mb.size = n
			mb.sha256 = hexLower(h.Sum(nil))
			mb.head = head.b
		default:
			// [ASSUMED] parts other than meta and file are refused.
			return nil, errorf(http.StatusBadRequest, codeParam, "unexpected multipart part %q (only meta and file are allowed)", truncateForMsg(name))
		}
	}
	return mb, nil
}

// readError maps a body read error: an over-long body is PARAM_ERROR (too
// large), anything else a malformed request.
func readError(err error, what string) *apiError {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return errorf(http.StatusBadRequest, codeParam, "request body is larger than %d bytes", mbe.Limit)
	}
	return errorf(http.StatusBadRequest, codeInvalid, "%s: %v", what, err)
}

// checkCRLF refuses a body whose first boundary line ends in a bare LF:
// Go's reader would accept it, WeChat Pay does not (docs/PROTOCOL.md §8 item 3).
func checkCRLF(br *bufio.Reader, boundary string) *apiError {
	buf, _ := br.Peek(br.Size())
	delim := []byte("--" + boundary)
	i := bytes.Index(buf, delim)
	if i < 0 {
		return nil // let the multipart reader report it
	}
	rest := buf[i+len(delim):]
	// Transport padding (spaces, tabs) may precede the line break.
	rest = bytes.TrimLeft(rest, " \t")
	if len(rest) > 0 && rest[0] == '\n' {
		return errorf(http.StatusBadRequest, codeInvalid, "multipart line breaks must be CRLF, not LF")
	}
	return nil
}

// headWriter keeps the first sniffLen bytes written to it.
type headWriter struct{ b []byte }

func (w *headWriter) Write(p []byte) (int, error) {
	if room := sniffLen - len(w.b); room > 0 {
		if len(p) < room {
			room = len(p)
		}
		w.b = append(w.b, p[:room]...)
	}
	return len(p), nil
}

// validate applies the endpoint's meta and content rules, in a fixed order:
// meta syntax, filename, digest syntax, file part, content type, emptiness,
// format, digest match. It returns the filename and its lowercase extension.
func (spec *uploadSpec) validate(mb *multipartBody) (string, string, *apiError) {
	bad := func(format string, args ...any) (string, string, *apiError) {
		return "", "", errorf(http.StatusBadRequest, spec.paramCode, format, args...)
	}
	var meta map[string]json.RawMessage
	if err := json.Unmarshal(mb.meta, &meta); err != nil || meta == nil {
		return bad("meta is not a JSON object")
	}
	for _, k := range spec.refusedKeys {
		if _, ok := meta[k]; ok {
			return bad("meta key %s is not accepted: send the file's SHA-256 as %s", k, spec.digestKeys[0])
		}
	}
	// [ASSUMED] other meta keys are ignored.
	var filename string
	raw, ok := meta["filename"]
	if !ok {
		return bad("meta has no filename")
	}
	if err := json.Unmarshal(raw, &filename); err != nil {
		return bad("meta filename is not a string")
	}
	if !utf8.ValidString(filename) {
		return bad("filename is not valid UTF-8")
	}
	if n := utf8.RuneCountInString(filename); n < 1 || n > spec.maxFilename {
		return bad("filename must be 1 to %d characters, got %d", spec.maxFilename, n)
	}
	ext := extOf(filename)
	sniff, ok := spec.formats[ext]
	if !ok {
		return bad("filename %q has an unsupported extension; allowed: %s", truncateForMsg(filename), strings.Join(sortedKeys(spec.formats), ", "))
	}
	var digest, digestKey string
	for _, k := range spec.digestKeys {
		if raw, ok := meta[k]; ok {
			digestKey = k
			if err := json.Unmarshal(raw, &digest); err != nil {
				return bad("meta %s is not a string", k)
			}
			break
		}
	}
	if digestKey == "" {
		return bad("meta has no %s", spec.digestKeys[0])
	}
	if spec.digestExact {
		if len(digest) != 64 || !isHex(digest) {
			return bad("meta %s must be 64 hex digits (the SHA-256 of the file)", digestKey)
		}
	} else if digest == "" || len(digest) > spec.maxDigest {
		return bad("meta %s must be 1 to %d characters", digestKey, spec.maxDigest)
	}
	if !mb.hasFile {
		return bad("the multipart body has no file part")
	}
	if mb.filename != filename {
		// [ASSUMED] a file part filename different from meta's is a
		// parameter error.
		return bad("file part filename %q does not equal meta filename %q", truncateForMsg(mb.filename), truncateForMsg(filename))
	}
	if spec.contentTypes != nil {
		mt, _, _ := mime.ParseMediaType(mb.fileType)
		if !contains(spec.contentTypes, mt) {
			return bad("file part Content-Type %q is not supported; allowed: %s", truncateForMsg(mb.fileType), strings.Join(spec.contentTypes, ", "))
		}
	}
	if mb.size == 0 {
		return bad("file is empty")
	}
	if !sniff(mb.head) {
		return bad("binary is not %s of type %s (its first bytes do not match the extension)", withArticle(spec.kind), ext)
	}
	// [ASSUMED] the digest is compared case-insensitively.
	if !strings.EqualFold(digest, mb.sha256) {
		return bad("%s does not match the file content", digestKey)
	}
	return filename, ext, nil
}

// withArticle returns "an image", "a video", "a file".
func withArticle(noun string) string {
	if strings.ContainsRune("aeiou", rune(noun[0])) {
		return "an " + noun
	}
	return "a " + noun
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}

func sortedKeys(m map[string]magic) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
