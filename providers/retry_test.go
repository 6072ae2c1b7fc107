package providers_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wxmedia/wxmedia/providers"
)

func TestIsRetryable(t *testing.T) {
	live := context.Background()
	done, cancel := context.WithCancel(context.Background())
	cancel()
	for _, tc := range []struct {
		name string
		err  error
		want bool
	}{
		{"429", &providers.APIError{HTTPStatus: 429, Retryable: true}, true},
		{"400", &providers.APIError{HTTPStatus: 400, Code: "PARAM_ERROR"}, false},
		{"verify", &providers.VerifyError{Asset: "a", Reason: "bad"}, false},
		{"reset", providers.NetworkError(live, "a", "", errors.New("connection reset by peer")), true},
		{"client timeout", providers.NetworkError(live, "a", "", fmt.Errorf("Post: %w", context.DeadlineExceeded)), true},
		{"caller cancelled", providers.NetworkError(done, "a", "", errors.New("whatever")), false},
		{"wrapped 500", fmt.Errorf("x: %w", &providers.APIError{HTTPStatus: 500, Retryable: true}), true},
		{"plain", errors.New("malformed response"), false},
		{"nil", nil, false},
	} {
		if got := providers.IsRetryable(tc.err); got != tc.want {
			t.Errorf("IsRetryable(%s: %v) = %v, want %v", tc.name, tc.err, got, tc.want)
		}
	}
	if err := providers.NetworkError(done, "logo", "part 2", errors.New("x")); !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "logo: upload interrupted (part 2)") {
		t.Errorf("cancelled: %v", err)
	}
}

// flaky fails with err until its n-th call.
type flaky struct {
	calls atomic.Int32
	n     int32
	err   error
}

func (f *flaky) Upload(ctx context.Context, req *providers.Request) (*providers.Result, error) {
	if f.calls.Add(1) < f.n {
		return nil, f.err
	}
	if req.Session != nil {
		return &providers.Result{ID: "resumed-" + req.Session.UploadID}, nil
	}
	if req.OnSession != nil {
		req.OnSession(providers.Session{UploadID: "u1", PartCount: 2, Acked: []int{1}})
	}
	return &providers.Result{ID: "id"}, nil
}

func TestWithRetry(t *testing.T) {
	var slept []time.Duration
	policy := providers.RetryPolicy{Attempts: 4, Base: 100 * time.Millisecond, Max: time.Second,
		Sleep: func(ctx context.Context, d time.Duration) error { slept = append(slept, d); return nil }}

	u := &flaky{n: 3, err: &providers.APIError{HTTPStatus: 429, Retryable: true, RetryAfterDelay: 2 * time.Second}}
	res, err := providers.WithRetry(u, policy).Upload(context.Background(), &providers.Request{Asset: "a"})
	if err != nil || res.ID != "id" || u.calls.Load() != 3 {
		t.Fatalf("retry 429: %v %v after %d calls", res, err, u.calls.Load())
	}
	for _, d := range slept {
		if d < 2*time.Second {
			t.Errorf("slept %s, want at least the Retry-After of 2s", d)
		}
	}

	u = &flaky{n: 10, err: &providers.APIError{HTTPStatus: 400, Code: "PARAM_ERROR"}}
	if _, err := providers.WithRetry(u, policy).Upload(context.Background(), &providers.Request{}); err == nil || u.calls.Load() != 1 {
		t.Errorf("a 400 was tried %d times", u.calls.Load())
	}

	u = &flaky{n: 10, err: &providers.TransportError{Asset: "a", Err: errors.New("reset")}}
	if _, err := providers.WithRetry(u, policy).Upload(context.Background(), &providers.Request{}); err == nil || u.calls.Load() != 4 {
		t.Errorf("transport errors tried %d times, want 4 (the policy's attempts)", u.calls.Load())
	}
}

func TestBackoffBounds(t *testing.T) {
	for n := 1; n < 12; n++ {
		d := providers.Backoff(100*time.Millisecond, 2*time.Second, n)
		if d < 0 || d > 2*time.Second {
			t.Errorf("Backoff(n=%d) = %s outside [0, 2s]", n, d)
		}
	}
}

func TestCheckSignerAndRequest(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	ok := func() *providers.Account {
		return &providers.Account{Name: "shop", MchID: "1", SerialNo: "AB", PrivateKey: key, BaseURL: "http://127.0.0.1:1",
			WechatPayKeys: map[string]*rsa.PublicKey{"PUB_KEY_ID_1": &key.PublicKey}}
	}
	for _, tc := range []struct {
		name  string
		edit  func(*providers.Account)
		brand bool
		want  string
	}{
		{"complete", func(*providers.Account) {}, false, ""},
		{"no key", func(a *providers.Account) { a.PrivateKey = nil }, false, "has no private key"},
		{"no brand id", func(a *providers.Account) { a.MchID = "" }, true, "has no brand_id"},
		{"no verify key", func(a *providers.Account) { a.WechatPayKeys = nil }, false, "could not be verified"},
		{"brand without key id", func(*providers.Account) {}, true, "needs wechatpay_public_key_id"},
		{"key id without key", func(a *providers.Account) { a.WechatPayPublicKeyID = "PUB_KEY_ID_2" }, false, "no public key for it"},
	} {
		a := ok()
		tc.edit(a)
		idName := "mchid"
		if tc.brand {
			idName = "brand_id"
		}
		err := a.CheckSigner(idName, tc.brand)
		if (tc.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("%s: CheckSigner = %v, want %q", tc.name, err, tc.want)
		}
	}
	open := func() (providers.File, error) { return nil, errors.New("unused") }
	for _, tc := range []struct {
		req  providers.Request
		want string
	}{
		{providers.Request{Open: open, Filename: "a.png"}, ""},
		{providers.Request{Filename: "a.png"}, "no Open function"},
		{providers.Request{Open: open, Filename: "a.png", Size: -1}, "negative size"},
		{providers.Request{Open: open, Filename: "a\r\n.png"}, "line break"},
	} {
		err := tc.req.Check()
		if (tc.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("Check(%+v) = %v, want %q", tc.req, err, tc.want)
		}
	}
}
