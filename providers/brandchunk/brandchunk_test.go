package brandchunk_test

import (
	"bytes"
	"context"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wxmedia/wxmedia/mediatype"
	"github.com/wxmedia/wxmedia/providers"
	"github.com/wxmedia/wxmedia/providers/brandchunk"
)

func account(s *server) *providers.Account {
	return &providers.Account{
		Name:                 "brand",
		API:                  "brand",
		MchID:                testBrandID,
		SerialNo:             testSerial,
		PrivateKey:           loadKey(s.t, "merchant_key.pem"),
		WechatPayKeys:        map[string]*rsa.PublicKey{testPubKeyID: &s.wxKey.PublicKey},
		WechatPayPublicKeyID: testPubKeyID,
		BaseURL:              s.URL,
		HTTPClient:           s.Client(),
	}
}

// memFile is a providers.File over a byte slice that records Close.
type memFile struct {
	*bytes.Reader
	closed atomic.Bool
}

func (m *memFile) Close() error { m.closed.Store(true); return nil }

// sessions collects what OnSession reported.
type sessions struct{ got []providers.Session }

func (ss *sessions) add(s providers.Session) error {
	ss.got = append(ss.got, s)
	return nil
}

func (ss *sessions) acked() [][]int {
	var out [][]int
	for _, s := range ss.got {
		out = append(out, s.Acked)
	}
	return out
}

func request(content []byte) (*providers.Request, *sessions, *[]*memFile) {
	var opened []*memFile
	sum := sha256.Sum256(content)
	ss := &sessions{}
	return &providers.Request{
		Asset:    "vip-users",
		Filename: "vip_users-2026.csv",
		DataType: "openid",
		Size:     int64(len(content)),
		SHA256:   hex.EncodeToString(sum[:]),
		Open: func() (providers.File, error) {
			f := &memFile{Reader: bytes.NewReader(content)}
			opened = append(opened, f)
			return f, nil
		},
		OnSession: ss.add,
	}, ss, &opened
}

// csv25 is 25 bytes: parts of 10, 10 and 5 bytes with a part size of 10.
var csv25 = []byte("oUpF8uMuAJO_M2pxb1Q9zNjW\n")

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// calls summarises requests as "METHOD path-suffix".
func calls(reqs []recorded) []string {
	var out []string
	for _, r := range reqs {
		p := strings.TrimPrefix(r.URI, uploadsPath)
		if i := strings.LastIndexByte(p, '/'); r.Method == "PUT" && i > 0 {
			p = "/ID" + p[i:]
		} else if p != "" {
			p = "/ID"
		}
		out = append(out, r.Method+" "+p)
	}
	return out
}

func TestUploadFullFlow(t *testing.T) {
	s := newServer(t, 10)
	req, ss, opened := request(csv25)
	res, err := brandchunk.New(account(s)).Upload(context.Background(), req)
	if err != nil {
		t.Fatalf("Upload() = %v", err)
	}
	reqs := s.requests()
	if got, want := calls(reqs), []string{"POST ", "PUT /ID/1", "PUT /ID/2", "PUT /ID/3", "POST /ID"}; !slices.Equal(got, want) {
		t.Fatalf("calls = %q, want %q", got, want)
	}
	id := strings.TrimPrefix(reqs[4].URI, uploadsPath+"/")
	if res.ID != id || len(id) != 76 {
		t.Errorf("ID = %q, want the upload_id %q", res.ID, id)
	}
	wantAttrs := map[string]string{"resource_id": "RES-" + id[len(id)-8:], "state": "MERGED"}
	if !reflect.DeepEqual(res.Attributes, wantAttrs) {
		t.Errorf("Attributes = %v, want %v", res.Attributes, wantAttrs)
	}
	if len(*opened) != 1 || !(*opened)[0].closed.Load() {
		t.Errorf("opened %d files / closed: want one, closed", len(*opened))
	}

	for i, r := range reqs {
		if !r.SignatureOK {
			t.Errorf("request %d (%s %s): Authorization %q does not verify", i, r.Method, r.URI, r.Header.Get("Authorization"))
		}
		if got := r.Header.Get("Wechatpay-Serial"); got != testPubKeyID {
			t.Errorf("request %d: Wechatpay-Serial = %q", i, got)
		}
		if got := r.Header.Get("Accept"); got != "application/json" {
			t.Errorf("request %d: Accept = %q", i, got)
		}
		if !authRE.MatchString(r.Header.Get("Authorization")) {
			t.Errorf("request %d: Authorization %q is not the brand form", i, r.Header.Get("Authorization"))
		}
	}

	// E5a: the file described, signed over the exact body.
	var init struct {
		Info map[string]any `json:"user_package_file_info"`
	}
	if err := json.Unmarshal(reqs[0].Body, &init); err != nil {
		t.Fatal(err)
	}
	wantInfo := map[string]any{"filename": "vip_users-2026.csv", "digest": sha(csv25), "file_size": 25.0, "file_type": "CSV", "data_type": "OPENID"}
	if !reflect.DeepEqual(init.Info, wantInfo) || reqs[0].Header.Get("Content-Type") != "application/json" {
		t.Errorf("init body %s, Content-Type %q", reqs[0].Body, reqs[0].Header.Get("Content-Type"))
	}

	// E5: each part is the right slice, base64 in the body, digest of
	// the part alone.
	for n := 1; n <= 3; n++ {
		r := reqs[n]
		want := csv25[(n-1)*10 : min(n*10, 25)]
		if !bytes.Equal(r.PartData, want) || r.Meta["digest"] != sha(want) || r.Meta["filename"] != "vip_users-2026.csv" || len(r.Meta) != 2 {
			t.Errorf("part %d: data %q, meta %v; want %q with digest %s", n, r.PartData, r.Meta, want, sha(want))
		}
		if r.Header.Get("Content-Type") != "application/json" || r.ContentLength <= 0 {
			t.Errorf("part %d: Content-Type %q, Content-Length %d", n, r.Header.Get("Content-Type"), r.ContentLength)
		}
	}

	// E5b: no body, no Content-Type; the signature covered an empty body.
	if m := reqs[4]; len(m.Body) != 0 || m.ContentLength != 0 || m.Header.Get("Content-Type") != "" {
		t.Errorf("merge: body %q, Content-Length %d, Content-Type %q", m.Body, m.ContentLength, m.Header.Get("Content-Type"))
	}

	// OnSession: after init, then after every part.
	if got, want := ss.acked(), [][]int{nil, {1}, {1, 2}, {1, 2, 3}}; !reflect.DeepEqual(got, want) {
		t.Errorf("OnSession acked = %v, want %v", got, want)
	}
	for _, sess := range ss.got {
		if sess.UploadID != id || sess.PartSize != 10 || sess.PartCount != 3 {
			t.Errorf("OnSession got %+v", sess)
		}
	}
}

func TestUploadPartBodyBytes(t *testing.T) {
	// The part body is byte for byte the JSON encoding/json would make of
	// {"file":[]byte,"file_meta":{...}}, in the documented field order.
	s := newServer(t, 10)
	var body []byte
	content := []byte("abc\xff\x00def")
	req, _, _ := request(content)
	acct := account(s)
	acct.HTTPClient = &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		if r.Method == http.MethodPut {
			body, _ = io.ReadAll(r.Body)
			r.Body = io.NopCloser(bytes.NewReader(body))
		}
		return s.Client().Transport.RoundTrip(r)
	})}
	if _, err := brandchunk.New(acct).Upload(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	want, _ := json.Marshal(struct {
		File []byte            `json:"file"`
		Meta map[string]string `json:"file_meta"`
	}{content, map[string]string{"filename": "vip_users-2026.csv", "digest": sha(content)}})
	// encoding/json sorts map keys (digest first); the client writes
	// filename first, as documented. Compare as JSON, and the prefix as bytes.
	var got, exp any
	json.Unmarshal(body, &got)
	json.Unmarshal(want, &exp)
	if !reflect.DeepEqual(got, exp) || !bytes.HasPrefix(body, []byte(`{"file":"YWJj/wBkZWY=","file_meta":{"filename":"vip_users-2026.csv","digest":"`)) {
		t.Errorf("part body = %s\nwant (as JSON) %s", body, want)
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestUploadResumesFromSession(t *testing.T) {
	s := newServer(t, 10)
	req, ss, _ := request(csv25)
	sess := s.addSession(csv25, req.Filename, 1, 2)
	req.Session = &sess
	res, err := brandchunk.New(account(s)).Upload(context.Background(), req)
	if err != nil {
		t.Fatalf("Upload() = %v", err)
	}
	if got, want := calls(s.requests()), []string{"PUT /ID/3", "POST /ID"}; !slices.Equal(got, want) {
		t.Errorf("calls = %q, want %q", got, want)
	}
	if res.ID != sess.UploadID || res.Attributes["resource_id"] == "" {
		t.Errorf("Result = %+v", res)
	}
	if got, want := ss.acked(), [][]int{{1, 2, 3}}; !reflect.DeepEqual(got, want) {
		t.Errorf("OnSession acked = %v, want %v", got, want)
	}
	if !reflect.DeepEqual(sess.Acked, []int{1, 2}) {
		t.Errorf("the caller's session was modified: %v", sess.Acked)
	}
}

func TestUploadAllPartsAckedOnlyMerges(t *testing.T) {
	s := newServer(t, 10)
	req, ss, _ := request(csv25)
	sess := s.addSession(csv25, req.Filename, 3, 1, 2, 2)
	req.Session = &sess
	if _, err := brandchunk.New(account(s)).Upload(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	if got := calls(s.requests()); !slices.Equal(got, []string{"POST /ID"}) {
		t.Errorf("calls = %q, want only the merge", got)
	}
	if len(ss.got) != 0 {
		t.Errorf("OnSession called %d times, want none", len(ss.got))
	}
}

func TestUploadStaleSessionStartsFresh(t *testing.T) {
	s := newServer(t, 10)
	req, ss, _ := request(csv25)
	// A session recorded for a file of another size: 4 parts of 10 bytes.
	req.Session = &providers.Session{UploadID: "old", PartSize: 10, PartCount: 4, Acked: []int{1}}
	if _, err := brandchunk.New(account(s)).Upload(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	if got := calls(s.requests()); len(got) != 5 || got[0] != "POST " {
		t.Errorf("calls = %q, want a fresh session", got)
	}
	if len(ss.got) != 4 || ss.got[0].UploadID == "old" {
		t.Errorf("OnSession = %+v", ss.got)
	}
}

func TestUploadSessionGoneStartsFreshOnce(t *testing.T) {
	s := newServer(t, 10)
	req, ss, _ := request(csv25)
	sess := s.addSession(csv25, req.Filename, 1)
	s.forget(sess.UploadID) // the server lost it
	req.Session = &sess
	res, err := brandchunk.New(account(s)).Upload(context.Background(), req)
	if err != nil {
		t.Fatalf("Upload() = %v", err)
	}
	want := []string{"PUT /ID/2", "POST ", "PUT /ID/1", "PUT /ID/2", "PUT /ID/3", "POST /ID"}
	if got := calls(s.requests()); !slices.Equal(got, want) {
		t.Errorf("calls = %q, want %q", got, want)
	}
	if res.ID == sess.UploadID || len(ss.got) != 4 || ss.got[0].UploadID != res.ID || ss.got[0].Acked != nil {
		t.Errorf("Result %+v, OnSession %+v: want the fresh session reported first", res, ss.got)
	}

	t.Run("lost twice", func(t *testing.T) {
		s := newServer(t, 10)
		s.setHook(func(w http.ResponseWriter, r *recorded) bool {
			if r.Method == http.MethodPut {
				fail(w, 404, "NOT_FOUND", "no upload task")
				return true
			}
			return false
		})
		req, _, _ := request(csv25)
		_, err := brandchunk.New(account(s)).Upload(context.Background(), req)
		var ae *providers.APIError
		if !errors.As(err, &ae) || ae.HTTPStatus != 404 || !strings.Contains(ae.Message, "part 1 of 3") ||
			!strings.Contains(ae.Message, "a fresh session was started in this attempt and failed too") {
			t.Fatalf("Upload() = %v; want the 404 saying a fresh session was tried", err)
		}
		if providers.IsRetryable(err) {
			t.Error("404 is retryable")
		}
		if got, want := calls(s.requests()), []string{"POST ", "PUT /ID/1", "POST ", "PUT /ID/1"}; !slices.Equal(got, want) {
			t.Errorf("calls = %q, want %q (one restart only)", got, want)
		}
	})

	t.Run("merge lost", func(t *testing.T) {
		s := newServer(t, 10)
		var merges atomic.Int32
		s.setHook(func(w http.ResponseWriter, r *recorded) bool {
			if r.Method == http.MethodPost && r.URI != uploadsPath && merges.Add(1) == 1 {
				fail(w, 404, "NOT_FOUND", "no upload task")
				return true
			}
			return false
		})
		req, _, _ := request(csv25)
		if _, err := brandchunk.New(account(s)).Upload(context.Background(), req); err != nil {
			t.Fatalf("Upload() = %v", err)
		}
		if n := len(s.requests()); n != 10 {
			t.Errorf("%d calls, want 10 (two full sessions)", n)
		}
	})
}

func TestUploadOnSessionErrorStops(t *testing.T) {
	boom := errors.New("disk full")
	for _, failAt := range []int{1, 2} { // after init, after part 1
		t.Run(fmt.Sprint(failAt), func(t *testing.T) {
			s := newServer(t, 10)
			req, _, _ := request(csv25)
			n := 0
			req.OnSession = func(providers.Session) error {
				n++
				if n == failAt {
					return boom
				}
				return nil
			}
			res, err := brandchunk.New(account(s)).Upload(context.Background(), req)
			if res != nil || !errors.Is(err, boom) || !strings.HasPrefix(err.Error(), "vip-users: saving the upload session") {
				t.Fatalf("Upload() = %v, %v; want the OnSession error", res, err)
			}
			if providers.IsRetryable(err) {
				t.Error("OnSession failure is retryable")
			}
			if got := len(s.requests()); got != failAt {
				t.Errorf("%d calls, want %d: nothing after the failed save", got, failAt)
			}
		})
	}
}

func TestUploadRejectsTamperedResponses(t *testing.T) {
	for _, tc := range []struct {
		name   string
		target func(r *recorded) bool
		acked  [][]int
	}{
		{"init", func(r *recorded) bool { return r.URI == uploadsPath }, nil},
		{"part 2", func(r *recorded) bool { return r.Part == 2 }, [][]int{nil, {1}}},
		{"merge", func(r *recorded) bool { return r.Method == "POST" && r.URI != uploadsPath }, [][]int{nil, {1}, {1, 2}, {1, 2, 3}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newServer(t, 10)
			s.tamper = func(r *recorded, body string) string {
				if tc.target(r) {
					return strings.Replace(body, `"`, `"X`, 2)
				}
				return body
			}
			req, ss, _ := request(csv25)
			res, err := brandchunk.New(account(s)).Upload(context.Background(), req)
			var ve *providers.VerifyError
			if res != nil || !errors.As(err, &ve) || !strings.Contains(ve.Reason, "signature does not verify") {
				t.Fatalf("Upload() = %v, %v (%T); want *providers.VerifyError", res, err, err)
			}
			if providers.IsRetryable(err) {
				t.Error("VerifyError is retryable")
			}
			if got := ss.acked(); !reflect.DeepEqual(got, tc.acked) {
				t.Errorf("OnSession acked = %v, want %v: an unverified answer acknowledges nothing", got, tc.acked)
			}
		})
	}
}

func TestUploadAPIErrorsOnPart(t *testing.T) {
	tests := []struct {
		status     int
		code, msg  string
		retryAfter string
		retryable  bool
		wantHint   string
	}{
		{429, "RATELIMIT_EXCEEDED", "too many requests", "2", true, "rate_limit"},
		{500, "SYSTEM_ERROR", "系统错误", "", true, "resumes from the acknowledged parts"},
		{400, "PARAM_ERROR", "参数错误", "", false, "filename"},
		{400, "INVALID_REQUEST", "part size", "", false, "wechatpay_public_key_id"},
		{401, "SIGN_ERROR", "签名错误", "", false, "brand API certificate"},
		{403, "NO_AUTH", "无权限", "", false, "permission"},
		{502, "", "", "", true, "server-side problem"},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprint(tc.status, tc.code), func(t *testing.T) {
			s := newServer(t, 10)
			s.setHook(func(w http.ResponseWriter, r *recorded) bool {
				if r.Part != 2 {
					return false
				}
				w.Header().Set("Request-ID", "REQ-ERR")
				if tc.retryAfter != "" {
					w.Header().Set("Retry-After", tc.retryAfter)
				}
				if tc.code == "" {
					w.WriteHeader(tc.status)
					io.WriteString(w, "<html>bad gateway</html>")
				} else {
					fail(w, tc.status, tc.code, tc.msg)
				}
				return true
			})
			req, ss, _ := request(csv25)
			res, err := brandchunk.New(account(s)).Upload(context.Background(), req)
			var ae *providers.APIError
			if res != nil || !errors.As(err, &ae) {
				t.Fatalf("Upload() = %v, %v (%T); want *providers.APIError", res, err, err)
			}
			if ae.Asset != "vip-users" || ae.HTTPStatus != tc.status || ae.Code != tc.code || !strings.HasPrefix(ae.Message, "part 2 of 3") ||
				ae.RequestID != "REQ-ERR" || ae.Endpoint != "PUT "+uploadsPath+"/{upload_id}/{part_number}" {
				t.Errorf("APIError = %+v", ae)
			}
			if tc.msg != "" && !strings.Contains(ae.Message, tc.msg) {
				t.Errorf("Message %q lacks %q", ae.Message, tc.msg)
			}
			if ae.Retryable != tc.retryable || providers.IsRetryable(err) != tc.retryable {
				t.Errorf("Retryable = %v, want %v", ae.Retryable, tc.retryable)
			}
			if tc.retryAfter != "" && ae.RetryAfter() != 2*time.Second {
				t.Errorf("RetryAfter = %v", ae.RetryAfter())
			}
			if !strings.Contains(ae.Hint, tc.wantHint) {
				t.Errorf("Hint = %q, want it to contain %q", ae.Hint, tc.wantHint)
			}
			if ae.FileMayHaveChanged {
				t.Errorf("a part's refusal says the file may have changed: only a refused merge does")
			}
			if got, want := ss.acked(), [][]int{nil, {1}}; !reflect.DeepEqual(got, want) {
				t.Errorf("OnSession acked = %v, want %v", got, want)
			}
			if n := len(s.requests()); n != 3 {
				t.Errorf("%d calls, want 3: one attempt per call", n)
			}
		})
	}
}

// TestUploadMergeRefusedMayMeanFileChanged: a merge refused with
// INVALID_REQUEST (missing parts, digest mismatch) may mean the file changed
// since plan: the error says so, with FileMayHaveChanged for the command
// layer to suggest a new plan, and names no command itself.
func TestUploadMergeRefusedMayMeanFileChanged(t *testing.T) {
	s := newServer(t, 10)
	s.setHook(func(w http.ResponseWriter, r *recorded) bool {
		// The merge: a POST to the session (the init POSTs to uploadsPath).
		if r.Method != http.MethodPost || !strings.Contains(r.URI, uploadsPath+"/") {
			return false
		}
		fail(w, 400, "INVALID_REQUEST", "merged digest mismatch")
		return true
	})
	req, _, _ := request(csv25)
	_, err := brandchunk.New(account(s)).Upload(context.Background(), req)
	var ae *providers.APIError
	if !errors.As(err, &ae) || !ae.FileMayHaveChanged || ae.Retryable {
		t.Fatalf("Upload() = %v; want a permanent *providers.APIError with FileMayHaveChanged", err)
	}
	if !strings.Contains(err.Error(), "the file may have changed since plan") || strings.Contains(err.Error(), "run plan") {
		t.Errorf("error %q: want it to say the file may have changed, and no command to run", err)
	}
}

// TestUploadAPIErrorIsCapped: a brand error body's code and message are
// capped as the v3 providers cap them (one decoder, providers.DecodeV3Error),
// so a server cannot fill our messages and logs. brandchunk used to keep
// them whole.
func TestUploadAPIErrorIsCapped(t *testing.T) {
	s := newServer(t, 10)
	long := strings.Repeat("x", 5000)
	s.setHook(func(w http.ResponseWriter, r *recorded) bool {
		if r.Part != 2 {
			return false
		}
		fail(w, 400, "PARAM_ERROR"+long, "bad "+long)
		return true
	})
	req, _, _ := request(csv25)
	_, err := brandchunk.New(account(s)).Upload(context.Background(), req)
	var ae *providers.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("Upload() = %v (%T); want *providers.APIError", err, err)
	}
	if len(ae.Code) > 64+len("…") || !strings.HasPrefix(ae.Code, "PARAM_ERROR") {
		t.Errorf("Code is %d bytes (%.20q…), want at most 64 and an ellipsis", len(ae.Code), ae.Code)
	}
	if max := len("part 2 of 3: ") + 500 + len("…"); len(ae.Message) > max || !strings.HasPrefix(ae.Message, "part 2 of 3: bad x") {
		t.Errorf("Message is %d bytes (%.30q…), want at most %d", len(ae.Message), ae.Message, max)
	}
}

func TestUploadInitNotFoundIsNotASessionLoss(t *testing.T) {
	s := newServer(t, 10)
	s.setHook(func(w http.ResponseWriter, r *recorded) bool {
		fail(w, 404, "NOT_FOUND", "no such endpoint")
		return true
	})
	req, _, _ := request(csv25)
	_, err := brandchunk.New(account(s)).Upload(context.Background(), req)
	var ae *providers.APIError
	if !errors.As(err, &ae) || ae.HTTPStatus != 404 || !strings.Contains(ae.Hint, "check the account's api and endpoint") {
		t.Fatalf("Upload() = %v", err)
	}
	if n := len(s.requests()); n != 1 {
		t.Errorf("%d calls, want 1", n)
	}
}

func TestUploadWithRetryResumes(t *testing.T) {
	s := newServer(t, 10)
	var failed atomic.Bool
	s.setHook(func(w http.ResponseWriter, r *recorded) bool {
		if r.Part == 2 && !failed.Swap(true) {
			fail(w, 500, "SYSTEM_ERROR", "系统错误")
			return true
		}
		return false
	})
	req, ss, _ := request(csv25)
	u := providers.WithRetry(brandchunk.New(account(s)), providers.RetryPolicy{Attempts: 3,
		Sleep: func(context.Context, time.Duration) error { return nil }})
	res, err := u.Upload(context.Background(), req)
	if err != nil {
		t.Fatalf("Upload() = %v", err)
	}
	want := []string{"POST ", "PUT /ID/1", "PUT /ID/2", "PUT /ID/2", "PUT /ID/3", "POST /ID"}
	if got := calls(s.requests()); !slices.Equal(got, want) {
		t.Errorf("calls = %q, want %q", got, want)
	}
	if res.ID != ss.got[0].UploadID {
		t.Errorf("ID %q, session %q", res.ID, ss.got[0].UploadID)
	}
}

func TestUploadMalformedAnswers(t *testing.T) {
	tests := []struct {
		name   string
		target func(r *recorded) bool
		body   any
		want   string
	}{
		{"init part_count", isInit, map[string]any{"upload_id": "U", "part_size": 10, "part_count": 4}, "part_count is 4, but a 25-byte file in parts of 10 bytes has 3"},
		{"init part_size", isInit, map[string]any{"upload_id": "U", "part_size": 0, "part_count": 0}, "part_size is 0"},
		{"init upload_id long", isInit, map[string]any{"upload_id": strings.Repeat("u", 129), "part_size": 10, "part_count": 3}, "upload_id is 129 bytes long, want 1..128"},
		{"init upload_id missing", isInit, map[string]any{"part_size": 10, "part_count": 3}, `no "upload_id" field`},
		{"init part_size string", isInit, map[string]any{"upload_id": "U", "part_size": "10", "part_count": 3}, `"part_size" is not an integer`},
		{"part number", func(r *recorded) bool { return r.Part == 1 }, map[string]any{"return_message": "success", "part_number": 2}, "part_number is 2, want 1"},
		{"merge upload_id", isMerge, map[string]any{"upload_id": "OTHER", "resource_id": "R"}, `upload_id is "OTHER"`},
		{"merge not object", isMerge, []int{1}, "not a JSON object"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newServer(t, 10)
			s.setHook(func(w http.ResponseWriter, r *recorded) bool {
				if tc.target(r) {
					s.signed(w, r, 200, tc.body)
					return true
				}
				return false
			})
			req, _, _ := request(csv25)
			res, err := brandchunk.New(account(s)).Upload(context.Background(), req)
			if res != nil || err == nil || !strings.Contains(err.Error(), "malformed response") || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Upload() = %v, %v; want malformed response: %s", res, err, tc.want)
			}
			if providers.IsRetryable(err) {
				t.Error("malformed answer is retryable")
			}
		})
	}
}

func TestUploadRefusesHugePartCount(t *testing.T) {
	s := newServer(t, 1)
	req, ss, _ := request(bytes.Repeat([]byte("x\n"), 5001)) // 10002 parts of 1 byte
	_, err := brandchunk.New(account(s)).Upload(context.Background(), req)
	if err == nil || !strings.Contains(err.Error(), "part_count is 10002, more than the 10000") {
		t.Fatalf("Upload() = %v", err)
	}
	if n := len(s.requests()); n != 1 || len(ss.got) != 0 {
		t.Errorf("%d calls, %d OnSession calls; want only the init", n, len(ss.got))
	}
}

func isInit(r *recorded) bool  { return r.Method == "POST" && r.URI == uploadsPath }
func isMerge(r *recorded) bool { return r.Method == "POST" && r.URI != uploadsPath }

func TestUploadConfigErrors(t *testing.T) {
	tests := []struct {
		name string
		edit func(a *providers.Account, r *providers.Request)
		want string
	}{
		{"no Wechatpay-Serial", func(a *providers.Account, r *providers.Request) { a.WechatPayPublicKeyID = "" }, "needs wechatpay_public_key_id"},
		{"serial without key", func(a *providers.Account, r *providers.Request) { a.WechatPayPublicKeyID = "PUB_KEY_ID_X" }, "no public key for it"},
		{"no private key", func(a *providers.Account, r *providers.Request) { a.PrivateKey = nil }, "no private key"},
		{"no brand_id", func(a *providers.Account, r *providers.Request) { a.MchID = "" }, "no brand_id"},
		{"no serial", func(a *providers.Account, r *providers.Request) { a.SerialNo = "" }, "no serial_no"},
		{"no verify keys", func(a *providers.Account, r *providers.Request) { a.WechatPayKeys = nil }, "could not be verified"},
		{"too large", func(a *providers.Account, r *providers.Request) { r.Size = 20<<20 + 1 }, "at most 20971520"},
		{"empty", func(a *providers.Account, r *providers.Request) { r.Size = 0 }, "empty"},
		{"filename chars", func(a *providers.Account, r *providers.Request) { r.Filename = "vip users.csv" }, "letters, digits"},
		{"filename long", func(a *providers.Account, r *providers.Request) { r.Filename = strings.Repeat("a", 125) + ".csv" }, "1 to 128"},
		{"bad sha256", func(a *providers.Account, r *providers.Request) { r.SHA256 = "abc" }, "not 64 hex digits"},
		{"open fails", func(a *providers.Account, r *providers.Request) {
			r.Open = func() (providers.File, error) { return nil, os.ErrPermission }
		}, "open: permission denied"},
		{"file shorter", func(a *providers.Account, r *providers.Request) { r.Size++ }, "file changed since plan: it is shorter"},
		{"file longer", func(a *providers.Account, r *providers.Request) { r.Size-- }, "file changed since plan: it is longer"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newServer(t, 10)
			acct := account(s)
			req, ss, _ := request(csv25)
			tc.edit(acct, req)
			_, err := brandchunk.New(acct).Upload(context.Background(), req)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "vip-users: ") {
				t.Errorf("Upload() error = %v, want it to contain %q", err, tc.want)
			}
			if providers.IsRetryable(err) {
				t.Errorf("IsRetryable(%v) = true", err)
			}
			if n := len(s.requests()); n != 0 || len(ss.got) != 0 {
				t.Errorf("server saw %d requests, OnSession %d calls; want none", n, len(ss.got))
			}
		})
	}
}

func TestUploadTransportErrorNamesPart(t *testing.T) {
	s := newServer(t, 10)
	s.setHook(func(w http.ResponseWriter, r *recorded) bool {
		if r.Part == 3 {
			if conn, _, err := w.(http.Hijacker).Hijack(); err == nil {
				conn.Close()
			}
			return true
		}
		return false
	})
	req, ss, _ := request(csv25)
	_, err := brandchunk.New(account(s)).Upload(context.Background(), req)
	var te *providers.TransportError
	if !errors.As(err, &te) || !providers.IsRetryable(err) || !strings.Contains(err.Error(), "part 3 of 3") {
		t.Fatalf("Upload() = %v (%T); want a retryable TransportError naming part 3", err, err)
	}
	if got := ss.acked(); len(got) != 3 || !slices.Equal(got[2], []int{1, 2}) {
		t.Errorf("OnSession acked = %v", got)
	}
}

func TestUploadCanceled(t *testing.T) {
	s := newServer(t, 10)
	ctx, cancel := context.WithCancel(context.Background())
	s.setHook(func(w http.ResponseWriter, r *recorded) bool {
		if r.Part == 2 {
			cancel()
			<-r.Ctx.Done()
			return true
		}
		return false
	})
	req, _, opened := request(csv25)
	res, err := brandchunk.New(account(s)).Upload(ctx, req)
	if res != nil || !errors.Is(err, context.Canceled) {
		t.Fatalf("Upload() = %v, %v; want context.Canceled", res, err)
	}
	var te *providers.TransportError
	if errors.As(err, &te) || providers.IsRetryable(err) {
		t.Errorf("Upload() canceled = %v (%T): want a plain, non-retryable context error", err, err)
	}
	if !(*opened)[0].closed.Load() {
		t.Error("file not closed")
	}
}

// TestUploadMemory uploads a 20 MiB file and checks that the bytes
// allocated by the whole process (client and test server, which decodes
// parts as they stream) stay a few buffers: with 1 MiB parts, a few part
// sizes, not the file size; with 8 MiB parts, far below one part, since a
// part is neither held nor base64-encoded whole to be signed.
func TestUploadMemory(t *testing.T) {
	const size = 20 << 20
	content := bytes.Repeat([]byte("oUpF8uMuAJO_M2pxb1Q9zNjWeS6o\n"), size/29+1)[:size]
	for _, tc := range []struct {
		name     string
		partSize int64
		sessions int   // OnSession calls: one per part, plus the init
		limit    int64 // bytes allocated
		why      string
	}{
		{"1MiB-parts", 1 << 20, 21, 8 << 20, "parts are not streamed through reused buffers"},
		{"8MiB-parts", 8 << 20, 4, 2 << 20, "a part is held in memory"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newServer(t, tc.partSize)
			s.keep = false
			req, ss, _ := request(content)
			c := brandchunk.New(account(s))

			runtime.GC()
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			res, err := c.Upload(context.Background(), req)
			runtime.ReadMemStats(&after)
			if err != nil {
				t.Fatalf("Upload() = %v", err)
			}
			if res.ID == "" || len(ss.got) != tc.sessions {
				t.Errorf("Result %+v, %d OnSession calls; want %d", res, len(ss.got), tc.sessions)
			}
			for i, r := range s.requests() {
				if !r.SignatureOK {
					t.Errorf("request %d: signature does not verify", i)
				}
				if r.Part != 0 && r.PartLen != min(tc.partSize, size-int64(r.Part-1)*tc.partSize) {
					t.Errorf("part %d: server decoded %d bytes", r.Part, r.PartLen)
				}
			}
			alloc := after.TotalAlloc - before.TotalAlloc
			t.Logf("allocated %d KiB to upload %d MiB in %d MiB parts", alloc>>10, size>>20, tc.partSize>>20)
			if alloc > uint64(tc.limit) {
				t.Errorf("allocated %d bytes to upload %d bytes in parts of %d: %s", alloc, size, tc.partSize, tc.why)
			}
		})
	}
}

// changingFile serves before to the first pass over the file (signing)
// and after from the second read at offset 0 on (sending).
type changingFile struct {
	before, after []byte
	starts        int
}

func (f *changingFile) ReadAt(p []byte, off int64) (int, error) {
	if off == 0 {
		f.starts++
	}
	src := f.before
	if f.starts > 1 {
		src = f.after
	}
	return bytes.NewReader(src).ReadAt(p, off)
}

func (f *changingFile) Read([]byte) (int, error) { return 0, errors.New("changingFile: use ReadAt") }
func (f *changingFile) Close() error             { return nil }

// TestUploadFileChangedBetweenPasses: a part that changes between being
// signed and being sent is not sent whole: the upload fails, permanently,
// saying the file changed.
func TestUploadFileChangedBetweenPasses(t *testing.T) {
	for _, tc := range []struct {
		name  string
		after []byte
		want  string
	}{
		{"content", bytes.ToUpper(csv25), "its content hashes to sha256 "},
		{"shorter", csv25[:20], "it is shorter than the planned 25 bytes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newServer(t, 100)
			req, _, _ := request(csv25)
			req.Open = func() (providers.File, error) { return &changingFile{before: csv25, after: tc.after}, nil }
			_, err := brandchunk.New(account(s)).Upload(context.Background(), req)
			if err == nil || !strings.Contains(err.Error(), "vip-users: part 1 of 1: file changed since plan: "+tc.want) || !errors.As(err, new(*providers.FileChangedError)) {
				t.Fatalf("Upload() = %v; want file changed: %s", err, tc.want)
			}
			if providers.IsRetryable(err) {
				t.Errorf("Upload() = %v: retryable, want permanent", err)
			}
			for _, r := range s.requests() {
				if r.Part != 0 && r.PartLen == int64(len(csv25)) && r.Meta != nil {
					t.Errorf("server received the whole changed part: %+v", r.Meta)
				}
			}
		})
	}
}

// TestTypeMatchesMediatype keeps the provider in step with package
// mediatype, which validate and plan use.
func TestTypeMatchesMediatype(t *testing.T) {
	mt := mediatype.Lookup("user_package")
	if mt == nil || mt.API != "brand" || mt.IDField != "upload_id" || mt.MaxSize != brandchunk.MaxFileSize {
		t.Errorf("mediatype user_package = %+v", mt)
	}
	if !strings.HasPrefix(mt.Endpoint, "POST "+brandchunk.PathUploads) {
		t.Errorf("mediatype endpoint %q", mt.Endpoint)
	}
}
