package executor_test

import (
	"context"
	"fmt"
	"math/rand"
	"runtime"
	"strings"
	"testing"

	"github.com/wxmedia/wxmedia/accounts"
	"github.com/wxmedia/wxmedia/executor"
	"github.com/wxmedia/wxmedia/internal/testenv"
	"github.com/wxmedia/wxmedia/lockfile"
	"github.com/wxmedia/wxmedia/manifest"
	"github.com/wxmedia/wxmedia/planner"
	"github.com/wxmedia/wxmedia/providers"
	"github.com/wxmedia/wxmedia/providers/emulator"
	"github.com/wxmedia/wxmedia/providers/v3video"
	"github.com/wxmedia/wxmedia/scan"
)

// TestApplyStreamsFiles uploads 8 videos of 5 MiB (the video limit) at
// parallelism 8 through the executor, the real provider and the real
// emulator, all in this process, and checks that everything allocated
// while applying (client and emulator together) stays well below the 40 MiB
// uploaded: no layer buffers a whole file.
func TestApplyStreamsFiles(t *testing.T) {
	if testing.Short() {
		t.Skip("uploads 40 MiB")
	}
	const n, size = 8, 5 << 20
	srv, err := emulator.NewSandbox(emulator.Config{})
	if err != nil {
		t.Fatal(err)
	}
	url, stop, err := emulator.Start(srv)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	ws := testenv.New(t)
	rng := rand.New(rand.NewSource(1))
	var assets strings.Builder
	for i := range n {
		data := make([]byte, size)
		rng.Read(data)
		copy(data, "\x00\x00\x00\x18ftypmp42")
		rel := fmt.Sprintf("media/%d.mp4", i)
		ws.Write(t, rel, data)
		fmt.Fprintf(&assets, "  v%d: {type: video, account: shop, file: %s}\n", i, rel)
	}
	m, err := manifest.Load(ws.Manifest(t, ws.WriteSandboxKeys(t, url, ""), assets.String()))
	if err != nil {
		t.Fatal(err)
	}
	store, err := lockfile.Open(ws.Path("wxmedia.lock.json"))
	if err != nil {
		t.Fatal(err)
	}
	facts, err := scan.Hashes(context.Background(), m, scan.Options{})
	if err != nil {
		t.Fatal(err)
	}
	p, err := planner.Build(m, facts, store.State(), planner.Options{})
	if err != nil {
		t.Fatal(err)
	}
	r := accounts.New(m)
	defer r.Close()
	ex := &executor.Executor{Store: store, Dir: m.Dir, Parallelism: n,
		Resolve: func(account, typ string) (providers.Uploader, error) {
			a, err := r.Account(account)
			if err != nil {
				return nil, err
			}
			return v3video.Descriptor.New(a), nil
		}}

	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	rep, err := ex.Apply(context.Background(), p)
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatalf("Apply = %v", err)
	}
	if rep.Done.Create != n {
		t.Fatalf("created %d of %d", rep.Done.Create, n)
	}
	alloc := after.TotalAlloc - before.TotalAlloc
	t.Logf("allocated %d KiB while uploading %d MiB", alloc>>10, n*size>>20)
	if alloc > n*size/4 {
		t.Errorf("allocated %d MiB while uploading %d files of %d MiB: something buffers whole files", alloc>>20, n, size>>20)
	}
}
