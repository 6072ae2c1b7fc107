package emulator

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// API values of Merchant.API.
const (
	APIV3     = "v3"
	APIGlobal = "global"
	APIBrand  = "brand"
	APIV2     = "v2"
)

// Merchant is one identity the emulator accepts requests from.
type Merchant struct {
	// API is APIV3, APIGlobal, APIBrand or APIV2.
	API string
	// MchID is the merchant ID, or the brand_id when API is APIBrand.
	MchID string
	// SerialNo is the serial of the merchant's API certificate (40 hex
	// digits). v3 and brand requests must name it in serial_no; a v2 client
	// certificate must carry it.
	SerialNo string
	// PublicKey verifies the signatures of v3 and brand requests.
	PublicKey *rsa.PublicKey
	// APIKey is the APIv2 key (v2 only) that signs and verifies v2 messages.
	APIKey string
}

// Faults configures injected failures. Each rate is a probability in [0, 1]
// evaluated independently per request, before the request is handled; when
// several fire, the first of reset, fail, throttle, truncate wins.
type Faults struct {
	// Latency delays every request (cut short when the client goes away).
	Latency time.Duration
	// FailRate answers 500 SYSTEM_ERROR without processing.
	FailRate float64
	// ThrottleRate answers 429 FREQUENCY_LIMIT_EXCEED with Retry-After: 1.
	ThrottleRate float64
	// ResetRate closes the connection without answering or processing.
	ResetRate float64
	// TruncateRate processes the request normally (an upload's ID IS
	// issued) but cuts the response body short and closes the connection.
	TruncateRate float64
	// Seed seeds the PRNG behind the rates.
	Seed int64
}

// Config configures a Server.
type Config struct {
	// Merchants are the identities whose requests are accepted.
	Merchants []Merchant
	// WechatPayKey signs responses. Nil means the sandbox WeChat Pay key
	// (and, when WechatPayKeyID is empty, its ID).
	WechatPayKey *rsa.PrivateKey
	// WechatPayKeyID ("PUB_KEY_ID_" + 32 digits) is sent as Wechatpay-Serial
	// on signed responses; requests that send a different Wechatpay-Serial
	// are refused.
	WechatPayKeyID string
	// Now is the server clock; nil means time.Now.
	Now func() time.Time
	// Faults is the initial fault configuration (see SetFaults).
	Faults Faults
	// RateLimit is the per-merchant request rate, in requests per second,
	// above which requests get 429 FREQUENCY_LIMIT_EXCEED; 0 is unlimited.
	// It is a token bucket holding max(1, RateLimit) tokens, refilled by Now.
	RateLimit float64
	// DailyQuota is the number of uploads each merchant may make per day
	// (China Standard Time), counted over all upload endpoints together and
	// only for successful uploads ([ASSUMED]); 0 is unlimited. Brand
	// session calls do not count.
	DailyQuota int
	// PartSize is the part size the brand user-package init call hands out;
	// 0 means DefaultPartSize.
	PartSize int64
	// Log, if set, receives one JSON line per issued ID (the JSON form of
	// Issued).
	Log io.Writer
	// Platform, when set, is the platform certificate of certificate mode
	// (docs/PROTOCOL.md §11): GET /v3/certificates serves it, and answers to
	// requests whose Wechatpay-Serial names its serial are signed with its
	// key and carry that serial.
	Platform *Platform
	// PlatformByDefault signs answers to requests that name no
	// Wechatpay-Serial with the platform certificate, as WeChat Pay does
	// for merchants that have not switched to the public key.
	PlatformByDefault bool
	// APIv3Key (32 bytes) encrypts the certificates GET /v3/certificates
	// serves; the endpoint answers 404 when it or Platform is unset.
	APIv3Key string
	// UserPackages are the audience packages that exist, keyed by
	// user_package_id, each with the brand_id that owns it: expand calls
	// name one of them.
	UserPackages map[string]string
}

// Issued records one ID the emulator handed out.
type Issued struct {
	// Endpoint is the request path (a template for the brand merge call).
	Endpoint string `json:"endpoint"`
	// MchID is the merchant ID or brand_id that uploaded.
	MchID string `json:"mchid"`
	// SHA256 is the lowercase hex SHA-256 of the uploaded content.
	SHA256 string `json:"sha256"`
	// Filename is the name the client sent.
	Filename string `json:"filename"`
	// ID is the value returned: media_id, file_id, media_url, image_url,
	// upload_id (init) or resource_id (merge).
	ID   string    `json:"id"`
	Time time.Time `json:"time"`
}

// Server is the emulator. It implements http.Handler and is safe for
// concurrent use.
type Server struct {
	cfg       Config
	now       func() time.Time
	merchants map[string]*Merchant // key: API + "/" + MchID
	requests  atomic.Int64

	mu       sync.Mutex
	faults   Faults
	rng      *mrand.Rand
	issued   []Issued
	ids      map[string]bool
	buckets  map[string]*bucket
	daily    map[string]int // key: day + "/" + API + "/" + MchID
	sessions map[string]*session
	// expansions records the expand calls that succeeded.
	expansions []Expansion
}

type bucket struct {
	tokens float64
	last   time.Time
}

// New returns a Server for cfg. The Merchants slice is copied.
func New(cfg Config) *Server {
	if cfg.WechatPayKey == nil {
		cfg.WechatPayKey = mustSandbox().wechatPayKey
		if cfg.WechatPayKeyID == "" {
			cfg.WechatPayKeyID = SandboxWechatPayKeyID
		}
	}
	if cfg.PartSize <= 0 {
		cfg.PartSize = DefaultPartSize
	}
	s := &Server{
		cfg:       cfg,
		now:       cfg.Now,
		merchants: make(map[string]*Merchant),
		ids:       make(map[string]bool),
		buckets:   make(map[string]*bucket),
		daily:     make(map[string]int),
		sessions:  make(map[string]*session),
	}
	if s.now == nil {
		s.now = time.Now
	}
	for _, m := range cfg.Merchants {
		m := m
		s.merchants[m.API+"/"+m.MchID] = &m
	}
	s.cfg.Merchants = nil
	s.SetFaults(cfg.Faults)
	return s
}

// SetFaults replaces the fault configuration and reseeds the PRNG.
func (s *Server) SetFaults(f Faults) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = f
	s.rng = mrand.New(mrand.NewPCG(uint64(f.Seed), 0x9e3779b97f4a7c15))
}

// Issued returns every ID issued so far, oldest first.
func (s *Server) Issued() []Issued {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Issued(nil), s.issued...)
}

// Requests returns how many requests reached the server, whatever their
// outcome.
func (s *Server) Requests() int { return int(s.requests.Load()) }

// Handler returns s as an http.Handler.
func (s *Server) Handler() http.Handler { return s }

// merchant returns the merchant with one of the given APIs and this ID.
func (s *Server) merchant(id string, apis ...string) *Merchant {
	for _, api := range apis {
		if m := s.merchants[api+"/"+id]; m != nil {
			return m
		}
	}
	return nil
}

// apiError is a v3/brand error answer.
type apiError struct {
	status     int
	code       string
	msg        string
	retryAfter int // seconds; 0 = no header
}

func errorf(status int, code, format string, args ...any) *apiError {
	return &apiError{status: status, code: code, msg: fmt.Sprintf(format, args...)}
}

func (e *apiError) Error() string { return fmt.Sprintf("%d %s: %s", e.status, e.code, e.msg) }

// Error codes (docs/PROTOCOL.md §1.4).
const (
	codeParam     = "PARAM_ERROR"
	codeInvalid   = "INVALID_REQUEST"
	codeSign      = "SIGN_ERROR"
	codeNoAuth    = "NO_AUTH"
	codeNotFound  = "NOT_FOUND"
	codeFrequency = "FREQUENCY_LIMIT_EXCEED"
	codeRateLimit = "RATELIMIT_EXCEEDED" // the brand user-package calls' 429 code (docs/PROTOCOL.md §7.3)
	codeSystem    = "SYSTEM_ERROR"
)

// fault is the per-request outcome of the fault dice.
type fault struct {
	reset, fail, throttle, truncate bool
}

func (s *Server) rollFaults() (fault, time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := s.faults
	// Always draw four numbers so that the sequence depends only on the
	// request order, not on which rates are set.
	r1, r2, r3, r4 := s.rng.Float64(), s.rng.Float64(), s.rng.Float64(), s.rng.Float64()
	return fault{
		reset:    r1 < f.ResetRate,
		fail:     r2 < f.FailRate,
		throttle: r3 < f.ThrottleRate,
		truncate: r4 < f.TruncateRate,
	}, f.Latency
}

// request is the state of one request being handled.
type request struct {
	s        *Server
	w        http.ResponseWriter
	r        *http.Request
	fault    fault
	truncate bool
	// rateCode, when set, replaces FREQUENCY_LIMIT_EXCEED in 429 answers.
	rateCode string
	// platform signs the answer with the platform certificate whatever
	// the request's Wechatpay-Serial (the certificate download).
	platform bool
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.requests.Add(1)
	w.Header().Set("Request-ID", newRequestID())
	f, latency := s.rollFaults()
	if latency > 0 {
		t := time.NewTimer(latency)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return
		}
	}
	if f.reset {
		resetConn(w)
		return
	}
	q := &request{s: s, w: w, r: r, fault: f, truncate: f.truncate}
	path := r.URL.Path
	if spec := uploadSpecs[path]; spec != nil {
		if e := q.commonFaults(); e != nil {
			q.writeError(e)
			return
		}
		s.serveUpload(q, spec)
		return
	}
	if path == PathCertificates {
		if e := q.commonFaults(); e != nil {
			q.writeError(e)
			return
		}
		s.serveCertificates(q)
		return
	}
	if path == PathV2Upload {
		s.serveV2(q)
		return
	}
	if pkg, ok := expandTarget(path); ok {
		q.rateCode = codeRateLimit
		if e := q.commonFaults(); e != nil {
			q.writeError(e)
			return
		}
		s.serveExpand(q, pkg)
		return
	}
	if isSessionPath(path) {
		q.rateCode = codeRateLimit
		if e := q.commonFaults(); e != nil {
			q.writeError(e)
			return
		}
		s.serveSession(q)
		return
	}
	q.writeError(errorf(http.StatusNotFound, codeNotFound, "no such endpoint: %s %s", r.Method, path))
}

// commonFaults turns the fail and throttle dice into an error answer.
func (q *request) commonFaults() *apiError {
	switch {
	case q.fault.fail:
		return errorf(http.StatusInternalServerError, codeSystem, "system error (injected fault)")
	case q.fault.throttle:
		e := errorf(http.StatusTooManyRequests, codeFrequency, "frequency limit exceeded (injected fault)")
		e.retryAfter = 1
		return e
	}
	return nil
}

// resetConn closes the client connection without answering: a TCP reset
// where the connection can be hijacked, an aborted response otherwise.
func resetConn(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			raw := conn
			if tc, ok := raw.(*tls.Conn); ok {
				raw = tc.NetConn()
			}
			if tc, ok := raw.(*net.TCPConn); ok {
				_ = tc.SetLinger(0)
			}
			_ = raw.Close()
			return
		}
	}
	panic(http.ErrAbortHandler)
}

// writeError writes a v3 error body.
func (q *request) writeError(e *apiError) {
	if e.code == codeFrequency && q.rateCode != "" {
		e.code = q.rateCode
	}
	h := q.w.Header()
	if e.retryAfter > 0 {
		h.Set("Retry-After", strconv.Itoa(e.retryAfter))
	}
	body, _ := json.Marshal(struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	}{e.code, e.msg})
	q.write(e.status, "application/json", body)
}

// writeSigned writes a 2xx JSON body signed with the WeChat Pay key.
func (q *request) writeSigned(status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		q.writeError(errorf(http.StatusInternalServerError, codeSystem, "encode response: %v", err))
		return
	}
	ts := strconv.FormatInt(q.s.now().Unix(), 10)
	nonce := newNonce()
	key, serial := q.s.cfg.WechatPayKey, q.s.cfg.WechatPayKeyID
	named := q.r.Header.Get("Wechatpay-Serial")
	if p := q.s.cfg.Platform; p != nil && (q.platform || named == p.Serial || (named == "" && q.s.cfg.PlatformByDefault)) {
		key, serial = p.Key, p.Serial
	}
	sig, err := signResponse(key, ts, nonce, body)
	if err != nil {
		q.writeError(errorf(http.StatusInternalServerError, codeSystem, "sign response: %v", err))
		return
	}
	h := q.w.Header()
	h.Set("Wechatpay-Timestamp", ts)
	h.Set("Wechatpay-Nonce", nonce)
	h.Set("Wechatpay-Signature", sig)
	h.Set("Wechatpay-Serial", serial)
	q.write(status, "application/json", body)
}

// write sends a body, honouring the truncate fault: half the body is sent
// under the full Content-Length and the connection is dropped.
func (q *request) write(status int, contentType string, body []byte) {
	h := q.w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Content-Length", strconv.Itoa(len(body)))
	q.w.WriteHeader(status)
	if q.truncate {
		_, _ = q.w.Write(body[:len(body)/2])
		if fl, ok := q.w.(http.Flusher); ok {
			fl.Flush()
		}
		panic(http.ErrAbortHandler)
	}
	_, _ = q.w.Write(body)
}

// allow consumes one token of the merchant's rate-limit bucket.
func (s *Server) allow(m *Merchant) *apiError {
	if s.cfg.RateLimit <= 0 {
		return nil
	}
	now := s.now()
	burst := s.cfg.RateLimit
	if burst < 1 {
		burst = 1
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	key := m.API + "/" + m.MchID
	b := s.buckets[key]
	if b == nil {
		b = &bucket{tokens: burst, last: now}
		s.buckets[key] = b
	}
	if el := now.Sub(b.last).Seconds(); el > 0 {
		b.tokens += el * s.cfg.RateLimit
		if b.tokens > burst {
			b.tokens = burst
		}
	}
	b.last = now
	if b.tokens < 1 {
		e := errorf(http.StatusTooManyRequests, codeFrequency, "frequency limit exceeded: at most %g requests per second per merchant", s.cfg.RateLimit)
		e.retryAfter = 1
		return e
	}
	b.tokens--
	return nil
}

// quotaZone is the time zone whose calendar day the daily quota counts.
// [ASSUMED] WeChat Pay's "per day" is China Standard Time.
var quotaZone = time.FixedZone("CST", 8*3600)

// issue checks the daily quota, then records and logs a new ID. The quota
// counts successful uploads only.
func (s *Server) issue(m *Merchant, endpoint, sha, filename string, newID func() string, countQuota bool) (string, *apiError) {
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	dayKey := now.In(quotaZone).Format("2006-01-02") + "/" + m.API + "/" + m.MchID
	if countQuota && s.cfg.DailyQuota > 0 {
		if s.daily[dayKey] >= s.cfg.DailyQuota {
			return "", errorf(http.StatusTooManyRequests, codeFrequency,
				"daily upload quota of %d reached for this merchant; try again tomorrow", s.cfg.DailyQuota)
		}
	}
	id := newID()
	for s.ids[id] {
		id = newID()
	}
	s.ids[id] = true
	if countQuota {
		s.daily[dayKey]++
	}
	rec := Issued{Endpoint: endpoint, MchID: m.MchID, SHA256: sha, Filename: filename, ID: id, Time: now}
	s.issued = append(s.issued, rec)
	if s.cfg.Log != nil {
		line, _ := json.Marshal(rec)
		_, _ = s.cfg.Log.Write(append(line, '\n'))
	}
	return id, nil
}

// randomBytes returns n bytes from crypto/rand.
func randomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b
}

// newRequestID returns a Request-ID: 40 upper-case hex digits.
// [ASSUMED] the format; real IDs are opaque.
func newRequestID() string {
	return fmt.Sprintf("%X", randomBytes(20))
}

const alnum = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// newNonce returns 32 random characters of [0-9A-Za-z], like the SDKs.
func newNonce() string {
	b := randomBytes(32)
	for i := range b {
		b[i] = alnum[int(b[i])%len(alnum)]
	}
	return string(b)
}

// hexLower returns the lowercase hex of b.
func hexLower(b []byte) string { return hex.EncodeToString(b) }
