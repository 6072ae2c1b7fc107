package e2e

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/wxmedia/wxmedia/internal/testenv"
	"github.com/wxmedia/wxmedia/lockfile"
)

// panics counts child processes whose stderr shows a Go panic or fatal
// runtime error; every one also fails its test.
var panics atomic.Int64

// syncBuffer is a bytes.Buffer safe to read while a child writes it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// proc is a running child process.
type proc struct {
	t       testing.TB
	desc    string
	cmd     *exec.Cmd
	stdout  syncBuffer
	stderr  syncBuffer
	started time.Time
	done    chan struct{}
	exited  time.Time
}

// start runs bin with args in dir. The process is killed when the test
// ends if it is still running. It is safe to call from any goroutine.
func start(t testing.TB, dir string, args ...string) (*proc, error) {
	return startEnv(t, dir, nil, args...)
}

// startEnv is start with env added to the process's environment.
func startEnv(t testing.TB, dir string, env []string, args ...string) (*proc, error) {
	p := &proc{t: t, desc: "wxmedia " + strings.Join(args, " "), done: make(chan struct{})}
	p.cmd = exec.Command(bin, args...)
	p.cmd.Dir = dir
	p.cmd.Env = append(append(os.Environ(), "NO_COLOR=1"), env...)
	p.cmd.Stdout = &p.stdout
	p.cmd.Stderr = &p.stderr
	if err := p.cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", p.desc, err)
	}
	p.started = time.Now()
	go func() {
		_ = p.cmd.Wait()
		p.exited = time.Now()
		close(p.done)
	}()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			_ = p.cmd.Process.Kill()
			<-p.done
		}
	})
	return p, nil
}

// mustStart is start for the test goroutine.
func mustStart(t testing.TB, dir string, args ...string) *proc {
	t.Helper()
	p, err := start(t, dir, args...)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// running reports whether the process has not exited yet.
func (p *proc) running() bool {
	select {
	case <-p.done:
		return false
	default:
		return true
	}
}

// signal sends sig unless the process has exited.
func (p *proc) signal(sig syscall.Signal) {
	if p.running() {
		_ = p.cmd.Process.Signal(sig)
	}
}

// wait waits up to timeout for the process to exit and returns its exit
// code (-1 when a signal killed it). On timeout it kills the process and
// fails the test.
func (p *proc) wait(timeout time.Duration) int {
	p.t.Helper()
	select {
	case <-p.done:
	case <-time.After(timeout):
		_ = p.cmd.Process.Kill()
		<-p.done
		p.t.Fatalf("%s did not exit within %s; killed it.\nstderr:\n%s", p.desc, timeout, p.stderr.String())
	}
	p.checkPanic()
	return p.cmd.ProcessState.ExitCode()
}

// checkPanic fails the test if the process's stderr shows a Go panic.
func (p *proc) checkPanic() {
	p.t.Helper()
	s := p.stderr.String()
	if strings.Contains(s, "panic: ") || strings.Contains(s, "fatal error: ") || strings.Contains(s, "goroutine 1 [") {
		panics.Add(1)
		p.t.Errorf("%s panicked:\n%s", p.desc, s)
	}
}

// elapsed is how long the process ran.
func (p *proc) elapsed() time.Duration { return p.exited.Sub(p.started) }

// emu is a standalone emulator process.
type emu struct {
	t       testing.TB
	url     string
	logPath string
	p       *proc
}

// startEmulator runs `wxmedia emulator` on a free loopback port with extra
// flags (faults, latency) and waits until it listens.
func startEmulator(t testing.TB, flags ...string) *emu {
	t.Helper()
	dir := t.TempDir()
	e := &emu{t: t, logPath: filepath.Join(dir, "issued.jsonl")}
	urlFile := filepath.Join(dir, "url")
	args := append([]string{"emulator", "-addr", "127.0.0.1:0", "-url-file", urlFile, "-log", e.logPath}, flags...)
	e.p = mustStart(t, dir, args...)
	deadline := time.Now().Add(20 * time.Second)
	for {
		if data, err := os.ReadFile(urlFile); err == nil && strings.HasSuffix(string(data), "\n") {
			e.url = strings.TrimSpace(string(data))
			break
		}
		if !e.p.running() {
			t.Fatalf("%s exited before listening:\n%s", e.p.desc, e.p.stderr.String())
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not write %s within 20s:\n%s", e.p.desc, urlFile, e.p.stderr.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
	if !strings.HasPrefix(e.url, "http://127.0.0.1:") && !strings.HasPrefix(e.url, "https://127.0.0.1:") {
		t.Fatalf("emulator URL %q is not on loopback", e.url)
	}
	return e
}

// replaceEmulator stops old (if it still runs) and starts another emulator
// with flags on old's address: the same endpoint, as far as the lockfile is
// concerned, now behaving differently. (A different address would be a
// different endpoint, whose IDs apply does not reuse.)
func replaceEmulator(t testing.TB, old *emu, flags ...string) *emu {
	t.Helper()
	if old.p.running() {
		old.p.signal(syscall.SIGKILL)
		old.p.wait(10 * time.Second)
	}
	return startEmulator(t, append(flags, "-addr", strings.TrimPrefix(old.url, "http://"))...)
}

// issuedLine is one line of the emulator's -log.
type issuedLine struct {
	Endpoint string    `json:"endpoint"`
	MchID    string    `json:"mchid"`
	SHA256   string    `json:"sha256"`
	Filename string    `json:"filename"`
	ID       string    `json:"id"`
	Time     time.Time `json:"time"`
}

// issued reads every complete line of the emulator's log, in order.
func (e *emu) issued() []issuedLine {
	e.t.Helper()
	data, err := os.ReadFile(e.logPath)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		e.t.Fatal(err)
	}
	// A line being appended right now may be incomplete: skip it.
	if i := bytes.LastIndexByte(data, '\n'); i >= 0 {
		data = data[:i+1]
	} else {
		data = nil
	}
	var out []issuedLine
	for n, line := range bytes.Split(bytes.TrimSuffix(data, []byte("\n")), []byte("\n")) {
		if len(line) == 0 {
			continue
		}
		var l issuedLine
		dec := json.NewDecoder(bytes.NewReader(line))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&l); err != nil {
			e.t.Fatalf("%s line %d: %v: %s", e.logPath, n+1, err, line)
		}
		if l.ID == "" || len(l.SHA256) != 64 || l.MchID == "" || l.Endpoint == "" {
			e.t.Fatalf("%s line %d is incomplete: %s", e.logPath, n+1, line)
		}
		out = append(out, l)
	}
	return out
}

// ws is a workspace: media files and a manifest pointing at an emulator
// with the sandbox keys written by -write-keys.
type ws struct {
	t      testing.TB
	dir    string
	url    string
	assets string            // the manifest's assets block
	sha    map[string]string // asset name -> sha256 of its file
	names  []string          // asset names, sorted
}

// newWorkspace writes n distinct PNG files (content from seed) and a
// manifest for them reaching url.
func newWorkspace(t testing.TB, url string, n int, seed int64) *ws {
	t.Helper()
	tw := testenv.New(t)
	w := &ws{t: t, dir: tw.Dir, sha: map[string]string{}}
	// Sizes vary a little so the files differ in more than content.
	w.assets = tw.Images(t, n, 1024+int(seed%512), seed)
	for i := 0; i < n; i++ {
		name := fmt.Sprintf("img%03d", i)
		data, err := os.ReadFile(tw.Path(fmt.Sprintf("media/%03d.png", i)))
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(data)
		w.sha[name] = hex.EncodeToString(sum[:])
		w.names = append(w.names, name)
	}
	sort.Strings(w.names)
	for _, f := range []string{"v3_key.pem", "wechatpay_pub.pem"} {
		data, err := os.ReadFile(filepath.Join(keysDir, f))
		if err != nil {
			t.Fatal(err)
		}
		tw.Write(t, "keys/"+f, data)
	}
	w.setEndpoint(url)
	return w
}

// setEndpoint rewrites the manifest so that the account reaches url. The
// endpoint is part of an asset's identity: assets recorded from another
// endpoint are replaced (see replaceEmulator).
func (w *ws) setEndpoint(url string) {
	w.t.Helper()
	w.url = url
	// rate_limit: well above what the suites need, so -parallelism is what
	// bounds concurrency (the default is 10 requests per second).
	accounts := fmt.Sprintf(`  shop:
    api: v3
    mchid: %q
    serial_no: %s
    private_key_file: keys/v3_key.pem
    wechatpay_public_key_id: %s
    wechatpay_public_key_file: keys/wechatpay_pub.pem
    endpoint: %s
    rate_limit: 1000
`, v3MchID, v3Serial, pubKeyID, url)
	(&testenv.Workspace{Dir: w.dir}).Manifest(w.t, accounts, w.assets)
}

func (w *ws) lockPath() string { return filepath.Join(w.dir, "wxmedia.lock.json") }

// start runs wxmedia in the workspace.
func (w *ws) start(args ...string) (*proc, error) { return start(w.t, w.dir, args...) }

// run runs wxmedia in the workspace to completion (bounded by timeout) and
// returns the process.
func (w *ws) run(timeout time.Duration, args ...string) *proc {
	w.t.Helper()
	p := mustStart(w.t, w.dir, args...)
	p.wait(timeout)
	return p
}

// applyArgs are the arguments of an unattended apply.
func applyArgs(parallelism int, extra ...string) []string {
	return append([]string{"apply", "-auto-approve", "-parallelism", fmt.Sprint(parallelism)}, extra...)
}

// load reads the lockfile; a missing file is an empty state, anything that
// does not parse fails the test.
func (w *ws) load() *lockfile.State {
	w.t.Helper()
	st, err := lockfile.Load(w.lockPath())
	if errors.Is(err, lockfile.ErrNotExist) {
		return lockfile.New()
	}
	if err != nil {
		w.t.Fatalf("the lockfile does not parse: %v", err)
	}
	return st
}

// verify checks every lockfile entry against the workspace and the
// emulator logs: it names an asset of the manifest, carries that file's
// sha256, and its ID is one an emulator issued for that sha256. It returns
// the number of wrong entries (each also reported as a test error).
func (w *ws) verify(st *lockfile.State, issued ...[]issuedLine) int {
	w.t.Helper()
	byID := map[string]issuedLine{}
	for _, ls := range issued {
		for _, l := range ls {
			byID[l.ID] = l
		}
	}
	wrong := 0
	for _, name := range st.Names() {
		e := st.Assets[name]
		want, ok := w.sha[name]
		l, issuedOK := byID[e.ID]
		switch {
		case !ok:
			w.t.Errorf("lockfile records %s, which the manifest does not declare", name)
		case e.SHA256 != want:
			w.t.Errorf("lockfile records sha256 %s for %s, but its file has %s", e.SHA256, name, want)
		case !issuedOK:
			w.t.Errorf("lockfile records ID %s for %s, which no emulator issued", e.ID, name)
		case l.SHA256 != e.SHA256:
			w.t.Errorf("lockfile records ID %s for %s (sha256 %s), but the emulator issued it for sha256 %s", e.ID, name, e.SHA256, l.SHA256)
		case e.Type != "image" || e.Account != "shop" || e.MchID != v3MchID:
			w.t.Errorf("lockfile entry %s has type %q account %q mchid %q", name, e.Type, e.Account, e.MchID)
		default:
			continue
		}
		wrong++
	}
	if len(st.Pending) != 0 {
		w.t.Errorf("lockfile has pending work for image uploads: %v", st.Pending)
	}
	return wrong
}

// strays lists temporary lockfile files left in the workspace.
func (w *ws) strays() []string {
	m, err := filepath.Glob(filepath.Join(w.dir, ".wxmedia.lock.json.tmp-*"))
	if err != nil {
		w.t.Fatal(err)
	}
	return m
}

// recordedIDs returns the set of IDs in st.
func recordedIDs(st *lockfile.State) map[string]bool {
	ids := map[string]bool{}
	for _, e := range st.Assets {
		ids[e.ID] = true
	}
	return ids
}

// recordedSHAs returns the set of sha256 values in st.
func recordedSHAs(st *lockfile.State) map[string]bool {
	shas := map[string]bool{}
	for _, e := range st.Assets {
		shas[e.SHA256] = true
	}
	return shas
}

// runTrials runs fn(t, i) for i in [0, n) as subtests, workers at a time.
// Each trial waits mostly on child processes, so running several at once
// keeps the suite short without loading the CPU much.
func runTrials(t *testing.T, n, workers int, name string, fn func(t *testing.T, i int)) {
	t.Helper()
	next := make(chan int)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				t.Run(fmt.Sprintf("%s%03d", name, i), func(t *testing.T) { fn(t, i) })
			}
		}()
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
}

// waitFor polls cond every few milliseconds until it holds, failing the
// test after timeout.
func waitFor(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
