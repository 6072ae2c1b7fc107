package emulator

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// Brand user-package session (docs/PROTOCOL.md §7): init (E5a), PUT parts (E5),
// merge (E5b). Field names marked [ASSUMED] are not documented.

// PathUserPackageUploads is the session collection: POST creates a session,
// PUT .../{upload_id}/{part_number} uploads a part, POST .../{upload_id}
// merges.
const PathUserPackageUploads = "/brand/marketing/user-package/uploads"

// DefaultPartSize is the part size the init call hands out when
// Config.PartSize is 0. [ASSUMED] the real value is unknown.
const DefaultPartSize = 5 * MiB

// maxPartSize is the documented cap on one part's data (20 MB).
const maxPartSize = 20 * MiB

// maxDescription bounds user_package_file_info.description. [ASSUMED]
const maxDescription = 128

// maxSessionBody caps the init and merge bodies.
const maxSessionBody = 64 << 10

// brandFilename is the documented filename character set.
var brandFilename = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9_.\-]{1,128}$`) })

// session is one brand upload session.
type session struct {
	brandID    string
	filename   string
	dataType   string
	digest     string // lowercase
	size       int64
	partSize   int64
	count      int
	parts      map[int][]byte // until merged
	sums       map[int]string // SHA-256 of each acknowledged part
	resourceID string         // set once merged
}

// partLen returns the exact size part n (1-based) must have.
func (ss *session) partLen(n int) int64 {
	if n < ss.count {
		return ss.partSize
	}
	return ss.size - int64(ss.count-1)*ss.partSize
}

// initRequest is the E5a body. [ASSUMED] digest, file_size, file_type
// (CSV), data_type (OPENID or MOBILE_MD5), description (and any other
// field, ignored) inside user_package_file_info.
type initRequest struct {
	Info *struct {
		Filename    *string `json:"filename"`
		Digest      *string `json:"digest"`
		FileSize    *int64  `json:"file_size"`
		FileType    *string `json:"file_type"`
		DataType    *string `json:"data_type"`
		Description *string `json:"description"`
	} `json:"user_package_file_info"`
}

// initResponse is the E5a answer. [ASSUMED] part_size and part_count.
type initResponse struct {
	UploadID  string `json:"upload_id"`
	PartSize  int64  `json:"part_size"`
	PartCount int    `json:"part_count"`
}

// partRequest is the E5 body: JSON with the part's bytes in standard base64
// (the Go sample's encoding). [ASSUMED] the multipart variant of §7.3 is not
// served.
type partRequest struct {
	File     *[]byte `json:"file"`
	FileMeta *struct {
		Filename string `json:"filename"`
		Digest   string `json:"digest"`
	} `json:"file_meta"`
}

// mergeResponse is the E5b answer. [ASSUMED] field names.
type mergeResponse struct {
	UploadID   string `json:"upload_id"`
	ResourceID string `json:"resource_id"`
}

// newUploadID returns 76 lowercase hex characters starting with the Unix
// milliseconds, like the documented sample.
func (s *Server) newUploadID() string {
	return fmt.Sprintf("%013d", s.now().UnixMilli()%1e13) + hexLower(randomBytes(32))[:63]
}

// newResourceID returns the merge result. [ASSUMED] 32 lowercase hex.
func newResourceID(string) string { return hexLower(randomBytes(16)) }

func isSessionPath(p string) bool {
	return p == PathUserPackageUploads || strings.HasPrefix(p, PathUserPackageUploads+"/")
}

// serveSession routes the three session calls.
func (s *Server) serveSession(q *request) {
	r := q.r
	segs := strings.Split(strings.TrimPrefix(r.URL.Path, PathUserPackageUploads), "/")[1:]
	var want string
	switch len(segs) {
	case 0:
		want = http.MethodPost
	case 1:
		want = http.MethodPost
	case 2:
		want = http.MethodPut
	default:
		q.writeError(errorf(http.StatusNotFound, codeNotFound, "no such endpoint: %s %s", r.Method, r.URL.Path))
		return
	}
	for _, seg := range segs {
		if seg == "" {
			q.writeError(errorf(http.StatusNotFound, codeNotFound, "no such endpoint: %s %s", r.Method, r.URL.Path))
			return
		}
	}
	if r.Method != want {
		q.methodNotAllowed(want)
		return
	}
	limit := int64(maxSessionBody)
	if len(segs) == 2 {
		limit = maxPartSize/3*4 + maxSessionBody
	}
	m, body, ok := s.brandRequest(q, limit, len(segs) != 1)
	if !ok {
		return
	}
	switch len(segs) {
	case 0:
		s.initSession(q, m, body)
	case 1:
		s.mergeSession(q, m, segs[0])
	case 2:
		s.putPart(q, m, segs[0], segs[1], body)
	}
}

// brandRequest authenticates a brand call (docs/PROTOCOL.md §1.6), applies the
// rate limit, and reads and verifies its body (at most limit bytes; a JSON
// Content-Type is required when the body is not empty, or always when
// needBody is set). On a problem it answers and returns ok false.
func (s *Server) brandRequest(q *request, limit int64, needBody bool) (m *Merchant, body []byte, ok bool) {
	r := q.r
	m, auth, e := s.authenticate(r, schemeBrand, []string{APIBrand})
	if e != nil {
		q.writeError(e)
		return nil, nil, false
	}
	if e := s.checkWechatpaySerial(r, true); e != nil {
		q.writeError(e)
		return nil, nil, false
	}
	if e := s.allow(m); e != nil {
		q.writeError(e)
		return nil, nil, false
	}
	body, err := io.ReadAll(http.MaxBytesReader(q.w, r.Body, limit))
	if err != nil {
		e := readError(err, "reading the body")
		if e.code == codeParam {
			e.code = codeInvalid
		}
		q.writeError(e)
		return nil, nil, false
	}
	if len(body) > 0 || needBody {
		if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" {
			q.writeError(errorf(http.StatusBadRequest, codeInvalid, "Content-Type must be application/json, got %q", truncateForMsg(r.Header.Get("Content-Type"))))
			return nil, nil, false
		}
	}
	if e := verifySignature(r, m, auth, body); e != nil {
		q.writeError(e)
		return nil, nil, false
	}
	return m, body, true
}

func (s *Server) initSession(q *request, m *Merchant, body []byte) {
	bad := func(format string, args ...any) {
		q.writeError(errorf(http.StatusBadRequest, codeParam, format, args...))
	}
	var req initRequest
	if err := json.Unmarshal(body, &req); err != nil {
		bad("body is not valid: %v", err)
		return
	}
	info := req.Info
	switch {
	case info == nil:
		bad("user_package_file_info is required")
	case info.Filename == nil || !brandFilename().MatchString(*info.Filename):
		bad("user_package_file_info.filename must be 1 to 128 letters, digits, '_', '.' or '-'")
	case info.Digest == nil || len(*info.Digest) != 64 || !isHex(*info.Digest):
		bad("user_package_file_info.digest must be the 64-hex-digit SHA-256 of the file")
	case info.FileSize == nil || *info.FileSize <= 0:
		bad("user_package_file_info.file_size must be a positive number of bytes")
	case !strings.HasSuffix(strings.ToLower(*info.Filename), ".csv"):
		bad("user_package_file_info.filename must name a CSV file (.csv): only CSV is accepted")
	case info.FileType != nil && *info.FileType != "CSV":
		bad("user_package_file_info.file_type must be CSV")
	case info.DataType == nil || (*info.DataType != "OPENID" && *info.DataType != "MOBILE_MD5"):
		bad("user_package_file_info.data_type must be OPENID or MOBILE_MD5")
	case info.Description != nil && len([]rune(*info.Description)) > maxDescription:
		bad("user_package_file_info.description must be at most %d characters", maxDescription)
	default:
		ps := s.cfg.PartSize
		ss := &session{
			brandID: m.MchID, filename: *info.Filename, dataType: *info.DataType, digest: strings.ToLower(*info.Digest),
			size: *info.FileSize, partSize: ps, count: int((*info.FileSize + ps - 1) / ps),
			parts: map[int][]byte{}, sums: map[int]string{},
		}
		id, e := s.issue(m, PathUserPackageUploads, ss.digest, ss.filename, func() string { return s.newUploadID() }, false)
		if e != nil {
			q.writeError(e)
			return
		}
		s.mu.Lock()
		s.sessions[id] = ss
		s.mu.Unlock()
		q.writeSigned(http.StatusOK, initResponse{UploadID: id, PartSize: ps, PartCount: ss.count})
	}
}

// lookupSession returns the caller's session or a 404. [ASSUMED] another
// brand's session is reported as missing (404), not 403.
func (s *Server) lookupSession(m *Merchant, id string) (*session, *apiError) {
	ss := s.sessions[id]
	if ss == nil || ss.brandID != m.MchID {
		return nil, errorf(http.StatusNotFound, codeNotFound, "no upload task %q for brand %s", truncateForMsg(id), m.MchID)
	}
	return ss, nil
}

func (s *Server) putPart(q *request, m *Merchant, id, num string, body []byte) {
	invalid := func(format string, args ...any) {
		q.writeError(errorf(http.StatusBadRequest, codeInvalid, format, args...))
	}
	s.mu.Lock()
	ss, e := s.lookupSession(m, id)
	s.mu.Unlock()
	if e != nil {
		q.writeError(e)
		return
	}
	n, err := strconv.Atoi(num)
	if err != nil || num != strconv.Itoa(n) {
		q.writeError(errorf(http.StatusBadRequest, codeParam, "part_number %q is not an integer", truncateForMsg(num)))
		return
	}
	// [ASSUMED] parts are numbered 1..part_count.
	if n < 1 || n > ss.count {
		invalid("part_number %d is outside 1..%d", n, ss.count)
		return
	}
	var req partRequest
	if err := json.Unmarshal(body, &req); err != nil {
		q.writeError(errorf(http.StatusBadRequest, codeParam, "body is not valid (file must be standard base64): %v", err))
		return
	}
	if req.File == nil || req.FileMeta == nil {
		q.writeError(errorf(http.StatusBadRequest, codeParam, "file and file_meta are required"))
		return
	}
	data, fm := *req.File, req.FileMeta
	if !brandFilename().MatchString(fm.Filename) {
		q.writeError(errorf(http.StatusBadRequest, codeParam, "file_meta.filename must be 1 to 128 letters, digits, '_', '.' or '-'"))
		return
	}
	if len(fm.Digest) != 64 || !isHex(fm.Digest) {
		q.writeError(errorf(http.StatusBadRequest, codeParam, "file_meta.digest must be 64 hex digits"))
		return
	}
	// [ASSUMED] every part names the file the session was created for.
	if fm.Filename != ss.filename {
		invalid("file_meta.filename %q is not the session's %q", fm.Filename, ss.filename)
		return
	}
	if len(data) > maxPartSize {
		invalid("part is larger than %d bytes", maxPartSize)
		return
	}
	if want := ss.partLen(n); int64(len(data)) != want {
		invalid("part %d must be exactly %d bytes, got %d", n, want, len(data))
		return
	}
	sum := sha256.Sum256(data)
	sumHex := hexLower(sum[:])
	if !strings.EqualFold(fm.Digest, sumHex) {
		invalid("file_meta.digest does not match part %d", n)
		return
	}
	s.mu.Lock()
	if ss.resourceID != "" && ss.sums[n] != sumHex {
		s.mu.Unlock()
		invalid("upload %s is already merged; part %d cannot change", id, n)
		return
	}
	if ss.resourceID == "" {
		ss.parts[n] = data // [ASSUMED] a re-PUT overwrites the part
		ss.sums[n] = sumHex
	}
	s.mu.Unlock()
	q.writeSigned(http.StatusOK, struct {
		ReturnMessage string `json:"return_message"`
		PartNumber    int    `json:"part_number"`
	}{"success", n})
}

func (s *Server) mergeSession(q *request, m *Merchant, id string) {
	s.mu.Lock()
	ss, e := s.lookupSession(m, id)
	if e != nil {
		s.mu.Unlock()
		q.writeError(e)
		return
	}
	if rid := ss.resourceID; rid != "" { // merging is idempotent
		s.mu.Unlock()
		q.writeSigned(http.StatusOK, mergeResponse{UploadID: id, ResourceID: rid})
		return
	}
	var missing []int
	h := sha256.New()
	for i := 1; i <= ss.count; i++ {
		if p, ok := ss.parts[i]; ok {
			h.Write(p)
		} else {
			missing = append(missing, i)
		}
	}
	s.mu.Unlock()
	if len(missing) > 0 {
		sort.Ints(missing)
		q.writeError(errorf(http.StatusBadRequest, codeInvalid, "cannot merge unless all parts have succeeded; missing parts %s", intList(missing)))
		return
	}
	if got := hexLower(h.Sum(nil)); got != ss.digest {
		q.writeError(errorf(http.StatusBadRequest, codeInvalid, "merged file SHA-256 %s does not match the session digest %s", got, ss.digest))
		return
	}
	rid, e := s.issue(m, PathUserPackageUploads+"/{upload_id}", ss.digest, ss.filename, func() string { return newResourceID("") }, false)
	if e != nil {
		q.writeError(e)
		return
	}
	s.mu.Lock()
	if ss.resourceID == "" {
		ss.resourceID = rid
		ss.parts = nil
	}
	rid = ss.resourceID
	s.mu.Unlock()
	q.writeSigned(http.StatusOK, mergeResponse{UploadID: id, ResourceID: rid})
}

func intList(xs []int) string {
	var b bytes.Buffer
	for i, x := range xs {
		if i == 10 {
			fmt.Fprintf(&b, ",... (%d in all)", len(xs))
			break
		}
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.Itoa(x))
	}
	return b.String()
}
