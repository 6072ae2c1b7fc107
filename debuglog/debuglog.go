// Package debuglog writes wxmedia's debug trace (WXMEDIA_LOG=debug, or
// -log-file FILE), what Terraform users know as TF_LOG: one line per HTTP
// exchange with method, path, status, Request-ID, latency, request and
// response body sizes and SHA-256s, and whether a retry may help; one line
// per retry decision; one line per rate change.
//
// Nothing secret is written: bodies appear only as size and SHA-256 (so the
// v2 sign and any key in a body never do), and of the headers only the
// Authorization scheme with its mchid/brand_id, serial_no, nonce and
// timestamp is shown, the signature replaced by "<redacted>".
package debuglog

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Logger writes trace lines to one writer. It is safe for concurrent use.
type Logger struct {
	mu  sync.Mutex
	w   io.Writer
	now func() time.Time
}

// New returns a Logger writing to w.
func New(w io.Writer) *Logger { return &Logger{w: w, now: time.Now} }

var def atomic.Pointer[Logger]

// SetDefault installs l as the process's trace (nil: none) and returns the
// previous one.
func SetDefault(l *Logger) *Logger { return def.Swap(l) }

// Default returns the installed trace, or nil.
func Default() *Logger { return def.Load() }

// line writes one line: the time, the event, then key=value pairs (values
// quoted when they hold spaces or quotes).
func (l *Logger) line(event string, kv ...any) {
	if l == nil {
		return
	}
	var b strings.Builder
	b.WriteString(l.now().UTC().Format("2006-01-02T15:04:05.000Z07:00"))
	b.WriteString(" wxmedia ")
	b.WriteString(event)
	for i := 0; i+1 < len(kv); i += 2 {
		v := fmt.Sprint(kv[i+1])
		if v == "" {
			continue
		}
		if strings.ContainsAny(v, " \"=\t\n") {
			v = strconv.Quote(v)
		}
		fmt.Fprintf(&b, " %s=%s", kv[i], v)
	}
	b.WriteByte('\n')
	l.mu.Lock()
	defer l.mu.Unlock()
	_, _ = io.WriteString(l.w, b.String())
}

// Retry records a retry decision: the asset's attempt failed with reason
// and is tried again after delay.
func (l *Logger) Retry(asset string, attempt int, delay time.Duration, reason error) {
	l.line("retry", "asset", asset, "attempt", attempt, "decision", "retry", "delay", delay.Round(time.Millisecond), "reason", reason)
}

// RateChanged records that the request rate of an account changed, and why.
func (l *Logger) RateChanged(account string, from, to float64, reason string) {
	l.line("rate", "account", account, "from", strconv.FormatFloat(from, 'g', 4, 64)+"/s", "to", strconv.FormatFloat(to, 'g', 4, 64)+"/s", "reason", reason)
}

// Note records an event with key=value pairs, such as a plan's shortcut
// taken or not.
func (l *Logger) Note(event string, kv ...any) { l.line(event, kv...) }

// Rate records a rate change on the installed trace, if any: the hook for
// adaptive rate limiting.
func Rate(account string, from, to float64, reason string) {
	Default().RateChanged(account, from, to, reason)
}

// Transport returns base (nil: http.DefaultTransport) wrapped so that every
// exchange is traced on l. With a nil l it returns base unchanged.
func (l *Logger) Transport(base http.RoundTripper) http.RoundTripper {
	if l == nil {
		return base
	}
	if base == nil {
		base = http.DefaultTransport
	}
	return &transport{l: l, base: base}
}

type transport struct {
	l    *Logger
	base http.RoundTripper
}

// RoundTrip implements http.RoundTripper. The line is written when the
// response body is closed (so that its size and hash are known), or at
// once when there is no response.
func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	start := t.l.now()
	ex := &exchange{l: t.l, method: req.Method, path: req.URL.Path, auth: redactAuth(req.Header.Get("Authorization")),
		serial: req.Header.Get("Wechatpay-Serial"), req: &counter{h: sha256.New()}}
	if req.Body != nil && req.Body != http.NoBody {
		r2 := req.Clone(req.Context())
		r2.Body = &countingBody{ReadCloser: req.Body, c: ex.req}
		if req.GetBody != nil {
			r2.GetBody = func() (io.ReadCloser, error) {
				b, err := req.GetBody()
				if err != nil {
					return nil, err
				}
				return &countingBody{ReadCloser: b, c: ex.req}, nil
			}
		}
		req = r2
	}
	resp, err := t.base.RoundTrip(req)
	ex.latency = t.l.now().Sub(start)
	if err != nil {
		ex.err = err
		ex.write()
		return nil, err
	}
	ex.status, ex.requestID, ex.respSerial = resp.StatusCode, resp.Header.Get("Request-ID"), resp.Header.Get("Wechatpay-Serial")
	ex.resp = &counter{h: sha256.New()}
	resp.Body = &countingBody{ReadCloser: resp.Body, c: ex.resp, onClose: ex.write}
	return resp, nil
}

// exchange is one request and its answer, as traced.
type exchange struct {
	l                          *Logger
	once                       sync.Once
	method, path, auth, serial string
	status                     int
	requestID, respSerial      string
	latency                    time.Duration
	req, resp                  *counter
	err                        error
}

func (ex *exchange) write() {
	ex.once.Do(func() {
		retry, reason := decision(ex.status, ex.err)
		kv := []any{"method", ex.method, "path", ex.path}
		if ex.err != nil {
			kv = append(kv, "error", ex.err)
		} else {
			kv = append(kv, "status", ex.status, "request_id", ex.requestID)
		}
		kv = append(kv, "latency", ex.latency.Round(time.Microsecond), "auth", ex.auth, "wechatpay_serial", ex.serial,
			"req_body", ex.req.String())
		if ex.resp != nil {
			kv = append(kv, "resp_body", ex.resp.String(), "resp_wechatpay_serial", ex.respSerial)
		}
		kv = append(kv, "retry", retry, "retry_reason", reason)
		ex.l.line("http", kv...)
	})
}

// decision says whether a retry may help after this exchange, and why;
// the providers decide for good, and a retry taken is traced as such.
func decision(status int, err error) (string, string) {
	switch {
	case err != nil:
		return "may", "no answer (network error, or cancelled)"
	case status == http.StatusTooManyRequests:
		return "may", "rate limited (429)"
	case status >= 500:
		return "may", "server error"
	case status >= 400:
		return "no", "client error: fix the request"
	}
	return "no", ""
}

// counter hashes and counts a body as it is read.
type counter struct {
	mu sync.Mutex
	n  int64
	h  hash.Hash
}

func (c *counter) String() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n == 0 {
		return "0"
	}
	return fmt.Sprintf("%dB:sha256:%s", c.n, hex.EncodeToString(c.h.Sum(nil)))
}

type countingBody struct {
	io.ReadCloser
	c       *counter
	onClose func()
}

func (b *countingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if n > 0 {
		b.c.mu.Lock()
		b.c.n += int64(n)
		b.c.h.Write(p[:n])
		b.c.mu.Unlock()
	}
	return n, err
}

func (b *countingBody) Close() error {
	err := b.ReadCloser.Close()
	if b.onClose != nil {
		b.onClose()
	}
	return err
}

// authParam is one key="value" pair of an Authorization header.
var authParam = regexp.MustCompile(`([A-Za-z_]+)="([^"]*)"`)

// redactAuth keeps an Authorization header's scheme and its identifying
// parameters, and replaces the signature (and anything unknown) with
// "<redacted>".
func redactAuth(h string) string {
	if h == "" {
		return ""
	}
	scheme, params, _ := strings.Cut(h, " ")
	out := []string{scheme}
	for _, m := range authParam.FindAllStringSubmatch(params, -1) {
		switch m[1] {
		case "mchid", "brand_id", "serial_no", "nonce_str", "timestamp":
			out = append(out, m[1]+"="+m[2])
		default:
			out = append(out, m[1]+"=<redacted>")
		}
	}
	return strings.Join(out, " ")
}
