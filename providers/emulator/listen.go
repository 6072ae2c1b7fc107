package emulator

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"time"
)

// newHTTPServer returns the http.Server the helpers below use. HTTP/2 is
// off so that the reset and truncate faults behave the same over TLS.
func newHTTPServer(h http.Handler, tlsCfg *tls.Config) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		TLSConfig:         tlsCfg,
		TLSNextProto:      map[string]func(*http.Server, *tls.Conn, http.Handler){},
	}
}

// sandboxTLS returns the server TLS configuration: the sandbox server
// certificate, and client certificates issued by the sandbox CA verified
// when given (the v2 endpoint requires one, the others ignore it).
func sandboxTLS() (*tls.Config, error) {
	st, err := loadSandbox()
	if err != nil {
		return nil, err
	}
	return &tls.Config{
		MinVersion:   tls.VersionTLS12,
		Certificates: []tls.Certificate{st.serverCert},
		ClientAuth:   tls.VerifyClientCertIfGiven,
		ClientCAs:    st.caPool,
	}, nil
}

// quietLog drops net/http's server log for the in-process servers: TLS
// handshakes refused on purpose by tests and connections cut at shutdown are
// expected there, not news. The standalone ListenAndServe keeps the log.
var quietLog = log.New(io.Discard, "", 0)

// Start serves h over plain HTTP on a new port of 127.0.0.1 and returns its
// base URL ("http://127.0.0.1:PORT") and a function that stops it at once.
func Start(h http.Handler) (url string, stop func(), err error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	srv := newHTTPServer(h, nil)
	srv.ErrorLog = quietLog
	go func() { _ = srv.Serve(ln) }()
	return "http://" + ln.Addr().String(), func() { _ = srv.Close() }, nil
}

// StartTLS serves h over HTTPS on a new port of 127.0.0.1 with the sandbox
// server certificate (valid for 127.0.0.1, ::1 and localhost). Clients must
// trust caPEM, the sandbox CA, which also issued the sandbox merchant
// certificates a v2 client presents for mutual TLS.
func StartTLS(h http.Handler) (url string, caPEM []byte, stop func(), err error) {
	cfg, err := sandboxTLS()
	if err != nil {
		return "", nil, nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, nil, err
	}
	srv := newHTTPServer(h, cfg)
	srv.ErrorLog = quietLog
	go func() { _ = srv.Serve(tls.NewListener(ln, cfg)) }()
	return "https://" + ln.Addr().String(), Sandbox().CACertPEM, func() { _ = srv.Close() }, nil
}

// ListenAndServe serves h over plain HTTP on addr until ctx is done, then
// shuts down gracefully (waiting up to 5 seconds for requests in flight).
// It returns nil after a shutdown caused by ctx. ready, if not nil, is
// called with the bound address (useful with port 0) before serving.
func ListenAndServe(ctx context.Context, addr string, h http.Handler, ready func(net.Addr)) error {
	return serve(ctx, addr, h, nil, ready)
}

// ListenAndServeTLS is ListenAndServe over HTTPS with the sandbox server
// certificate and optional sandbox client certificates, as in StartTLS.
func ListenAndServeTLS(ctx context.Context, addr string, h http.Handler, ready func(net.Addr)) error {
	cfg, err := sandboxTLS()
	if err != nil {
		return err
	}
	return serve(ctx, addr, h, cfg, ready)
}

func serve(ctx context.Context, addr string, h http.Handler, cfg *tls.Config, ready func(net.Addr)) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	if ready != nil {
		ready(ln.Addr())
	}
	if cfg != nil {
		ln = tls.NewListener(ln, cfg)
	}
	srv := newHTTPServer(h, cfg)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err = srv.Shutdown(sctx)
	if serr := <-errc; serr != nil && !errors.Is(serr, http.ErrServerClosed) && err == nil {
		err = serr
	}
	return err
}
