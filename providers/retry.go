package providers

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"time"

	"golang.org/x/time/rate"
)

// RetryPolicy bounds retries of retryable failures.
type RetryPolicy struct {
	// Attempts is the total number of tries, the first included.
	Attempts int
	// Base is the first backoff; each later one doubles, up to Max.
	Base, Max time.Duration
	// Sleep waits for d or until ctx is done; nil means a timer. Tests
	// replace it to run without waiting.
	Sleep func(ctx context.Context, d time.Duration) error
	// OnRetry, if set, is told about each retry before its backoff.
	OnRetry func(req *Request, attempt int, delay time.Duration, err error)
	// Throttles is how many throttling answers (IsThrottle) an upload may
	// get, apart from Attempts, before it fails: while the rate adapts,
	// being throttled says nothing about the upload itself. 0 counts them
	// as ordinary failures.
	Throttles int
	// Pacer, if set, paces every HTTP request of the upload (through the
	// account's RateLimitTransport) and learns from its throttles.
	Pacer *Pacer
}

// DefaultRetryPolicy is what apply uses: five tries over about half a
// minute.
var DefaultRetryPolicy = RetryPolicy{Attempts: 5, Base: 500 * time.Millisecond, Max: 15 * time.Second, Throttles: 30}

// WithRetry wraps u so that retryable failures (IsRetryable: 429, 5xx,
// transport errors) are tried again with exponential backoff and full
// jitter, honouring Retry-After. Client errors, verification failures and
// context cancellation are returned at once.
//
// An upload whose response was lost may have created a remote object; the
// retry creates another, and only the ID that comes back is recorded, so
// the lockfile still ends with exactly one ID per asset. Chunked uploads
// resume from the session their last attempt reported.
func WithRetry(u Uploader, p RetryPolicy) Uploader {
	if p.Attempts < 1 {
		p.Attempts = 1
	}
	if p.Sleep == nil {
		p.Sleep = sleep
	}
	return &retrying{u: u, p: p}
}

type retrying struct {
	u Uploader
	p RetryPolicy
}

func (r *retrying) Upload(ctx context.Context, req *Request) (*Result, error) {
	attempt := *req
	var latest *Session
	if req.Session != nil {
		s := *req.Session
		latest = &s
	}
	attempt.OnSession = func(s Session) error {
		cp := s
		cp.Acked = append([]int(nil), s.Acked...)
		latest = &cp
		if req.OnSession != nil {
			return req.OnSession(s)
		}
		return nil
	}
	return r.do(ctx, req, func(ctx context.Context) (*Result, error) {
		attempt.Session = latest
		return r.u.Upload(ctx, &attempt)
	})
}

// do calls try until it succeeds, fails for good, or the policy's attempts
// are spent, backing off between tries; req is what OnRetry is told.
// Throttling answers count apart from failures (RetryPolicy.Throttles) and
// teach the policy's Pacer, which paces every request try sends.
func (r *retrying) do(ctx context.Context, req *Request, try func(context.Context) (*Result, error)) (*Result, error) {
	if r.p.Pacer != nil {
		ctx = withPacer(ctx, r.p.Pacer)
	}
	throttles := 0
	for i := 1; ; i++ {
		sent := time.Now()
		res, err := try(ctx)
		if err == nil {
			return res, nil
		}
		throttled := IsThrottle(err)
		if throttled && r.p.Pacer != nil {
			var ae *APIError
			if errors.As(err, &ae) && ae.HTTPStatus != http.StatusTooManyRequests {
				// A v2 FREQUENCY_LIMITED comes with HTTP 200, which the
				// transport took for a success.
				r.p.Pacer.Throttled(sent, RetryAfter(err))
			}
		}
		if throttled && throttles < r.p.Throttles && ctx.Err() == nil {
			throttles++
			i-- // not a failure of this upload
		} else if i >= r.p.Attempts || !IsRetryable(err) || ctx.Err() != nil {
			return nil, err
		}
		n := i
		if throttled {
			n = min(throttles, 2)
		}
		d := Backoff(r.p.Base, r.p.Max, max(n, 1))
		if ra := RetryAfter(err); ra > d {
			d = ra
		}
		if r.p.OnRetry != nil {
			r.p.OnRetry(req, max(i, 1), d, err)
		}
		if serr := r.p.Sleep(ctx, d); serr != nil {
			return nil, err
		}
	}
}

// Expand retries the wrapped uploader's Expand under the same policy; it
// fails with ErrUnsupportedType when the wrapped uploader cannot expand.
// Expanding the same package with the same upload again is harmless, so a
// lost answer is retried like any other.
func (r *retrying) Expand(ctx context.Context, req *ExpandRequest) (*Result, error) {
	x, ok := r.u.(Expander)
	if !ok {
		return nil, fmt.Errorf("%s: expand: %w", req.Asset, ErrUnsupportedType)
	}
	return r.do(ctx, &Request{Asset: req.Asset}, func(ctx context.Context) (*Result, error) { return x.Expand(ctx, req) })
}

// Backoff returns the delay before retry number n (1-based): a random
// duration in [0, min(max, base·2^(n-1))] ("full jitter").
func Backoff(base, max time.Duration, n int) time.Duration {
	d := base
	for i := 1; i < n && d < max; i++ {
		d *= 2
	}
	if d > max {
		d = max
	}
	if d <= 0 {
		return 0
	}
	return time.Duration(rand.Int64N(int64(d) + 1))
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// RateLimitTransport makes every HTTP request (retries and the parts of a
// chunked upload included) wait for a token of Limiter first, so one
// account never exceeds its request rate whatever the parallelism.
type RateLimitTransport struct {
	Base    http.RoundTripper
	Limiter *rate.Limiter
	// Fallback paces requests that carry no Pacer (the endpoint's default
	// rate when the account configures none); nil means none.
	Fallback *rate.Limiter
}

// RoundTrip implements http.RoundTripper. A request whose context carries
// a Pacer (see RetryPolicy.Pacer) waits for the pacer too, and tells it
// whether it was throttled. Limiter may be nil.
func (t *RateLimitTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	p := pacerFrom(req.Context())
	if p != nil {
		if _, err := p.Wait(req.Context()); err != nil {
			return nil, closeBody(req, err)
		}
	}
	for _, l := range []*rate.Limiter{t.Limiter, t.Fallback} {
		if l == nil || (l == t.Fallback && p != nil) {
			continue
		}
		if err := l.Wait(req.Context()); err != nil {
			return nil, closeBody(req, err)
		}
	}
	base := t.Base
	if base == nil {
		base = http.DefaultTransport
	}
	sent := time.Now()
	resp, err := base.RoundTrip(req)
	if p != nil && err == nil {
		switch {
		case resp.StatusCode == http.StatusTooManyRequests:
			p.Throttled(sent, ParseRetryAfter(resp.Header.Get("Retry-After"), time.Now()))
		case resp.StatusCode < 500:
			p.Succeeded()
		}
	}
	return resp, err
}

func closeBody(req *http.Request, err error) error {
	if req.Body != nil {
		req.Body.Close()
	}
	return err
}

// NewLimiter returns the limiter for perSecond requests per second. It
// allows no bursts and keeps a 10% margin below the limit, so that arrival
// jitter (up to a tenth of a second here) never puts more than perSecond
// requests into a server's one-second window: a configured rate_limit is a
// hard ceiling.
func NewLimiter(perSecond float64) *rate.Limiter {
	return rate.NewLimiter(rate.Limit(perSecond*0.9), 1)
}
