package views

import "fmt"

// RateView is implemented by every apply view: it is told when the request
// rate of an account and asset type adapts (providers.Pacer).
type RateView interface {
	RateChanged(account, typ string, perSecond float64, throttled bool)
}

func rateMessage(account, typ string, perSecond float64, throttled bool) string {
	why := "no throttling, probing upward"
	if throttled {
		why = "WeChat Pay throttled a request"
	}
	return fmt.Sprintf("%s (%s): request rate now %.1f/s (%s)", account, typ, perSecond, why)
}

// RateChanged prints the new rate on its own line.
func (v *applyHuman) RateChanged(account, typ string, perSecond float64, throttled bool) {
	v.mu.Lock()
	defer v.mu.Unlock()
	fmt.Fprintln(v.w, rateMessage(account, typ, perSecond, throttled))
}

// RateChanged prints the new rate above the bars.
func (v *applyProgress) RateChanged(account, typ string, perSecond float64, throttled bool) {
	v.lines.RateChanged(account, typ, perSecond, throttled)
}

// RateChanged emits an apply_rate event.
func (v *applyJSON) RateChanged(account, typ string, perSecond float64, throttled bool) {
	v.emit(Event{Level: "info", Message: rateMessage(account, typ, perSecond, throttled), Type: "apply_rate",
		Account: account, AssetType: typ, Rate: perSecond})
}
