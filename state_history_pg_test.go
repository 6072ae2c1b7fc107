package main

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/wxmedia/wxmedia/internal/pgtest"
	"github.com/wxmedia/wxmedia/internal/testenv"
	"github.com/wxmedia/wxmedia/lockfile"
	"github.com/wxmedia/wxmedia/pgstate"
)

// TestPGHistoryUndoesAStaleForget replays the issue: an out-of-date
// checkout (its manifest lacks the team's assets) applies "N to forget".
// The versions table kept every document, so state history shows the
// forget, and state restore brings every ID back as a new serial.
func TestPGHistoryUndoesAStaleForget(t *testing.T) {
	srv, url, w := pgStart(t, "team", 3)
	l := &cliLog{t: t, dir: w.Dir}
	l.run(0, "apply", "-auto-approve")
	before := l.run(0, "output", "-json").stdout

	stale := strings.SplitN(string(mustRead(t, w.Path("wxmedia.yaml"))), "assets:", 2)[0] + "assets: {}\n"
	w.Write(t, "wxmedia.yaml", []byte(stale))
	l.run(0, "apply", "-auto-approve")
	if out := l.run(0, "output").stdout; out != "" {
		t.Fatalf("the stale apply did not forget everything: %s", out)
	}

	res := l.run(0, "state", "history")
	// Apply records through the journal, so the history keeps a version per
	// fold, not per upload: the three forgets may share one version.
	forgotten, current := 0, 0
	for _, line := range strings.Split(strings.TrimSpace(res.stdout), "\n")[1:] {
		f := strings.Fields(line)
		if strings.HasSuffix(line, "(current)") {
			current++
			f = f[:len(f)-1]
		}
		n, _ := strconv.Atoi(f[len(f)-1]) // the FORGOTTEN column
		forgotten += n
	}
	if forgotten != 3 || current != 1 || !strings.HasSuffix(strings.TrimSpace(res.stdout), "(current)") {
		t.Fatalf("state history does not show the three forgets, the last current:\n%s", res.stdout)
	}
	if !strings.Contains(res.stdout, lockfile.Writer()) {
		t.Errorf("state history does not name the writer %q:\n%s", lockfile.Writer(), res.stdout)
	}
	b, _ := pgstate.Open(pgEnv, url, "team", "")
	vs, err := b.Snapshots(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var good uint64
	for _, v := range vs {
		if st, err := lockfile.Parse("v", v.Data); err == nil && len(st.Assets) == 3 {
			good = v.Serial
		}
	}

	l.run(1, "state", "restore", "99")
	res = l.run(0, "state", "restore", "-auto-approve", itoa(good))
	if !strings.Contains(res.stdout, "Restored serial "+itoa(good)+" of PostgreSQL state \"team\"") {
		t.Errorf("restore: %s", res.stdout)
	}
	if after := l.run(0, "output", "-json").stdout; after != before {
		t.Fatalf("restored IDs differ:\n%s\nwant:\n%s", after, before)
	}
	cur, err := lockfile.LoadFrom(context.Background(), b)
	if err != nil {
		t.Fatal(err)
	}
	if cur.Serial != vs[len(vs)-1].Serial+1 {
		t.Errorf("restored serial %d, want %d (a new serial)", cur.Serial, vs[len(vs)-1].Serial+1)
	}

	// One entry from an older version, through import -from-serial.
	l.run(0, "forget", "img002")
	l.run(0, "import", "img002", "-from-serial", itoa(good))
	if after := l.run(0, "output", "-json").stdout; after != before {
		t.Fatalf("import -from-serial lost an ID:\n%s", after)
	}
	noSecrets(t, srv, url, l.all.String(), w.Dir)
}

func itoa(n uint64) string { return strconv.FormatUint(n, 10) }

// TestPGCIRecipe runs the wxmedia steps of the PostgreSQL CI recipe's apply
// job: they apply through the database and hand applications a lockfile,
// committing nothing.
func TestPGCIRecipe(t *testing.T) {
	srv, url, w := pgStart(t, "ci", 2)
	l := &cliLog{t: t, dir: w.Dir}
	lines, err := ciCommands(mustRead(t, "examples/github-actions/postgres/wxmedia.yml"), "apply")
	if err != nil || len(lines) != 3 {
		t.Fatalf("apply job steps %q, %v", lines, err)
	}
	for _, line := range lines {
		l.run(0, strings.Fields(line)[1:]...)
	}
	st, err := lockfile.Load(w.Path("wxmedia.lock.json"))
	if err != nil || len(st.Assets) != 2 {
		t.Fatalf("pulled lockfile: %v, %v", st, err)
	}
	l.run(0, "plan", "-detailed-exitcode")
	noSecrets(t, srv, url, l.all.String(), w.Dir)
}

// TestPGEnvironmentWorkspace: with -env, the state lives in its own
// workspace (<workspace>.<env>), and messages name it.
func TestPGEnvironmentWorkspace(t *testing.T) {
	srv, url, w := pgStart(t, "shop", 1)
	w.Write(t, "wxmedia.yaml", append(mustRead(t, w.Path("wxmedia.yaml")), []byte("environments:\n  prod:\n    accounts:\n      shop: {mchid: \"1900000002\"}\n")...))
	l := &cliLog{t: t, dir: w.Dir}
	res := l.run(0, "-env", "prod", "apply", "-auto-approve")
	if !strings.Contains(res.stdout, "Environment: prod") {
		t.Errorf("apply -env prod does not name the environment:\n%s", res.stdout)
	}
	prod, _ := pgstate.Open(pgEnv, url, "shop.prod", "")
	st, err := lockfile.LoadFrom(context.Background(), prod)
	if err != nil || len(st.Assets) != 1 || st.Assets["img000"].MchID != "1900000002" {
		t.Fatalf("workspace shop.prod: %+v, %v", st, err)
	}
	base, _ := pgstate.Open(pgEnv, url, "shop", "")
	if _, err := lockfile.LoadFrom(context.Background(), base); err == nil {
		t.Fatal("apply -env prod wrote the base workspace")
	}
	l.run(2, "plan", "-detailed-exitcode")
	l.run(0, "-env", "prod", "plan", "-detailed-exitcode")
	noSecrets(t, srv, url, l.all.String(), w.Dir)
}

// In PostgreSQL mode, messages name the backend, not wxmedia.lock.json;
// state pull -json prints a result; a waiting apply names the holder.
func TestPGMessagesNameTheBackend(t *testing.T) {
	srv, url, w := pgStart(t, "named", 1)
	l := &cliLog{t: t, dir: w.Dir}
	l.run(0, "apply", "-auto-approve")
	const name = `PostgreSQL state "named" (schema wxmedia)`
	for _, args := range [][]string{{"forget", "nosuch"}, {"output", "nosuch"}, {"import", "img000", "OTHER-ID"}} {
		res := l.run(1, args...)
		if !strings.Contains(res.stderr, name) || strings.Contains(res.stderr, "wxmedia.lock.json") {
			t.Errorf("%s: the message does not name the backend:\n%s", args[0], res.stderr)
		}
	}
	res := l.run(0, "state", "pull", "-json")
	for _, want := range []string{`"written": "wxmedia.lock.json"`, `"from": "` + strings.ReplaceAll(name, `"`, `\"`) + `"`, `"assets": 1`, `"serial": 1`} {
		if !strings.Contains(res.stdout, want) {
			t.Errorf("state pull -json lacks %s:\n%s", want, res.stdout)
		}
	}

	b, _ := pgstate.Open(pgEnv, url, "named", "")
	lk, err := b.Lock(context.Background(), lockfile.NewLockInfo("apply", "wxmedia apply (the holder)"), 0)
	if err != nil {
		t.Fatal(err)
	}
	defer lk.Unlock()
	res = l.run(1, "apply", "-auto-approve", "-lock-timeout", "300ms")
	if !strings.Contains(res.stderr, "Waiting up to 300ms for the lock on "+name+", held by pid") || !strings.Contains(res.stderr, "the holder") {
		t.Errorf("a waiting apply does not name the holder:\n%s", res.stderr)
	}
	noSecrets(t, srv, url, l.all.String(), w.Dir)
}

// pgStart starts (or reuses) the test server and writes a sandbox workspace
// with n images keeping its state in workspace ws of a fresh database.
func pgStart(t *testing.T, ws string, n int) (*pgtest.Server, string, *testenv.Workspace) {
	t.Helper()
	srv := pgtest.Start(t)
	url := srv.NewDatabase(t)
	return srv, url, pgWorkspace(t, url, ws, n)
}
