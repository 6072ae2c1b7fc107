package scan_test

import (
	"context"
	"os"
	"testing"

	"github.com/wxmedia/wxmedia/scan"
)

// TestScanInOrderMatchesFacts: with Options.InOrder the scan gives each
// asset's facts at its position in m.Assets, the facts it gives by name
// without, and the zero FileFacts for an asset whose file failed.
func TestScanInOrderMatchesFacts(t *testing.T) {
	m := cacheWorkspace(t, 5)
	byName, err := scan.Files(context.Background(), m, scan.Options{})
	if err != nil {
		t.Fatal(err)
	}
	inOrder, err := scan.Files(context.Background(), m, scan.Options{InOrder: true})
	if err != nil {
		t.Fatal(err)
	}
	if inOrder.Facts != nil || len(inOrder.InOrder) != len(m.Assets) || byName.InOrder != nil {
		t.Fatalf("InOrder: Facts %v, %d facts for %d assets; without: InOrder %v", inOrder.Facts, len(inOrder.InOrder), len(m.Assets), byName.InOrder)
	}
	for i, a := range m.Assets {
		if got, want := inOrder.InOrder[i], byName.Facts[a.Name]; got != want || want.SHA256 == "" {
			t.Errorf("%s: in order %+v, by name %+v", a.Name, got, want)
		}
	}
	if err := os.Remove(m.Assets[2].Path); err != nil {
		t.Fatal(err)
	}
	r, err := scan.Files(context.Background(), m, scan.Options{InOrder: true})
	if err == nil || r == nil {
		t.Fatalf("a removed file: result %v, err %v", r, err)
	}
	if r.InOrder[2].SHA256 != "" || r.InOrder[1].SHA256 == "" || r.InOrder[3].SHA256 == "" {
		t.Errorf("a removed file: facts %+v", r.InOrder)
	}
}
