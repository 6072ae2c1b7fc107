package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wxmedia/wxmedia/internal/pgtest"
	"github.com/wxmedia/wxmedia/internal/testenv"
	"github.com/wxmedia/wxmedia/lockfile"
	"github.com/wxmedia/wxmedia/noopcache"
	"github.com/wxmedia/wxmedia/pgstate"
)

// These tests run the CLI against a real PostgreSQL server (internal/pgtest
// starts one per test binary; they are skipped when PostgreSQL is not
// installed, and fail under CI, whose .ci/run installs it).

const pgEnv = "WXMEDIA_TEST_PG_CONN"

// pgWorkspace writes a sandbox workspace with n images whose manifest keeps
// its state in workspace ws of the database at url.
func pgWorkspace(t *testing.T, url, ws string, n int) *testenv.Workspace {
	t.Helper()
	t.Setenv(pgEnv, url)
	w := testenv.New(t)
	assets := w.Images(t, n, 2000, 7)
	w.Write(t, "wxmedia.yaml", []byte(fmt.Sprintf(`version: 1
state:
  backend: pg
  conn_str_env: %s
  workspace: %s
accounts:
  shop: {api: v3, mchid: "1900000001", endpoint: sandbox}
assets:
%s`, pgEnv, ws, assets)))
	return w
}

// cliLog runs the CLI and keeps every output for the secret check.
type cliLog struct {
	t   *testing.T
	dir string
	all strings.Builder
}

func (l *cliLog) run(want int, args ...string) cliResult {
	l.t.Helper()
	res := runCLI(l.t, append([]string{"-chdir", l.dir}, args...)...)
	l.all.WriteString(res.stdout + res.stderr)
	if want >= 0 && res.code != want {
		l.t.Fatalf("wxmedia %s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), res.code, want, res.stdout, res.stderr)
	}
	return res
}

// noSecrets fails when the connection string or the password appear in
// any output or any file left in dir.
func noSecrets(t *testing.T, srv *pgtest.Server, url string, out string, dir string) {
	t.Helper()
	for _, s := range []string{url, srv.Password} {
		if strings.Contains(out, s) {
			t.Errorf("the connection string or its password appears in the output")
		}
	}
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			data, _ := os.ReadFile(p)
			if bytes.Contains(data, []byte(srv.Password)) {
				t.Errorf("%s holds the database password", p)
			}
		}
		return nil
	})
}

func TestPGApplyPlanPullOutput(t *testing.T) {
	srv := pgtest.Start(t)
	url := srv.NewDatabase(t)
	w := pgWorkspace(t, url, "shop-media", 3)
	l := &cliLog{t: t, dir: w.Dir}

	l.run(2, "plan", "-detailed-exitcode")
	l.run(0, "apply", "-auto-approve")
	if _, err := os.Stat(w.Path("wxmedia.lock.json")); err == nil {
		t.Fatal("apply with a state block wrote a local lockfile")
	}
	res := l.run(0, "plan", "-detailed-exitcode")
	if !strings.Contains(res.stdout, "No changes") {
		t.Errorf("plan after apply:\n%s", res.stdout)
	}
	// The no-op record is for the local lockfile only: a plan of shared
	// state always reads it (another pipeline may have changed it).
	l.run(0, "plan", "-detailed-exitcode")
	if _, err := os.Stat(noopcache.PathFor(w.Path("wxmedia.yaml"))); err == nil {
		t.Error("a plan of PostgreSQL state wrote a no-op record")
	}
	outJSON := l.run(0, "output", "-json").stdout

	// pull writes the local lockfile; its bytes are the stored document,
	// in the canonical form a local apply writes.
	l.run(0, "state", "pull")
	local, err := os.ReadFile(w.Path("wxmedia.lock.json"))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := pgstate.Open(pgEnv, url, "shop-media", "")
	stored, err := b.Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(local, stored) {
		t.Fatal("state pull did not write the stored bytes")
	}
	st, canonical, err := lockfile.Canonical("pulled", local)
	if err != nil || !canonical {
		t.Fatalf("pulled lockfile is not canonical (%v):\n%s", err, local)
	}
	if len(st.Assets) != 3 || st.Serial == 0 {
		t.Fatalf("pulled state: %d assets, serial %d", len(st.Assets), st.Serial)
	}
	for n, e := range st.Assets {
		if e.Endpoint != "sandbox" {
			t.Errorf("%s: the stored entry records endpoint %q, want sandbox", n, e.Endpoint)
		}
	}
	if got := l.run(0, "state", "pull", "-out", "-").stdout; got != string(local) {
		t.Fatal("state pull -out - differs from state pull")
	}
	// Applications reading the pulled file see what output shows.
	plain := strings.SplitN(string(mustRead(t, w.Path("wxmedia.yaml"))), "accounts:", 2)[1]
	w.Write(t, "local.yaml", []byte("version: 1\naccounts:"+plain))
	if got := l.run(0, "-manifest", "local.yaml", "-lockfile", "wxmedia.lock.json", "output", "-json").stdout; got != outJSON {
		t.Errorf("output from the pulled lockfile:\n%s\nfrom PostgreSQL:\n%s", got, outJSON)
	}
	// The local manifest sees the pulled file as up to date.
	l.run(0, "-manifest", "local.yaml", "-lockfile", "wxmedia.lock.json", "plan", "-detailed-exitcode")

	// forget and import go through PostgreSQL too.
	l.run(0, "forget", "img001")
	l.run(2, "plan", "-detailed-exitcode")
	id := st.Assets["img001"].ID
	l.run(0, "import", "img001", id)
	l.run(0, "plan", "-detailed-exitcode")

	// A saved plan is tied to the stored lineage and serial.
	w.Write(t, "media/001.png", testenv.PNG(2100, 99))
	l.run(2, "plan", "-detailed-exitcode", "-out", "p.plan")
	l.run(0, "forget", "img002")
	res = l.run(1, "apply", "p.plan")
	if !strings.Contains(res.stderr, "serial") {
		t.Errorf("stale saved plan: %s", res.stderr)
	}
	l.run(2, "plan", "-detailed-exitcode", "-out", "p.plan")
	l.run(0, "apply", "p.plan")
	l.run(0, "plan", "-detailed-exitcode")

	// force-unlock has nothing to remove.
	if res := l.run(0, "force-unlock", "-force"); !strings.Contains(res.stdout, "not locked") {
		t.Errorf("force-unlock: %s", res.stdout)
	}
	noSecrets(t, srv, url, l.all.String(), w.Dir)
}

func mustRead(t *testing.T, p string) []byte {
	t.Helper()
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// TestPGPushMatchesLocalApply moves a lockfile written by a local apply
// into PostgreSQL; pulling it back gives the same bytes.
func TestPGPushMatchesLocalApply(t *testing.T) {
	srv := pgtest.Start(t)
	url := srv.NewDatabase(t)
	w := pgWorkspace(t, url, "moved", 2)
	l := &cliLog{t: t, dir: w.Dir}
	plain := strings.SplitN(string(mustRead(t, w.Path("wxmedia.yaml"))), "accounts:", 2)[1]
	w.Write(t, "local.yaml", []byte("version: 1\naccounts:"+plain))
	l.run(0, "-manifest", "local.yaml", "-lockfile", "wxmedia.lock.json", "apply", "-auto-approve")
	localBytes := mustRead(t, w.Path("wxmedia.lock.json"))

	l.run(0, "state", "push")
	l.run(0, "plan", "-detailed-exitcode") // PostgreSQL now knows every upload
	if got := l.run(0, "state", "pull", "-out", "-").stdout; got != string(localBytes) {
		t.Fatalf("pulled after push:\n%s\nlocal apply wrote:\n%s", got, localBytes)
	}
	if res := l.run(0, "state", "push"); !strings.Contains(res.stdout, "nothing to do") {
		t.Errorf("second push: %s", res.stdout)
	}
	// A lockfile of another lineage is refused unless -force.
	other := lockfile.New()
	data, _ := other.Marshal()
	w.Write(t, "other.json", data)
	res := l.run(1, "state", "push", "other.json")
	if !strings.Contains(res.stderr, "lineage") || !strings.Contains(res.stderr, "-force") {
		t.Errorf("push of another lineage: %s", res.stderr)
	}
	l.run(0, "state", "push", "-force", "other.json")
	l.run(2, "plan", "-detailed-exitcode")
	noSecrets(t, srv, url, l.all.String(), w.Dir)
}

// TestPGSecondApplyNamesHolder runs an apply in a separate process that
// holds the lock (its uploads hang), checks that a second apply names it,
// then kills it: PostgreSQL drops its lock with its connection, so a third
// apply proceeds.
func TestPGSecondApplyNamesHolder(t *testing.T) {
	srv := pgtest.Start(t)
	url := srv.NewDatabase(t)
	w := pgWorkspace(t, url, "busy", 1)
	l := &cliLog{t: t, dir: w.Dir}

	// An endpoint that accepts connections and never answers.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		var held []net.Conn
		defer func() {
			for _, c := range held {
				c.Close()
			}
		}()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			held = append(held, c)
		}
	}()
	manifest := string(mustRead(t, w.Path("wxmedia.yaml")))
	w.Write(t, "hang.yaml", []byte(strings.Replace(manifest, "  shop: {api: v3, mchid: \"1900000001\", endpoint: sandbox}\n",
		w.WriteSandboxKeys(t, "http://"+ln.Addr().String(), ""), 1)))

	// The test binary runs as wxmedia when invoked under that name.
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), "wxmedia")
	if err := os.Symlink(exe, bin); err != nil {
		t.Fatal(err)
	}
	var childOut bytes.Buffer
	child := exec.Command(bin, "-chdir", w.Dir, "-manifest", "hang.yaml", "apply", "-auto-approve")
	child.Stdout, child.Stderr = &childOut, &childOut
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { child.Wait(); close(done) }()
	defer func() {
		child.Process.Kill()
		<-done
	}()

	b, _ := pgstate.Open(pgEnv, url, "busy", "")
	var holder *lockfile.LockInfo
	for deadline := time.Now().Add(60 * time.Second); holder == nil; {
		if holder, err = b.Holder(context.Background()); err != nil {
			t.Fatal(err)
		}
		select {
		case <-done:
			t.Fatalf("the first apply ended before the test saw its lock:\n%s", childOut.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("the first apply never took the lock")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if holder.PID != child.Process.Pid {
		t.Fatalf("holder pid %d, want the child's %d", holder.PID, child.Process.Pid)
	}

	res := l.run(1, "apply", "-auto-approve")
	want := fmt.Sprintf("is locked by pid %d", child.Process.Pid)
	if !strings.Contains(res.stderr, want) || !strings.Contains(res.stderr, "-manifest hang.yaml apply") || !strings.Contains(res.stderr, "connection ends") {
		t.Fatalf("second apply: want %q naming the holder, got:\n%s", want, res.stderr)
	}
	if res := l.run(1, "force-unlock", "-force"); !strings.Contains(res.stderr, want) {
		t.Errorf("force-unlock while held: %s", res.stderr)
	}

	// Kill the holder: no unlock runs, its connection just closes.
	child.Process.Kill()
	<-done
	l.run(0, "apply", "-auto-approve", "-lock-timeout", "30s")
	l.run(0, "plan", "-detailed-exitcode")
	noSecrets(t, srv, url, l.all.String()+childOut.String(), w.Dir)
}

// TestPGConnectionErrors: a missing variable, an unparsable string, a
// wrong password and an unreachable server each name the variable and
// never the string.
func TestPGConnectionErrors(t *testing.T) {
	srv := pgtest.Start(t)
	url := srv.NewDatabase(t)
	w := pgWorkspace(t, url, "ws", 1)
	l := &cliLog{t: t, dir: w.Dir}

	os.Unsetenv(pgEnv) // t.Setenv in pgWorkspace restores it
	for _, args := range [][]string{{"plan"}, {"apply", "-auto-approve"}, {"output"}, {"state", "pull"}, {"validate"}} {
		res := l.run(1, args...)
		if !strings.Contains(res.stderr, pgEnv+" is not set") {
			t.Errorf("%s without %s: %s", args[0], pgEnv, res.stderr)
		}
	}
	for name, conn := range map[string]string{
		"unparsable":     "postgres://postgres:hunter2-secret@127.0.0.1:notaport/db",
		"wrong password": strings.Replace(url, srv.Password, "hunter2-secret", 1),
		"unreachable":    "postgres://postgres:hunter2-secret@127.0.0.1:1/db?connect_timeout=5",
	} {
		t.Setenv(pgEnv, conn)
		for _, args := range [][]string{{"plan"}, {"apply", "-auto-approve"}, {"state", "pull"}} {
			res := l.run(1, args...)
			if !strings.Contains(res.stderr, pgEnv) {
				t.Errorf("%s, %s: the error does not name %s:\n%s", name, args[0], pgEnv, res.stderr)
			}
			if strings.Contains(res.stdout+res.stderr, "hunter2-secret") || strings.Contains(res.stdout+res.stderr, conn) {
				t.Errorf("%s, %s: the connection string leaked:\n%s", name, args[0], res.stderr)
			}
		}
	}
	noSecrets(t, srv, url, l.all.String(), w.Dir)
}
