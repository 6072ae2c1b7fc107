package main

import (
	"os"
	"path/filepath"
	"testing"
)

func TestMediaID(t *testing.T) {
	p := filepath.Join(t.TempDir(), "wxmedia.lock.json")
	os.WriteFile(p, []byte(`{"version":1,"lineage":"6f1c0c1e-0000-4000-8000-000000000000","serial":1,
"assets":{"storefront":{"type":"image","account":"shop","mchid":"1","file":"a.jpg","filename":"a.jpg","size":1,
"sha256":"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08","id":"MEDIA_ID"}},"pending":{}}`), 0o644)
	if id, err := mediaID(p, "storefront"); err != nil || id != "MEDIA_ID" {
		t.Errorf("mediaID = %q, %v", id, err)
	}
	if _, err := mediaID(p, "nosuch"); err == nil {
		t.Error("a missing asset gave no error")
	}
}
