package manifest

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The node budget guards against alias bombs; a manifest that simply
// declares many assets holds every node it makes the validator visit, so
// it is accepted however large, and a budget that does run out is
// reported once, without a "missing" error for each asset it cut short.
func TestManyDeclaredAssetsFitTheBudget(t *testing.T) {
	defer func(n int) { nodeBudget = n }(nodeBudget)
	nodeBudget = 2_000
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "a.png"), []byte(pngData), 0o644); err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	b.WriteString("version: 1\naccounts:\n  shop: {api: v3, mchid: \"1900000001\", endpoint: sandbox}\nassets:\n")
	for i := range 1000 { // ~5 nodes visited each: 2.5 × the budget
		fmt.Fprintf(&b, "  a%d: {type: image, account: shop, file: a.png}\n", i)
	}
	m, err := Parse("wxmedia.yaml", []byte(b.String()), dir)
	if err != nil {
		t.Fatalf("1,000 declared assets rejected: %.500v", err)
	}
	if len(m.Assets) != 1000 {
		t.Errorf("%d assets, want 1000", len(m.Assets))
	}

	// An alias bomb small in text still hits the limit: one message,
	// naming it, and no per-asset "missing" noise.
	var bb strings.Builder
	bb.WriteString("version: 1\naccounts:\n  shop: {api: v3, mchid: \"1900000001\", endpoint: sandbox}\nassets:\n  a0: &x {type: image, account: shop, file: a.png, <<: [")
	bb.WriteString(strings.Repeat("{k: v}, ", 10))
	bb.WriteString("]}\n")
	for i := 1; i < 400; i++ {
		fmt.Fprintf(&bb, "  a%d: {<<: [*x, *x, *x, *x, *x, *x, *x, *x]}\n", i)
	}
	_, err = Parse("wxmedia.yaml", []byte(bb.String()), dir)
	if err == nil || !strings.Contains(err.Error(), "too complex") || !strings.Contains(err.Error(), "nodes") {
		t.Fatalf("alias bomb: %.500v", err)
	}
	if strings.Contains(err.Error(), "missing") {
		t.Errorf("the exhausted budget also produced \"missing\" errors:\n%.800v", err)
	}
}

// Glob matches are not YAML nodes: a glob expanding to many more files
// than the node budget is accepted (a manifest whose glob matched
// 1,000,000 files validated; BENCHMARKS.md).
func TestGlobMatchesDoNotCountAgainstTheBudget(t *testing.T) {
	defer func(n int) { nodeBudget = n }(nodeBudget)
	nodeBudget = 50
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "media"), 0o755); err != nil {
		t.Fatal(err)
	}
	for i := range 500 {
		if err := os.WriteFile(filepath.Join(dir, "media", fmt.Sprintf("%03d.png", i)), []byte(pngData), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	m, err := Parse("wxmedia.yaml", []byte("version: 1\naccounts:\n  shop: {api: v3, mchid: \"1900000001\", endpoint: sandbox}\nassets:\n  pics: {type: image, account: shop, glob: media/*.png}\n"), dir)
	if err != nil {
		t.Fatalf("a 500-file glob with a 50-node budget: %.300v", err)
	}
	if len(m.Assets) != 500 {
		t.Errorf("%d assets, want 500", len(m.Assets))
	}
}
