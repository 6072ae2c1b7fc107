package views

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

func TestRateChangedShowsTheNewRate(t *testing.T) {
	var human, js bytes.Buffer
	NewApply(&human, false).(RateView).RateChanged("shop", "image", 3.5, true)
	if got, want := human.String(), "shop (image): request rate now 3.5/s (WeChat Pay throttled a request)\n"; got != want {
		t.Errorf("human: %q, want %q", got, want)
	}
	NewApply(&js, true).(RateView).RateChanged("shop", "image", 12, false)
	var e Event
	if err := json.Unmarshal(js.Bytes(), &e); err != nil {
		t.Fatal(err)
	}
	if e.Type != "apply_rate" || e.Account != "shop" || e.AssetType != "image" || e.Rate != 12 || !strings.Contains(e.Message, "probing upward") {
		t.Errorf("JSON event %+v", e)
	}
}
