package providertest

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wxmedia/wxmedia/providers"
	"github.com/wxmedia/wxmedia/providers/emulator"
	"github.com/wxmedia/wxmedia/signing"
)

// A scenario is one conformance scenario: it adds its (parallel) subtests
// for c. Each runner (runMultipart, runLegacy, runChunked) is a list of
// scenarios, one function each.
type scenario func(t *testing.T, c *Case)

// runScenarios runs each scenario for c, in order.
func runScenarios(t *testing.T, c *Case, scenarios ...scenario) {
	for _, s := range scenarios {
		s(t, c)
	}
}

// setupFunc may change a test's env and returns the request to send (it
// is given one for c.Samples[0]).
type setupFunc func(t *testing.T, e *env, req *providers.Request) *providers.Request

// withRequest is a setup that sends req instead.
func withRequest(req *providers.Request) setupFunc {
	return func(*testing.T, *env, *providers.Request) *providers.Request { return req }
}

// refused runs one error test on a fresh emulator: setup (nil: none) may
// change the env and the request for c.Samples[0]; the upload must fail
// as w describes.
func refused(t *testing.T, c *Case, name string, o options, setup setupFunc, w wantAPI) {
	base := c.Samples[0]
	t.Run(name, func(t *testing.T) {
		t.Parallel()
		e := start(t, c, o)
		req := request(assetName(c, name), base.Filename, base.Content)
		if setup != nil {
			req = setup(t, e, req)
		}
		res, err := e.upload(context.Background(), req)
		checkAPIError(t, req, res, err, w)
		if n := len(e.srv.Issued()); w.noIssued && n != 0 {
			t.Errorf("emulator issued %d IDs for a refused upload", n)
		}
	})
}

// sampleTransport is testTransport with requests for c.Samples[0].
func sampleTransport(t *testing.T, c *Case) {
	base := c.Samples[0]
	testTransport(t, c, func(name string) *providers.Request {
		return request(assetName(c, name), base.Filename, base.Content)
	})
}

// sampleCancel is testCancel with a request for c.Samples[0].
func sampleCancel(t *testing.T, c *Case) {
	base := c.Samples[0]
	t.Run("cancel", func(t *testing.T) {
		t.Parallel()
		testCancel(t, c, request(assetName(c, "cancel"), base.Filename, base.Content))
	})
}

// tamperedAnswer runs one tamper test: tp alters the 2xx answers to the
// requests only selects (nil: all), the upload of c.Samples[0] must fail
// verification, and after, if set, checks the emulator.
func tamperedAnswer(t *testing.T, c *Case, name string, only func(*http.Request) bool, tp tamper, after func(*testing.T, *env)) {
	base := c.Samples[0]
	t.Run(name, func(t *testing.T) {
		t.Parallel()
		e := start(t, c, options{})
		e.proxy(t, func(r *http.Request, resp *http.Response) error {
			if !is2xx(resp) || (only != nil && !only(r)) {
				return nil
			}
			return tp.modify(resp)
		})
		if tp.prepare != nil {
			tp.prepare(e)
		}
		req := request(assetName(c, "tamper"), base.Filename, base.Content)
		res, err := e.upload(context.Background(), req)
		checkVerifyError(t, req, res, err)
		if after != nil {
			after(t, e)
		}
	})
}

// cancelLatency is the emulator latency of the cancellation tests: long
// enough that an upload which waited for the answer could not look
// cancelled.
const cancelLatency = 2 * time.Second

// testCancel cancels the upload's context as soon as the emulator has the
// request, while the emulator is still holding its answer back, and
// checks that Upload ends with context.Canceled without waiting for it.
func testCancel(t *testing.T, c *Case, req *providers.Request) {
	arrived := make(chan struct{}, 1)
	answered := make(chan struct{})
	var once sync.Once
	e := start(t, c, options{
		cfg: emulator.Config{Faults: emulator.Faults{Latency: cancelLatency}},
		wrap: func(h http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				select {
				case arrived <- struct{}{}:
				default:
				}
				h.ServeHTTP(w, r)
				once.Do(func() { close(answered) })
			})
		},
	})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-arrived:
		case <-ctx.Done():
		}
		cancel()
	}()
	res, err := e.upload(ctx, req)
	select {
	case <-answered:
		t.Errorf("Upload returned only after the emulator answered: the cancellation did not cut the request short")
	default:
	}
	checkCanceled(t, req, res, err)
}

// tamper is one way of altering a signed JSON answer on its way back.
type tamper struct {
	name string
	// modify alters a 2xx answer.
	modify func(resp *http.Response) error
	// prepare adjusts the account before the upload.
	prepare func(e *env)
}

// jsonTampers are the alterations every signed v3/brand answer must be
// rejected for (docs/PROTOCOL.md §1.2).
var jsonTampers = []tamper{
	{name: "body_value", modify: func(resp *http.Response) error {
		return rewriteBody(resp, mutateJSONValue)
	}},
	{name: "body_whitespace", modify: func(resp *http.Response) error {
		// Same JSON, different bytes: the raw body is what is signed.
		return rewriteBody(resp, func(b []byte) []byte { return append([]byte(" "), b...) })
	}},
	{name: "no_signature", modify: func(resp *http.Response) error {
		resp.Header.Del(signing.HeaderSignature)
		return nil
	}},
	{name: "timestamp_shift", modify: func(resp *http.Response) error {
		ts, err := strconv.ParseInt(resp.Header.Get(signing.HeaderTimestamp), 10, 64)
		if err != nil {
			return err
		}
		resp.Header.Set(signing.HeaderTimestamp, strconv.FormatInt(ts+600, 10))
		return nil
	}},
	{name: "unknown_serial", modify: func(resp *http.Response) error {
		resp.Header.Set(signing.HeaderSerial, otherKeyID)
		return nil
	}},
	{name: "serial_of_other_key", modify: func(resp *http.Response) error {
		resp.Header.Set(signing.HeaderSerial, otherKeyID)
		return nil
	}, prepare: func(e *env) {
		// The client knows otherKeyID, but its key did not sign the answer.
		e.acct.WechatPayKeys[otherKeyID] = e.keys.v3Pub
	}},
}

// mutateJSONValue changes the first character of the first string value
// in a JSON object, keeping the JSON valid: an ID, say, becomes another.
func mutateJSONValue(b []byte) []byte {
	i := bytes.Index(b, []byte(`":"`))
	if i < 0 || i+3 >= len(b) {
		return append(b, ' ')
	}
	out := bytes.Clone(b)
	out[i+3] = rotate(out[i+3])
	return out
}

// rotate returns another character of the same class (letter, digit).
func rotate(c byte) byte {
	switch {
	case c >= 'a' && c < 'z', c >= 'A' && c < 'Z', c >= '0' && c < '9':
		return c + 1
	case c == 'z':
		return 'a'
	case c == 'Z':
		return 'A'
	case c == '9':
		return '0'
	}
	return 'x'
}

func is2xx(resp *http.Response) bool { return resp.StatusCode >= 200 && resp.StatusCode <= 299 }

// retrySleeper is a providers.RetryPolicy.Sleep that advances clk instead
// of waiting, recording the delays.
type retrySleeper struct {
	clk *clock
	mu  sync.Mutex
	ds  []time.Duration
}

func (s *retrySleeper) sleep(_ context.Context, d time.Duration) error {
	s.mu.Lock()
	s.ds = append(s.ds, d)
	s.mu.Unlock()
	s.clk.Add(d)
	return nil
}

func (s *retrySleeper) delays() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.ds...)
}

// testTransport checks failures below HTTP: a connection reset before the
// request was handled, and an answer cut short after the upload was
// processed ("uploaded, but the response was lost"). Both are
// *providers.TransportError and retryable; neither returns a Result.
func testTransport(t *testing.T, c *Case, mk func(name string) *providers.Request) {
	for _, tc := range []struct {
		name   string
		faults emulator.Faults
		issued bool
	}{
		{"reset", emulator.Faults{ResetRate: 1}, false},
		{"truncated_answer", emulator.Faults{TruncateRate: 1}, true},
	} {
		t.Run("transport/"+tc.name, func(t *testing.T) {
			t.Parallel()
			e := start(t, c, options{cfg: emulator.Config{Faults: tc.faults}})
			req := mk(tc.name)
			res, err := e.upload(context.Background(), req)
			var te *providers.TransportError
			if res != nil || !errors.As(err, &te) {
				t.Fatalf("Upload = %+v, %T %v; want a *providers.TransportError", res, err, err)
			}
			if !providers.IsRetryable(err) || te.Asset != req.Asset || !strings.Contains(err.Error(), req.Asset) {
				t.Errorf("TransportError %q: retryable %v, asset %q; want retryable, naming %q", err, providers.IsRetryable(err), te.Asset, req.Asset)
			}
			if got := len(e.srv.Issued()) > 0; got != tc.issued {
				t.Errorf("emulator issued IDs: %v, want %v", got, tc.issued)
			}
		})
	}
}
