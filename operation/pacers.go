package operation

import (
	"sync"

	"github.com/wxmedia/wxmedia/debuglog"
	"github.com/wxmedia/wxmedia/providers"
)

// rateHook is the optional part of ExecArgs.Hook told about request rates.
type rateHook interface {
	RateChanged(account, typ string, perSecond float64, throttled bool)
}

// pacers holds one adaptive request rate per account and asset type (each
// type is its own WeChat Pay endpoint), shared by every worker of an apply.
type pacers struct {
	view rateHook
	mu   sync.Mutex
	m    map[[2]string]*providers.Pacer
}

func newPacers(hook any) *pacers {
	rv, _ := hook.(rateHook)
	return &pacers{view: rv, m: map[[2]string]*providers.Pacer{}}
}

// get returns the pacer of a's uploads of typ, or nil when a is not paced
// (a sandbox account without rate_limit).
func (ps *pacers) get(a *providers.Account, typ string) *providers.Pacer {
	if a.RateStart <= 0 {
		return nil
	}
	ps.mu.Lock()
	defer ps.mu.Unlock()
	k := [2]string{a.Name, typ}
	if p := ps.m[k]; p != nil {
		return p
	}
	var (
		lastMu sync.Mutex
		last   = a.RateStart
	)
	onChange := func(r float64, throttled bool) {
		reason := "requests succeed: probing upward"
		if throttled {
			reason = "WeChat Pay throttled a request"
		}
		lastMu.Lock()
		debuglog.Rate(a.Name+" ("+typ+")", last, r, reason)
		last = r
		lastMu.Unlock()
		if ps.view != nil {
			ps.view.RateChanged(a.Name, typ, r, throttled)
		}
	}
	p := providers.NewPacer(a.RateStart, a.RateCeiling, onChange)
	ps.m[k] = p
	return p
}
