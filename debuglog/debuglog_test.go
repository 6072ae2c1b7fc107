package debuglog

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestRedactAuth(t *testing.T) {
	for in, want := range map[string]string{
		`WECHATPAY2-SHA256-RSA2048 mchid="1900000001",nonce_str="abc",timestamp="1",serial_no="AB",signature="c2VjcmV0"`: `WECHATPAY2-SHA256-RSA2048 mchid=1900000001 nonce_str=abc timestamp=1 serial_no=AB signature=<redacted>`,
		`Bearer c2VjcmV0`:                `Bearer`,
		`X key="c2VjcmV0",brand_id="12"`: `X key=<redacted> brand_id=12`,
		``:                               ``,
	} {
		if got := redactAuth(in); got != want {
			t.Errorf("redactAuth(%q) = %q, want %q", in, got, want)
		}
		if strings.Contains(redactAuth(in), "c2VjcmV0") {
			t.Errorf("redactAuth(%q) keeps the secret", in)
		}
	}
}

func TestRateAndRetryLines(t *testing.T) {
	var b bytes.Buffer
	l := New(&b)
	l.now = func() time.Time { return time.Date(2026, 11, 28, 1, 2, 3, 0, time.UTC) }
	prev := SetDefault(l)
	defer SetDefault(prev)
	Rate("shop", 10, 5, "429 from WeChat Pay")
	l.Retry("photo", 2, 1500*time.Millisecond, errors.New("HTTP 500 SYSTEM_ERROR"))
	want := "2026-11-28T01:02:03.000Z wxmedia rate account=shop from=10/s to=5/s reason=\"429 from WeChat Pay\"\n" +
		"2026-11-28T01:02:03.000Z wxmedia retry asset=photo attempt=2 decision=retry delay=1.5s reason=\"HTTP 500 SYSTEM_ERROR\"\n"
	if b.String() != want {
		t.Errorf("trace =\n%s\nwant\n%s", b.String(), want)
	}
	SetDefault(nil)
	Rate("shop", 1, 2, "no trace installed: nothing happens")
}
