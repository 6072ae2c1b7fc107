package providers

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Pacer is an adaptive request rate shared by every upload of one account
// and endpoint, after the AWS SDKs' "adaptive" retry mode and rclone's
// pacer: a token bucket (no bursts) whose rate
//
//   - starts at the account's default rate and, until the first throttle,
//     doubles every SlowStart while requests succeed (slow start);
//   - on a throttling answer (HTTP 429, or a v2 FREQUENCY_LIMITED) to a
//     request sent after the last cut, drops to Beta times the rate that
//     was actually getting through in the last second (multiplicative
//     decrease); answers to requests sent before that cut say nothing new
//     and are ignored, so a burst of 429s from parallel workers cuts once;
//   - then grows back along a cubic curve (CUBIC, as the AWS SDKs do):
//     quickly to just below the rate where it was throttled, slowly around
//     it, then faster again to probe for more;
//   - never exceeds Ceiling, the account's configured rate_limit.
//
// The retry layer (WithRetry with RetryPolicy.Pacer) reports throttles and
// successes; RateLimitTransport makes every HTTP request of such an upload
// wait for the pacer's token.
type Pacer struct {
	mu       sync.Mutex
	lim      *rate.Limiter
	now      func() time.Time
	start    float64   // the initial rate
	ceiling  float64   // hard maximum, requests/s
	cur      float64   // current rate
	lastMax  float64   // the rate cut at the last throttle; 0 before the first
	epoch    time.Time // start of the current growth phase
	lastCut  time.Time
	okTimes  []time.Time // ring of recent successes, for the rate that gets through
	okNext   int
	reported float64
	pause    time.Time // no request before this, after a throttle
	onChange func(perSecond float64, throttled bool)
}

// Pacer tuning. [ASSUMED] WeChat Pay publishes no per-endpoint limits; these
// follow the AWS SDKs (Beta 0.7 there; here 0.8 of the measured rate,
// which is at most the server's limit, not of the rate that overshot it).
const (
	pacerBeta      = 0.7
	pacerCubicC    = 0.4
	pacerSlowStart = 2 * time.Second
	pacerMinRate   = 0.2
	// pacerPauseTokens is how many requests' worth of time all requests
	// wait after a throttle.
	pacerPauseTokens = 2
	// pacerMaxPause bounds that wait at low rates.
	pacerMaxPause = 2 * time.Second
	// pacerProbeMax bounds probing above the default when no rate_limit is
	// configured.
	pacerProbeMax = 20
)

// NewPacer returns a pacer starting at start requests per second (the
// endpoint's default, or the configured rate_limit if lower) and never above
// ceiling (the configured rate_limit; 0 means pacerProbeMax × start).
// onChange, if set, is told about every cut and about growth past 25% of
// the last rate reported.
func NewPacer(start, ceiling float64, onChange func(perSecond float64, throttled bool)) *Pacer {
	if ceiling <= 0 {
		ceiling = start * pacerProbeMax
	}
	start = math.Min(start, ceiling)
	p := &Pacer{now: time.Now, start: start, ceiling: ceiling, cur: start, reported: start,
		okTimes: make([]time.Time, 0, 64), onChange: onChange}
	p.epoch = p.now()
	p.lim = rate.NewLimiter(rate.Limit(start), 1)
	return p
}

// Rate returns the current rate in requests per second.
func (p *Pacer) Rate() float64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.cur
}

// Wait blocks until the pacer allows one request, and returns when it was
// allowed (the request's send time for Throttled).
func (p *Pacer) Wait(ctx context.Context) (time.Time, error) {
	// A throttle may start a pause while this request waits for its token:
	// then it waits out the pause and queues for a token again, so that the
	// requests held back leave one by one, at the new rate.
	for {
		p.mu.Lock()
		pause := p.pause.Sub(p.now())
		p.mu.Unlock()
		if pause > 0 {
			if err := sleep(ctx, pause); err != nil {
				return time.Time{}, err
			}
		}
		if err := p.lim.Wait(ctx); err != nil {
			return time.Time{}, waitError(ctx, err)
		}
		p.mu.Lock()
		now, paused := p.now(), p.now().Before(p.pause)
		p.mu.Unlock()
		if !paused {
			return now, nil
		}
	}
}

// waitError is the error of a token wait that failed: the context's own
// error when it has one, and context.DeadlineExceeded when the limiter
// refused to wait past the deadline (it says so without wrapping it), so
// that callers treat it as the interruption it is, not as a failure to retry.
func waitError(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if _, ok := ctx.Deadline(); ok {
		return fmt.Errorf("%w: %v", context.DeadlineExceeded, err)
	}
	return err
}

// Throttled reports a throttling answer to a request sent at sent, which
// came with Retry-After retryAfter (0 if none). Besides cutting the rate, it
// holds every request back for min(retryAfter, pacerPauseTokens / new rate,
// pacerMaxPause), so that a server's token bucket, which the throttle says
// is empty, gains a few tokens to absorb arrival jitter; the throttled request itself waits
// the whole Retry-After (WithRetry).
func (p *Pacer) Throttled(sent time.Time, retryAfter time.Duration) {
	p.mu.Lock()
	if !sent.IsZero() && sent.Before(p.lastCut) {
		p.mu.Unlock()
		return
	}
	now := p.now()
	p.lastMax = p.cur
	p.cur = math.Max(pacerMinRate, p.cur*pacerBeta)
	p.lastCut, p.epoch = now, now
	pause := min(time.Duration(pacerPauseTokens/p.cur*float64(time.Second)), pacerMaxPause)
	if retryAfter > 0 && retryAfter < pause {
		pause = retryAfter
	}
	p.pause = now.Add(pause)
	p.lim.SetLimit(rate.Limit(p.cur))
	p.reported = p.cur
	cur, fn := p.cur, p.onChange
	p.mu.Unlock()
	if fn != nil {
		fn(cur, true)
	}
}

// Succeeded reports a request answered without throttling.
func (p *Pacer) Succeeded() {
	p.mu.Lock()
	now := p.now()
	if len(p.okTimes) < cap(p.okTimes) {
		p.okTimes = append(p.okTimes, now)
	} else {
		p.okTimes[p.okNext] = now
		p.okNext = (p.okNext + 1) % len(p.okTimes)
	}
	t := now.Sub(p.epoch).Seconds()
	var next float64
	if p.lastMax == 0 {
		next = p.start * math.Exp2(t/pacerSlowStart.Seconds())
	} else {
		k := math.Cbrt(p.lastMax * (1 - pacerBeta) / pacerCubicC)
		next = pacerCubicC*math.Pow(t-k, 3) + p.lastMax
	}
	// Grow only while the rate is being used: an idle or latency-bound
	// account must not build up a rate it never tried.
	if through := p.throughLocked(now); next > 2*through && through > 0 {
		next = math.Max(p.cur, 2*through)
	}
	next = math.Min(math.Max(next, pacerMinRate), p.ceiling)
	var report bool
	if next > p.cur {
		p.cur = next
		p.lim.SetLimit(rate.Limit(next))
		if next >= p.reported*1.25 || (next == p.ceiling && p.reported < p.ceiling) {
			p.reported, report = next, true
		}
	}
	cur, fn := p.cur, p.onChange
	p.mu.Unlock()
	if report && fn != nil {
		fn(cur, false)
	}
}

// throughLocked returns the successes per second over the last second, or
// over the span the ring covers when that is shorter.
func (p *Pacer) throughLocked(now time.Time) float64 {
	if len(p.okTimes) == 0 {
		return 0
	}
	n := 0
	oldest := now
	for _, t := range p.okTimes {
		if d := now.Sub(t); d <= time.Second {
			n++
			if t.Before(oldest) {
				oldest = t
			}
		}
	}
	if n == len(p.okTimes) {
		// The ring is full within the last second: rate over its span.
		if span := now.Sub(oldest).Seconds(); span > 0 {
			return float64(n-1) / span
		}
	}
	return float64(n)
}

type pacerKey struct{}

func withPacer(ctx context.Context, p *Pacer) context.Context {
	return context.WithValue(ctx, pacerKey{}, p)
}

func pacerFrom(ctx context.Context) *Pacer {
	p, _ := ctx.Value(pacerKey{}).(*Pacer)
	return p
}

// IsThrottle reports whether err is WeChat Pay saying "too many requests":
// HTTP 429, or one of the frequency-limit codes (v2 answers those with
// HTTP 200).
func IsThrottle(err error) bool {
	var ae *APIError
	if !errors.As(err, &ae) {
		return false
	}
	if ae.HTTPStatus == http.StatusTooManyRequests {
		return true
	}
	switch ae.Code {
	case "FREQUENCY_LIMIT_EXCEED", "FREQUENCY_LIMITED", "RATELIMIT_EXCEEDED":
		return true
	}
	return false
}

// ParseRetryAfter reads a Retry-After value: delay-seconds or an HTTP date
// (relative to now).
func ParseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs <= 0 {
			return 0
		}
		if secs > 7*24*3600 {
			secs = 7 * 24 * 3600
		}
		return time.Duration(secs) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return d
		}
	}
	return 0
}
