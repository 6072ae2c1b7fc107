package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/wxmedia/wxmedia/internal/atomicfile"
	"github.com/wxmedia/wxmedia/providers/emulator"
	"github.com/wxmedia/wxmedia/views"
)

type emulatorFlags struct {
	addr         string
	tls          bool
	latency      time.Duration
	failRate     float64
	throttleRate float64
	resetRate    float64
	truncateRate float64
	rateLimit    float64
	seed         int64
	writeKeys    string
	keysOnly     string
	dailyQuota   int
	log          string
	urlFile      string
}

func init() {
	register(&command{name: "emulator", synopsis: "run the local WeChat Pay emulator with the sandbox test keys",
		help: "Serves every upload endpoint as docs/PROTOCOL.md describes, for tests and trials.\n" +
			"Accounts reach it with `endpoint: http://ADDR` and the sandbox keys, which\n" +
			"-write-keys DIR writes out. The sandbox keys are public: never use them elsewhere.",
		args: func() cmdArgs { return &emulatorFlags{} }})
}

func (ef *emulatorFlags) bind(fs *flag.FlagSet) {
	fs.StringVar(&ef.addr, "addr", "127.0.0.1:8787", "listen on `HOST:PORT`")
	fs.BoolVar(&ef.tls, "tls", false, "serve HTTPS with the sandbox CA (needed for v2 client certificates)")
	fs.DurationVar(&ef.latency, "latency", 0, "add `DUR` to every request")
	fs.Float64Var(&ef.failRate, "fail-rate", 0, "answer this fraction of requests with 500 SYSTEM_ERROR")
	fs.Float64Var(&ef.throttleRate, "throttle-rate", 0, "answer this fraction with 429 FREQUENCY_LIMIT_EXCEED")
	fs.Float64Var(&ef.resetRate, "reset-rate", 0, "reset the connection for this fraction of requests")
	fs.Float64Var(&ef.truncateRate, "truncate-rate", 0, "process, then cut the response short, for this fraction")
	fs.Float64Var(&ef.rateLimit, "rate-limit", 0, "per-merchant requests per second before 429 (0: unlimited)")
	fs.Int64Var(&ef.seed, "seed", 1, "seed for the fault injection")
	fs.StringVar(&ef.writeKeys, "write-keys", "", "write the sandbox keys and certificates into `DIR`, then serve; a manifest fragment for them is printed")
	fs.StringVar(&ef.keysOnly, "write-keys-only", "", "write the sandbox keys and certificates into `DIR` and exit")
	fs.IntVar(&ef.dailyQuota, "daily-quota", 0, "successful uploads each merchant may make per day before 429 (0: unlimited)")
	fs.StringVar(&ef.log, "log", "", "append one JSON line per issued ID to `FILE`")
	fs.StringVar(&ef.urlFile, "url-file", "", "write the base URL to `FILE` once listening (for -addr 127.0.0.1:0)")
}

func (ef *emulatorFlags) run(c *cli, args []string) int { return runEmulator(c, ef, args) }

func runEmulator(c *cli, ef *emulatorFlags, args []string) int {
	if len(args) > 0 {
		return c.usageError("emulator takes no arguments")
	}
	keys := emulator.Sandbox()
	switch {
	case ef.writeKeys != "" && ef.keysOnly != "":
		return c.usageError("give -write-keys DIR (write the keys, then serve) or -write-keys-only DIR (write them and exit), not both")
	case ef.keysOnly != "":
		if code := c.writeSandboxKeys(ef.keysOnly, keys); code != exitOK {
			return code
		}
		scheme := "http"
		if ef.tls {
			scheme = "https"
		}
		if err := views.SandboxFragment(c.stdout, ef.keysOnly, scheme+"://"+ef.addr, ef.tls, keys); err != nil {
			return c.fail(err)
		}
		return exitOK
	case ef.writeKeys != "":
		if code := c.writeSandboxKeys(ef.writeKeys, keys); code != exitOK {
			return code
		}
	}
	cfg := emulator.Config{
		Faults: emulator.Faults{Latency: ef.latency, FailRate: ef.failRate, ThrottleRate: ef.throttleRate,
			ResetRate: ef.resetRate, TruncateRate: ef.truncateRate, Seed: ef.seed},
		RateLimit:  ef.rateLimit,
		DailyQuota: ef.dailyQuota,
	}
	if ef.log != "" {
		f, err := os.OpenFile(ef.log, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
		if err != nil {
			return c.fail(err)
		}
		defer f.Close()
		cfg.Log = f
	}
	srv, err := emulator.NewSandbox(cfg)
	if err != nil {
		return c.fail(err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	scheme := "http"
	serve := emulator.ListenAndServe
	if ef.tls {
		scheme, serve = "https", emulator.ListenAndServeTLS
	}
	var readyErr error
	ready := func(a net.Addr) {
		url := scheme + "://" + a.String()
		views.EmulatorListening(c.stderr, url, keys)
		if ef.writeKeys != "" {
			if err := views.SandboxFragment(c.stdout, ef.writeKeys, url, ef.tls, keys); err != nil {
				views.Error(c.stderr, err.Error())
				readyErr = errors.New("could not print the manifest fragment")
			}
		}
		if ef.urlFile != "" && readyErr == nil {
			readyErr = atomicfile.WriteFile(ef.urlFile, []byte(url+"\n"), 0o644)
		}
	}
	if err := serve(ctx, ef.addr, srv, ready); err != nil && !errors.Is(err, context.Canceled) {
		return c.fail(err)
	}
	if readyErr != nil {
		return c.fail(readyErr)
	}
	return exitOK
}

// writeSandboxKeys writes the public sandbox identities so that manifests
// can point at a standalone emulator.
func (c *cli) writeSandboxKeys(dir string, k emulator.SandboxKeys) int {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return c.fail(err)
	}
	files := map[string][]byte{
		"wechatpay_pub.pem": k.WechatPayPublicKeyPEM,
		"ca_cert.pem":       k.CACertPEM,
		"platform_cert.pem": k.PlatformCertificatePEM,
		"apiv3_key.txt":     []byte(k.APIv3Key + "\n"),
	}
	for _, m := range k.Merchants() {
		files[m.API+"_key.pem"] = m.PrivateKeyPEM
		files[m.API+"_cert.pem"] = m.CertificatePEM
	}
	for name, data := range files {
		if err := atomicfile.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			return c.fail(err)
		}
	}
	views.SandboxKeysWritten(c.stdout, dir, k)
	if k.V2.APIKey != "" {
		fmt.Fprintln(c.stdout, "  the v2 sandbox API key is in v2_api_key.txt")
		if err := atomicfile.WriteFile(filepath.Join(dir, "v2_api_key.txt"), []byte(k.V2.APIKey+"\n"), 0o600); err != nil {
			return c.fail(err)
		}
	}
	return exitOK
}
