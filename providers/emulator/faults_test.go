package emulator

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// startServer runs s on a loopback port for the duration of the test.
func startServer(t *testing.T, s *Server) string {
	t.Helper()
	url, stop, err := Start(s)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	return url
}

// send sends u to the server at base over a real connection.
func send(t *testing.T, ctx context.Context, base string, c *signer, u uploadReq) (*http.Response, error) {
	t.Helper()
	r := c.request(u)
	req, err := http.NewRequestWithContext(ctx, r.Method, base+u.path, r.Body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header = r.Header
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 5 * time.Second}
	return client.Do(req)
}

func TestFaults(t *testing.T) {
	c := newSigner(t, Sandbox().V3)
	u := imageUpload("a.png", pngBytes(2000))
	ctx := context.Background()

	t.Run("fail", func(t *testing.T) {
		s := newTestServer(t, Config{Faults: Faults{FailRate: 1}})
		resp, err := send(t, ctx, startServer(t, s), c, u)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var e errBody
		json.NewDecoder(resp.Body).Decode(&e)
		if resp.StatusCode != 500 || e.Code != "SYSTEM_ERROR" || resp.Header.Get("Request-ID") == "" {
			t.Errorf("got %d %+v", resp.StatusCode, e)
		}
		if len(s.Issued()) != 0 {
			t.Error("an ID was issued")
		}
	})
	t.Run("throttle", func(t *testing.T) {
		s := newTestServer(t, Config{Faults: Faults{ThrottleRate: 1}})
		resp, err := send(t, ctx, startServer(t, s), c, u)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var e errBody
		json.NewDecoder(resp.Body).Decode(&e)
		if resp.StatusCode != 429 || e.Code != "FREQUENCY_LIMIT_EXCEED" || resp.Header.Get("Retry-After") != "1" {
			t.Errorf("got %d %+v Retry-After %q", resp.StatusCode, e, resp.Header.Get("Retry-After"))
		}
		if len(s.Issued()) != 0 {
			t.Error("an ID was issued")
		}
	})
	t.Run("reset", func(t *testing.T) {
		s := newTestServer(t, Config{Faults: Faults{ResetRate: 1}})
		resp, err := send(t, ctx, startServer(t, s), c, u)
		if err == nil {
			resp.Body.Close()
			t.Fatalf("got %d, want a connection error", resp.StatusCode)
		}
		if len(s.Issued()) != 0 || s.Requests() != 1 {
			t.Errorf("Issued %d, Requests %d; want 0, 1", len(s.Issued()), s.Requests())
		}
	})
	t.Run("truncate", func(t *testing.T) {
		s := newTestServer(t, Config{Faults: Faults{TruncateRate: 1}})
		resp, err := send(t, ctx, startServer(t, s), c, u)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		_, err = io.ReadAll(resp.Body)
		if !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Errorf("reading body: %v, want unexpected EOF", err)
		}
		if len(s.Issued()) != 1 {
			t.Errorf("Issued() has %d entries, want 1: the upload happened", len(s.Issued()))
		}
	})
	t.Run("latency honours cancellation", func(t *testing.T) {
		s := newTestServer(t, Config{Faults: Faults{Latency: time.Hour}})
		base := startServer(t, s)
		ctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
		defer cancel()
		start := time.Now()
		_, err := send(t, ctx, base, c, u)
		if err == nil || time.Since(start) > 3*time.Second {
			t.Errorf("err %v after %v", err, time.Since(start))
		}
	})
	t.Run("latency", func(t *testing.T) {
		s := newTestServer(t, Config{Faults: Faults{Latency: 30 * time.Millisecond}})
		start := time.Now()
		resp, err := send(t, ctx, startServer(t, s), c, u)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 || time.Since(start) < 30*time.Millisecond {
			t.Errorf("got %d after %v", resp.StatusCode, time.Since(start))
		}
	})
}

// TestFaultRatesAreSeeded checks that a seed reproduces the same outcomes
// and that a rate of 0.5 fails some but not all requests.
func TestFaultRatesAreSeeded(t *testing.T) {
	c := newSigner(t, Sandbox().V3)
	u := imageUpload("a.png", pngBytes(100))
	run := func() string {
		s := newTestServer(t, Config{Faults: Faults{FailRate: 0.5, Seed: 42}})
		var out strings.Builder
		for i := 0; i < 40; i++ {
			if do(s, c.request(u)).Code == 200 {
				out.WriteByte('.')
			} else {
				out.WriteByte('F')
			}
		}
		return out.String()
	}
	a, b := run(), run()
	if a != b {
		t.Errorf("same seed, different outcomes:\n%s\n%s", a, b)
	}
	if !strings.Contains(a, ".") || !strings.Contains(a, "F") {
		t.Errorf("rate 0.5 gave %s", a)
	}
	// SetFaults switches faults off at run time.
	s := newTestServer(t, Config{Faults: Faults{FailRate: 1}})
	s.SetFaults(Faults{})
	wantOK(t, do(s, c.request(u)))
}

func TestListenAndServe(t *testing.T) {
	s := newTestServer(t, Config{})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	ready := make(chan net.Addr, 1)
	go func() { done <- ListenAndServe(ctx, "127.0.0.1:0", s, func(a net.Addr) { ready <- a }) }()
	if a := <-ready; !strings.HasPrefix(a.String(), "127.0.0.1:") {
		t.Errorf("bound to %s", a)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("ListenAndServe = %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("ListenAndServe did not stop")
	}
}
