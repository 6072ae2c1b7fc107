package providers_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/wxmedia/wxmedia/providers"
)

func TestPacerCutsOncePerThrottleAndHonoursCeiling(t *testing.T) {
	var cuts []float64
	p := providers.NewPacer(10, 0, func(r float64, throttled bool) {
		if throttled {
			cuts = append(cuts, r)
		}
	})
	sent := time.Now()
	p.Throttled(sent, 0)
	if r := p.Rate(); r < 6.9 || r > 7.1 {
		t.Errorf("after one throttle the rate is %.2f, want 7 (10 × 0.7)", r)
	}
	// A second answer to a request sent before the cut says nothing new.
	p.Throttled(sent, 0)
	if len(cuts) != 1 {
		t.Errorf("rate cut %d times for two throttles of requests sent before the first cut", len(cuts))
	}

	capped := providers.NewPacer(10, 4, nil)
	for range 100 {
		capped.Succeeded()
	}
	if r := capped.Rate(); r > 4 {
		t.Errorf("rate %.2f above the configured ceiling 4", r)
	}
}

// Throttles are counted apart from failures: an upload throttled more often
// than its attempts still succeeds, and then only Throttles bounds it.
func TestThrottlesDoNotUseUpAttempts(t *testing.T) {
	policy := providers.RetryPolicy{Attempts: 2, Throttles: 5, Base: time.Millisecond, Max: time.Millisecond,
		Sleep: func(context.Context, time.Duration) error { return nil }}
	throttle := &providers.APIError{HTTPStatus: 429, Code: "FREQUENCY_LIMIT_EXCEED", Retryable: true}
	u := &flaky{n: 5, err: throttle}
	if _, err := providers.WithRetry(u, policy).Upload(context.Background(), &providers.Request{Asset: "a"}); err != nil {
		t.Fatalf("4 throttles with 2 attempts and 5 throttles allowed: %v", err)
	}
	u = &flaky{n: 100, err: throttle}
	_, err := providers.WithRetry(u, policy).Upload(context.Background(), &providers.Request{Asset: "a"})
	if err == nil || u.calls.Load() != 7 {
		t.Errorf("always throttled: %d calls (want 5 throttles + 2 attempts), err %v", u.calls.Load(), err)
	}
	// A v2 FREQUENCY_LIMITED arrives with HTTP 200: still a throttle.
	if !providers.IsThrottle(&providers.APIError{HTTPStatus: 200, Code: "FREQUENCY_LIMITED"}) ||
		providers.IsThrottle(&providers.APIError{HTTPStatus: 500, Code: "SYSTEM_ERROR"}) || providers.IsThrottle(errors.New("x")) {
		t.Error("IsThrottle misclassifies")
	}
}

// A wait for a token that the context's deadline would cut short ends with
// the context's error, so that callers see an interrupted apply, not a
// network failure (golang.org/x/time/rate returns its own error then).
func TestPacerWaitPastDeadlineIsTheContextError(t *testing.T) {
	p := providers.NewPacer(0.5, 0, nil) // one token, then one every 2 s
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := p.Wait(ctx); err != nil {
		t.Fatalf("first wait: %v", err)
	}
	_, err := p.Wait(ctx)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("second wait: %v; want it to wrap context.DeadlineExceeded", err)
	}
}
