package command

import (
	"context"
	"errors"
	"flag"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/wxmedia/wxmedia/operation/sandbox"
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
	dir := ef.writeKeys
	switch {
	case ef.writeKeys != "" && ef.keysOnly != "":
		return c.usageError("give -write-keys DIR (write the keys, then serve) or -write-keys-only DIR (write them and exit), not both")
	case ef.keysOnly != "":
		dir = ef.keysOnly
	}
	if dir != "" {
		if err := sandbox.WriteKeys(dir, keys); err != nil {
			return c.fail(err)
		}
		views.SandboxKeysWritten(c.stdout, dir, keys)
	}
	if ef.keysOnly != "" {
		scheme := "http"
		if ef.tls {
			scheme = "https"
		}
		if err := views.SandboxFragment(c.stdout, ef.keysOnly, scheme+"://"+ef.addr, ef.tls, keys); err != nil {
			return c.fail(err)
		}
		return ExitOK
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := sandbox.Serve(ctx, sandbox.Options{Addr: ef.addr, TLS: ef.tls, LogPath: ef.log, URLFile: ef.urlFile,
		Config: emulator.Config{
			Faults: emulator.Faults{Latency: ef.latency, FailRate: ef.failRate, ThrottleRate: ef.throttleRate,
				ResetRate: ef.resetRate, TruncateRate: ef.truncateRate, Seed: ef.seed},
			RateLimit:  ef.rateLimit,
			DailyQuota: ef.dailyQuota,
		},
		Ready: func(url string) error {
			views.EmulatorListening(c.stderr, url, keys)
			if ef.writeKeys == "" {
				return nil
			}
			if err := views.SandboxFragment(c.stdout, ef.writeKeys, url, ef.tls, keys); err != nil {
				views.Error(c.stderr, err.Error())
				return errors.New("could not print the manifest fragment")
			}
			return nil
		}})
	if err != nil {
		return c.fail(err)
	}
	return ExitOK
}
