package providertest

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wxmedia/wxmedia/providers"
	"github.com/wxmedia/wxmedia/providers/emulator"
)

// bogusUploadID is a well-formed upload_id the emulator never issued.
const bogusUploadID = "1700000000000" + "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde"

// sessionLog records what a chunked upload reported through OnSession.
type sessionLog struct {
	mu sync.Mutex
	ss []providers.Session
}

func (l *sessionLog) add(s providers.Session) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.ss = append(l.ss, s)
	return nil
}

func (l *sessionLog) last() *providers.Session {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.ss) == 0 {
		return nil
	}
	s := l.ss[len(l.ss)-1]
	return &s
}

var errStop = errors.New("providertest: stop after the session was created")

// runChunked is the suite of the brand user-package session (E5a, E5,
// E5b).
func runChunked(t *testing.T, c *Case) {
	runScenarios(t, c,
		chunkedHappy,
		chunkedAuthErrors,
		chunkedInitNotFound,
		chunkedLostSessions,
		chunkedSessionLostTwice,
		chunkedBusinessRules,
		chunkedMergeBeforeAllParts,
		// A session digest that does not match the parts is never merged:
		// the client checks each part it sends against the digest it
		// signed, and the whole file against the planned sha256 before the
		// last part.
		runFileChanged,
		chunkedClientValidates,
		chunkedInitFaults,
		chunkedRateLimitThenResume,
		chunkedStepFaults,
		chunkedTampered,
		sampleTransport,
		sampleCancel,
	)
}

// partsOf is how many parts of c.PartSize a file of size bytes takes.
func partsOf(c *Case, size int64) int { return int((size + c.PartSize - 1) / c.PartSize) }

// mergePath is the merge call's path template, as the emulator records it.
func mergePath(c *Case) string { return c.Path + "/{upload_id}" }

// uploadHappyWith uploads req with u and checks the result against the
// emulator: the ID, the merge's resource_id and the last session reported.
func uploadHappyWith(t *testing.T, c *Case, e *env, u providers.Uploader, req *providers.Request, content []byte) *providers.Result {
	t.Helper()
	log := &sessionLog{}
	req.OnSession = log.add
	res, err := u.Upload(context.Background(), req)
	if err != nil {
		t.Fatalf("Upload(%s) = %v, want success", req.Filename, err)
	}
	if !c.ID.MatchString(res.ID) {
		t.Errorf("Upload ID = %q, does not match %s", res.ID, c.ID)
	}
	checkIssued(t, e, c.Path, res.ID, content, req.Filename)
	if rid := res.Attributes["resource_id"]; rid == "" {
		t.Errorf("Result.Attributes = %v, want the merge's resource_id", res.Attributes)
	} else {
		checkIssued(t, e, mergePath(c), rid, content, req.Filename)
	}
	n := partsOf(c, int64(len(content)))
	want := make([]int, n)
	for i := range want {
		want[i] = i + 1
	}
	s := log.last()
	if s == nil {
		s = req.Session // resumed with every part acknowledged: nothing to report
	}
	if s == nil || s.UploadID != res.ID || s.PartCount != n || s.PartSize != c.PartSize || !slices.Equal(s.Acked, want) {
		t.Errorf("last session reported %+v, want upload_id %s, %d parts of %d bytes, all acknowledged", s, res.ID, n, c.PartSize)
	}
	return res
}

// uploadHappy is uploadHappyWith the provider's own uploader.
func uploadHappy(t *testing.T, c *Case, e *env, req *providers.Request, content []byte) *providers.Result {
	t.Helper()
	return uploadHappyWith(t, c, e, c.New(e.acct), req, content)
}

// startSession starts a session for req on e and stops right after it is
// created, returning it.
func startSession(t *testing.T, e *env, req *providers.Request) providers.Session {
	t.Helper()
	var got *providers.Session
	r := *req
	r.OnSession = func(s providers.Session) error { got = &s; return errStop }
	if _, err := e.upload(context.Background(), &r); !errors.Is(err, errStop) || got == nil {
		t.Fatalf("starting a session: %v", err)
	}
	return *got
}

// countInits is how many sessions the emulator started.
func countInits(c *Case, e *env) int {
	n := 0
	for _, is := range e.srv.Issued() {
		if is.Endpoint == c.Path {
			n++
		}
	}
	return n
}

// chunkedHappy uploads every sample, one single-part and one exact-parts
// file, and resumes a started session.
func chunkedHappy(t *testing.T, c *Case) {
	base := c.Samples[0]
	t.Run("happy", func(t *testing.T) {
		t.Parallel()
		for _, s := range c.Samples {
			t.Run(s.Filename, func(t *testing.T) {
				t.Parallel()
				uploadHappy(t, c, start(t, c, options{}), request(assetName(c, "happy"), s.Filename, s.Content), s.Content)
			})
		}
		for name, size := range map[string]int64{"single_part": c.PartSize - 1, "exact_parts": 2 * c.PartSize} {
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				content := pad(base.Content, size)
				uploadHappy(t, c, start(t, c, options{}), request(assetName(c, name), base.Filename, content), content)
			})
		}
		t.Run("resume", func(t *testing.T) {
			t.Parallel()
			e := start(t, c, options{})
			req := request(assetName(c, "resume"), base.Filename, base.Content)
			s := startSession(t, e, req)
			req.Session = &s
			res := uploadHappy(t, c, e, req, base.Content)
			if res.ID != s.UploadID || countInits(c, e) != 1 {
				t.Errorf("resumed upload ID %s after %d inits, want the session's %s and one init", res.ID, countInits(c, e), s.UploadID)
			}
		})
	})
}

// initStep names the session call in messages.
const initStep = "starting the upload session"

// chunkedAuthErrors breaks authentication (docs/PROTOCOL.md §1.6), refused
// at the init call.
func chunkedAuthErrors(t *testing.T, c *Case) {
	signingErrors(t, c, "unknown_brand_id", "1299999999")
	refused(t, c, "INVALID_REQUEST/wechatpay_serial", options{}, func(_ *testing.T, e *env, req *providers.Request) *providers.Request {
		e.acct.WechatPayPublicKeyID = otherKeyID
		e.acct.WechatPayKeys[otherKeyID] = e.keys.wxPub
		return req
	}, wantAPI{status: http.StatusBadRequest, code: "INVALID_REQUEST", msg: "Wechatpay-Serial", hint: "wechatpay_public_key_id"})
}

// chunkedInitNotFound: a 404 from the init call is not a lost session, so
// the client does not restart.
func chunkedInitNotFound(t *testing.T, c *Case) {
	base := c.Samples[0]
	t.Run("NOT_FOUND/endpoint", func(t *testing.T) {
		t.Parallel()
		e := start(t, c, options{})
		e.acct.BaseURL = e.url + "/nowhere"
		req := request(assetName(c, "endpoint"), base.Filename, base.Content)
		res, err := e.upload(context.Background(), req)
		ae := checkAPIError(t, req, res, err, wantAPI{status: http.StatusNotFound, code: "NOT_FOUND", msg: "no such endpoint", hint: "endpoint"})
		if n := e.srv.Requests(); n != 1 || strings.Contains(ae.Message, "fresh session") {
			t.Errorf("%d requests, message %q; want one request and no restart", n, ae.Message)
		}
	})
}

// sessionMaker returns the session a test resumes.
type sessionMaker func(t *testing.T, e *env, req *providers.Request) providers.Session

// recovers runs one lost-session test: the upload resumes the session
// mkSession returns (after setupAcct, if set, changes the account), which
// the server refuses; the client starts a fresh session once and
// succeeds.
func recovers(t *testing.T, c *Case, name string, o options, mkSession sessionMaker, setupAcct func(e *env)) {
	base := c.Samples[0]
	t.Run(name, func(t *testing.T) {
		t.Parallel()
		e := start(t, c, o)
		req := request(assetName(c, "lost"), base.Filename, base.Content)
		s := mkSession(t, e, req)
		if setupAcct != nil {
			setupAcct(e)
		}
		req.Session = &s
		res := uploadHappy(t, c, e, req, base.Content)
		if res.ID == s.UploadID {
			t.Errorf("Upload returned the lost session's ID %s", res.ID)
		}
	})
}

// bogusSession is a session with an upload_id the emulator never issued;
// acked: every part is claimed acknowledged.
func bogusSession(c *Case, acked bool) sessionMaker {
	return func(_ *testing.T, _ *env, req *providers.Request) providers.Session {
		n := partsOf(c, req.Size)
		s := providers.Session{UploadID: bogusUploadID, PartSize: c.PartSize, PartCount: n}
		if acked {
			for i := 1; i <= n; i++ {
				s.Acked = append(s.Acked, i)
			}
		}
		return s
	}
}

// chunkedLostSessions: a 404 NOT_FOUND on a part or the merge (an unknown
// upload_id, or another brand's session) makes the client start a fresh
// session once and recover.
func chunkedLostSessions(t *testing.T, c *Case) {
	recovers(t, c, "NOT_FOUND/unknown_upload_id_on_part", options{}, bogusSession(c, false), nil)
	recovers(t, c, "NOT_FOUND/unknown_upload_id_on_merge", options{}, bogusSession(c, true), nil)
	// [ASSUMED] the emulator reports another brand's session as missing.
	k := keys(t)
	otherBrand := emulator.Merchant{API: emulator.APIBrand, MchID: "1200000009",
		SerialNo: k.accounts[otherAPI(c.API)].SerialNo, PublicKey: &k.priv[otherAPI(c.API)].PublicKey}
	recovers(t, c, "NOT_FOUND/other_brands_session", options{cfg: emulator.Config{Merchants: []emulator.Merchant{otherBrand}}},
		func(t *testing.T, e *env, req *providers.Request) providers.Session {
			return startSession(t, e, req) // created by the sandbox brand
		},
		func(e *env) {
			// The second brand reuses the v3 sandbox identity's key pair.
			e.acct.MchID = otherBrand.MchID
			e.acct.PrivateKey = otherPrivateKey(e, c.API)
			e.acct.SerialNo = otherSerial(e, c.API)
		})
}

// chunkedSessionLostTwice: parts go to a second emulator that knows no
// session, so the fresh session is lost too: the second 404 is surfaced.
func chunkedSessionLostTwice(t *testing.T, c *Case) {
	base := c.Samples[0]
	t.Run("NOT_FOUND/session_lost_twice", func(t *testing.T) {
		t.Parallel()
		other, err := emulator.NewSandbox(emulator.Config{PartSize: c.PartSize})
		if err != nil {
			t.Fatal(err)
		}
		e := start(t, c, options{wrap: func(h http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Method == http.MethodPut {
					other.ServeHTTP(w, r)
					return
				}
				h.ServeHTTP(w, r)
			})
		}})
		req := request(assetName(c, "lost2"), base.Filename, base.Content)
		s := bogusSession(c, false)(t, e, req)
		req.Session = &s
		res, err := e.upload(context.Background(), req)
		ae := checkAPIError(t, req, res, err, wantAPI{status: http.StatusNotFound, code: "NOT_FOUND", msg: "no upload task", hint: "upload_id"})
		if !strings.Contains(ae.Message, "fresh session was started") {
			t.Errorf("APIError.Message = %q, want it to say a fresh session was already tried", ae.Message)
		}
		if n := countInits(c, e); n != 1 {
			t.Errorf("%d sessions started, want exactly one restart", n)
		}
	})
}

// crafted runs one business-rule test: the upload resumes a real session
// changed by craft, which the server refuses as w says, without the
// client starting another session.
func crafted(t *testing.T, c *Case, name string, craft func(real providers.Session, size int64) providers.Session, w wantAPI) {
	base := c.Samples[0]
	t.Run(name, func(t *testing.T) {
		t.Parallel()
		e := start(t, c, options{})
		req := request(assetName(c, name), base.Filename, base.Content)
		s := craft(startSession(t, e, req), req.Size)
		req.Session = &s
		res, err := e.upload(context.Background(), req)
		checkAPIError(t, req, res, err, w)
		if countInits(c, e) != 1 {
			t.Errorf("the client started another session; a business-rule error is not a lost session")
		}
	})
}

// chunkedBusinessRules breaks the rules of parts (docs/PROTOCOL.md §7.3,
// §7.4) with crafted sessions: the client follows Request.Session as
// given.
func chunkedBusinessRules(t *testing.T, c *Case) {
	base := c.Samples[0]
	invalid := func(msg string) wantAPI {
		return wantAPI{status: http.StatusBadRequest, code: "INVALID_REQUEST", msg: msg, hint: "part size, number or digest"}
	}
	crafted(t, c, "INVALID_REQUEST/wrong_part_size", func(s providers.Session, size int64) providers.Session {
		s.PartSize++
		s.PartCount = int((size + s.PartSize - 1) / s.PartSize)
		return s
	}, invalid(fmt.Sprintf("part 1 of %d: part 1 must be exactly %d bytes",
		(int64(len(base.Content))+c.PartSize)/(c.PartSize+1), c.PartSize)))
	crafted(t, c, "INVALID_REQUEST/part_number_out_of_range", func(s providers.Session, size int64) providers.Session {
		s.PartSize = c.PartSize / 2
		s.PartCount = int((size + s.PartSize - 1) / s.PartSize)
		for i := 1; i < s.PartCount; i++ {
			s.Acked = append(s.Acked, i)
		}
		return s
	}, invalid(fmt.Sprintf("is outside 1..%d", partsOf(c, int64(len(base.Content))))))
}

// chunkedMergeBeforeAllParts: a resumed session whose record claims parts
// the server never got has its merge refused (400 INVALID_REQUEST, "cannot
// merge unless all parts have succeeded"), and the client starts a fresh
// session once instead of failing the same way on every apply.
func chunkedMergeBeforeAllParts(t *testing.T, c *Case) {
	recovers(t, c, "INVALID_REQUEST/merge_before_all_parts", options{}, func(t *testing.T, e *env, req *providers.Request) providers.Session {
		s := startSession(t, e, req)
		for i := 1; i <= s.PartCount; i++ {
			s.Acked = append(s.Acked, i) // claimed, never sent
		}
		return s
	}, nil)
}

// chunkedClientValidates: the init and part parameter errors
// (docs/PROTOCOL.md §7.2, §7.3) cannot be sent: the client checks the same
// rules first, with no traffic.
func chunkedClientValidates(t *testing.T, c *Case) {
	base := c.Samples[0]
	t.Run("PARAM_ERROR/client_validates", func(t *testing.T) {
		t.Parallel()
		e := start(t, c, options{})
		for _, tc := range []struct {
			name string
			req  *providers.Request
			want string
		}{
			{"filename", request(assetName(c, "fn"), "audience list.csv", base.Content), "filename"},
			{"empty", request(assetName(c, "empty"), base.Filename, nil), "empty"},
			{"digest", func() *providers.Request {
				r := request(assetName(c, "digest"), base.Filename, base.Content)
				r.SHA256 = "abc"
				return r
			}(), "sha256"},
		} {
			res, err := e.upload(context.Background(), tc.req)
			var ae *providers.APIError
			if res != nil || err == nil || errors.As(err, &ae) || providers.IsRetryable(err) {
				t.Errorf("%s: Upload = %+v, %v; want a permanent client-side error", tc.name, res, err)
				continue
			}
			if !strings.Contains(err.Error(), tc.req.Asset) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("%s: error %q does not name the asset and %q", tc.name, err, tc.want)
			}
		}
		if n := e.srv.Requests(); n != 0 {
			t.Errorf("%d requests reached the emulator, want none", n)
		}
	})
}

// chunkedInitFaults: a rate limit and a server error on the init call are
// retryable and name the step.
func chunkedInitFaults(t *testing.T, c *Case) {
	refused(t, c, c.RateCode+"/on_init", options{cfg: emulator.Config{Faults: emulator.Faults{ThrottleRate: 1}}}, nil,
		wantAPI{status: http.StatusTooManyRequests, code: c.RateCode, retryable: true, retryAfter: time.Second,
			msg: initStep + ": frequency limit exceeded", hint: "rate_limit"})
	refused(t, c, "SYSTEM_ERROR/on_init", options{cfg: emulator.Config{Faults: emulator.Faults{FailRate: 1}}}, nil,
		wantAPI{status: http.StatusInternalServerError, code: "SYSTEM_ERROR", retryable: true, msg: initStep + ": system error", hint: "retry"})
}

// chunkedRateLimitThenResume: over the per-second limit a part is refused;
// retried with the same parameters after Retry-After, the upload resumes
// the session instead of starting another.
func chunkedRateLimitThenResume(t *testing.T, c *Case) {
	base := c.Samples[0]
	t.Run(c.RateCode+"/rate_limit_then_resume", func(t *testing.T) {
		t.Parallel()
		clk := newClock()
		e := start(t, c, options{cfg: emulator.Config{RateLimit: 1, Now: clk.Now}})
		log := &sessionLog{}
		req := request(assetName(c, "limited"), base.Filename, base.Content)
		req.OnSession = log.add
		res, err := e.upload(context.Background(), req)
		checkAPIError(t, req, res, err, wantAPI{status: http.StatusTooManyRequests, code: c.RateCode, retryable: true,
			retryAfter: time.Second, msg: "part 1 of", hint: "resumes"})
		s := log.last()
		if s == nil {
			t.Fatal("no session was reported before the 429")
		}
		sl := &retrySleeper{clk: clk}
		u := providers.WithRetry(c.New(e.acct), providers.RetryPolicy{Attempts: 2 * (s.PartCount + 2), Base: time.Millisecond, Max: time.Millisecond, Sleep: sl.sleep})
		req = request(req.Asset, base.Filename, base.Content)
		req.Session = s
		res = uploadHappyWith(t, c, e, u, req, base.Content)
		if res.ID != s.UploadID || countInits(c, e) != 1 {
			t.Errorf("upload ID %s after %d inits, want the resumed session %s and one init", res.ID, countInits(c, e), s.UploadID)
		}
		ds := sl.delays()
		if len(ds) == 0 {
			t.Errorf("no retry was needed; the rate limit did not bite")
		}
		for _, d := range ds {
			if d < time.Second {
				t.Errorf("retry delays %v, want each at least the 1s Retry-After", ds)
				break
			}
		}
	})
}

// stepFault is an error of a call after the init: emulator faults or an
// account change, and the error it must become.
type stepFault struct {
	name   string
	faults emulator.Faults
	acct   func(e *env)
	want   wantAPI
}

// stepFaults are the errors chunkedStepFaults injects.
func stepFaults(c *Case) []stepFault {
	return []stepFault{
		{name: "SYSTEM_ERROR", faults: emulator.Faults{FailRate: 1},
			want: wantAPI{status: http.StatusInternalServerError, code: "SYSTEM_ERROR", retryable: true, msg: "system error", hint: "resumes"}},
		{name: c.RateCode, faults: emulator.Faults{ThrottleRate: 1},
			want: wantAPI{status: http.StatusTooManyRequests, code: c.RateCode, retryable: true, retryAfter: time.Second, msg: "frequency limit exceeded", hint: "resumes"}},
		{name: "SIGN_ERROR", acct: func(e *env) { e.acct.Now = func() time.Time { return time.Now().Add(-10 * time.Minute) } },
			want: wantAPI{status: http.StatusUnauthorized, code: "SIGN_ERROR", msg: "timestamp expired", hint: "serial_no"}},
		{name: "INVALID_REQUEST", acct: func(e *env) {
			e.acct.WechatPayPublicKeyID = otherKeyID
			e.acct.WechatPayKeys[otherKeyID] = e.keys.wxPub
		}, want: wantAPI{status: http.StatusBadRequest, code: "INVALID_REQUEST", msg: "Wechatpay-Serial", hint: "wechatpay_public_key_id"}},
	}
}

// chunkedStepFaults: errors of the later calls. A session is started (and,
// for the merge, every part sent), then the fault is switched on and the
// upload resumed. Retryable failures then resume to success with the same
// session: merging is idempotent.
func chunkedStepFaults(t *testing.T, c *Case) {
	for _, step := range []string{"part", "merge"} {
		for _, sf := range stepFaults(c) {
			if step == "merge" && sf.name == "INVALID_REQUEST" {
				continue // the same check as on a part; merge's own INVALID_REQUESTs are in chunkedBusinessRules
			}
			t.Run(sf.name+"/on_"+step, func(t *testing.T) { testStepFault(t, c, step, sf) })
		}
	}
}

// testStepFault is one test of chunkedStepFaults: sf on the step ("part"
// or "merge").
func testStepFault(t *testing.T, c *Case, step string, sf stepFault) {
	t.Parallel()
	base := c.Samples[0]
	ctx := context.Background()
	e := start(t, c, options{})
	req := request(assetName(c, "step"), base.Filename, base.Content)
	var saved *providers.Session
	r := *req
	r.OnSession = func(s providers.Session) error {
		saved = &s
		if step == "part" || len(s.Acked) == s.PartCount {
			return errStop
		}
		return nil
	}
	if _, err := e.upload(ctx, &r); !errors.Is(err, errStop) || saved == nil {
		t.Fatalf("preparing the session: %v", err)
	}
	good := *e.acct
	good.WechatPayKeys = maps.Clone(e.acct.WechatPayKeys)
	e.srv.SetFaults(sf.faults)
	if sf.acct != nil {
		sf.acct(e)
	}
	req.Session = saved
	res, err := e.upload(ctx, req)
	ae := checkAPIError(t, req, res, err, sf.want)
	prefix := "part 1 of"
	if step == "merge" {
		prefix = "merging the parts"
	}
	if !strings.HasPrefix(ae.Message, prefix) {
		t.Errorf("APIError.Message = %q, want it to name the step (%q)", ae.Message, prefix)
	}
	if !sf.want.retryable {
		return
	}
	// Retried with the same session once the fault is gone.
	e.srv.SetFaults(emulator.Faults{})
	e.acct = &good
	req = request(req.Asset, base.Filename, base.Content)
	req.Session = saved
	if res := uploadHappy(t, c, e, req, base.Content); res.ID != saved.UploadID || countInits(c, e) != 1 {
		t.Errorf("after the retry: ID %s, %d sessions; want the resumed %s, one session", res.ID, countInits(c, e), saved.UploadID)
	}
}

// chunkedTampered alters answers (docs/PROTOCOL.md §1.2, §1.6): every
// answer of the session is signed and verified.
func chunkedTampered(t *testing.T, c *Case) {
	for _, tp := range jsonTampers {
		tamperedAnswer(t, c, "tamper/"+tp.name, nil, tp, nil)
	}
	isPart := func(r *http.Request) bool { return r.Method == http.MethodPut }
	isMerge := func(r *http.Request) bool { return r.Method == http.MethodPost && r.URL.Path != c.Path }
	tamperedAnswer(t, c, "tamper/part_answer", isPart, jsonTampers[0], nil)
	tamperedAnswer(t, c, "tamper/merge_answer", isMerge, jsonTampers[0], nil)
}
