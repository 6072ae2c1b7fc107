package executor_test

import (
	"context"
	"net/http"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/wxmedia/wxmedia/accounts"
	"github.com/wxmedia/wxmedia/executor"
	"github.com/wxmedia/wxmedia/lockfile"
	"github.com/wxmedia/wxmedia/providers"
	"github.com/wxmedia/wxmedia/providers/emulator"
	"github.com/wxmedia/wxmedia/providers/v3image"
)

// arrivals records when each request reached the emulator.
type arrivals struct {
	h  http.Handler
	mu sync.Mutex
	at []time.Time
}

func (a *arrivals) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	a.mu.Lock()
	a.at = append(a.at, time.Now())
	a.mu.Unlock()
	a.h.ServeHTTP(w, r)
}

// maxInWindow returns the most requests that arrived within any window of
// length d.
func (a *arrivals) maxInWindow(d time.Duration) int {
	a.mu.Lock()
	at := append([]time.Time(nil), a.at...)
	a.mu.Unlock()
	sort.Slice(at, func(i, j int) bool { return at[i].Before(at[j]) })
	best, j := 0, 0
	for i := range at {
		for at[i].Sub(at[j]) >= d {
			j++
		}
		best = max(best, i-j+1)
	}
	return best
}

// pacedExecutor is env.executor with the adaptive pacer apply uses: one
// per account and type, shared by all workers.
func (e *env) pacedExecutor(store *lockfile.Store, parallelism int, onChange func(float64, bool)) *executor.Executor {
	r := accounts.New(e.m)
	var once sync.Once
	var p *providers.Pacer
	return &executor.Executor{Store: store, Dir: e.m.Dir, Parallelism: parallelism,
		Resolve: func(account, typ string) (providers.Uploader, error) {
			a, err := r.Account(account)
			if err != nil {
				return nil, err
			}
			once.Do(func() { p = providers.NewPacer(a.RateStart, a.RateCeiling, onChange) })
			policy := providers.DefaultRetryPolicy
			policy.Pacer = p
			return providers.WithRetry(v3image.Descriptor.New(a), policy), nil
		}}
}

// With no rate_limit, apply learns an emulator limit below the default
// instead of retrying through it: nothing fails, and at most one request
// in four is throttled.
func TestAdaptiveRateLearnsLowerLimit(t *testing.T) {
	const n = 40
	e := newEnv(t, emulator.Config{RateLimit: 5}, n, "")
	store, p := e.plan(t, context.Background())
	var cuts int
	var mu sync.Mutex
	ex := e.pacedExecutor(store, 8, func(r float64, throttled bool) {
		mu.Lock()
		defer mu.Unlock()
		if throttled {
			cuts++
		}
	})
	rep, err := ex.Apply(context.Background(), p)
	if err != nil || rep.Failed != 0 {
		t.Fatalf("apply: %+v, %v", rep, err)
	}
	e.checkRecorded(t)
	if th := e.stats.count(429); th > n/4 || cuts == 0 {
		t.Errorf("%d requests throttled for %d assets (rate cut %d times), want some but at most %d", th, n, cuts, n/4)
	}
}

// A configured rate_limit below the server's is a hard ceiling: never more
// requests in any one second than it allows, whatever the pacer probes.
func TestConfiguredRateLimitIsCeiling(t *testing.T) {
	e := newEnv(t, emulator.Config{}, 12, "rate_limit: 4")
	log := &arrivals{h: e.stats.h}
	e.stats.h = log
	store, p := e.plan(t, context.Background())
	if _, err := e.pacedExecutor(store, 8, nil).Apply(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	e.checkRecorded(t)
	if got := log.maxInWindow(time.Second); got > 4 {
		t.Errorf("%d requests reached the emulator within one second; rate_limit is 4", got)
	}
}
