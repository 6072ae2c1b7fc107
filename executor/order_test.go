package executor_test

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/wxmedia/wxmedia/internal/testenv"
	"github.com/wxmedia/wxmedia/planner"
	"github.com/wxmedia/wxmedia/providers/emulator"
)

// orderHook records the order in which changes start.
type orderHook struct {
	mu     sync.Mutex
	events []string
}

func (h *orderHook) Started(c *planner.Change) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.events = append(h.events, c.Action.String()+" "+c.Name)
}

func (h *orderHook) Finished(*planner.Change, string, error) {}

// forgetAndReplace applies three images, then plans img000 forgotten and
// img001 replaced with new content.
func forgetAndReplace(t *testing.T) *env {
	e := newEnv(t, emulator.Config{}, 3, "")
	ctx := context.Background()
	if _, err := e.apply(t, ctx, 2, nil); err != nil {
		t.Fatal(err)
	}
	e.m.Assets = e.m.Assets[1:]
	e.ws.Write(t, "media/001.png", testenv.PNG(2000, 77))
	_, p := e.plan(t, ctx)
	if p.Summary.Forget != 1 || p.Summary.Replace != 1 {
		t.Fatalf("plan summary %+v, want 1 forget and 1 replace", p.Summary)
	}
	return e
}

func TestForgetsRunAfterUploads(t *testing.T) {
	e := forgetAndReplace(t)
	store, p := e.plan(t, context.Background())
	h := &orderHook{}
	ex := e.executor(store, 2, fastRetry)
	ex.Hook = h
	if _, err := ex.Apply(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(h.events, ", "); got != "replace img001, forget img000" {
		t.Errorf("changes started in the order %s, want the forget after the upload", got)
	}
	if st := e.state(t); st.Assets["img000"] != nil {
		t.Errorf("img000 is still recorded after a successful apply")
	}
}

func TestForgetsHeldBackWhenAnUploadFails(t *testing.T) {
	e := forgetAndReplace(t)
	store, p := e.plan(t, context.Background())
	// The file changes after planning: the emulator refuses the upload.
	e.ws.Write(t, "media/001.png", testenv.PNG(2000, 78))
	h := &orderHook{}
	ex := e.executor(store, 2, fastRetry)
	ex.Hook = h
	rep, err := ex.Apply(context.Background(), p)
	if err == nil || !strings.Contains(err.Error(), "1 forget(s) held back because not every upload succeeded, so that no recorded ID is dropped before its replacement is recorded (img000 still recorded)") {
		t.Fatalf("apply error = %v, want the forget reported as held back", err)
	}
	if rep.HeldBack != 1 || rep.Done.Forget != 0 {
		t.Errorf("report %+v, want 1 held back and none forgotten", rep)
	}
	if st := e.state(t); st.Assets["img000"] == nil {
		t.Errorf("img000 was forgotten although an upload failed")
	}
	for _, ev := range h.events {
		if strings.HasPrefix(ev, "forget") {
			t.Errorf("a forget started: %v", h.events)
		}
	}
}
