package planner_test

import (
	"testing"

	"github.com/wxmedia/wxmedia/lockfile"
	"github.com/wxmedia/wxmedia/manifest"
	"github.com/wxmedia/wxmedia/planner"
)

// userPackage returns a brand account manifest with the given audience
// assets.
func userPackageManifest(assets ...*manifest.Asset) *manifest.Manifest {
	return &manifest.Manifest{Path: "wxmedia.yaml", Version: 1,
		Accounts: map[string]*manifest.Account{"brand": {Name: "brand", API: "brand", MchID: "1200000001"}},
		Assets:   assets}
}

func audienceAsset(name, dataType, description string) *manifest.Asset {
	return &manifest.Asset{Name: name, Type: "user_package", Account: "brand", File: "lists/vip.csv",
		Filename: "vip.csv", DataType: dataType, Description: description}
}

func audienceEntry(attrs map[string]string) *lockfile.Entry {
	return &lockfile.Entry{Type: "user_package", Account: "brand", MchID: "1200000001", File: "lists/vip.csv",
		Filename: "vip.csv", Size: 10, SHA256: sumA, ID: "upload-1", Attributes: attrs}
}

// A removed audience entry and a new one with the same bytes but another
// data_type are not a rename: WeChat Pay reads the lines by data_type, so
// the new asset is uploaded.
func TestRenameNeedsSameDataType(t *testing.T) {
	st := lockfile.New()
	st.Assets["vip"] = audienceEntry(map[string]string{planner.AttrDataType: "openid"})
	facts := map[string]planner.FileFacts{"vip_md5": {Size: 10, SHA256: sumA}}

	p, err := planner.Build(userPackageManifest(audienceAsset("vip_md5", "mobile_md5", "")), facts, st, planner.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if c := find(p, "vip_md5"); c == nil || c.Action != planner.Create {
		t.Fatalf("vip_md5: got %+v, want a create", c)
	}
	if c := find(p, "vip"); c == nil || c.Action != planner.Forget {
		t.Fatalf("vip: got %+v, want a forget", c)
	}

	// The same data_type is still a rename.
	p, err = planner.Build(userPackageManifest(audienceAsset("vip_md5", "openid", "")), facts, st, planner.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if c := find(p, "vip_md5"); c == nil || c.Action != planner.Rename {
		t.Fatalf("same data_type: got %+v, want a rename", c)
	}
}

// A changed description replaces the upload; an entry recorded before
// descriptions were recorded does not start replacing.
func TestDescriptionChangeReplaces(t *testing.T) {
	facts := map[string]planner.FileFacts{"vip": {Size: 10, SHA256: sumA}}
	cases := []struct {
		attrs      map[string]string
		manifest   string
		action     planner.Action
		wantReason string
	}{
		{map[string]string{planner.AttrDataType: "openid", planner.AttrDescription: "VIP members"}, "Gold members",
			planner.Replace, "description changed: VIP members → Gold members"},
		{map[string]string{planner.AttrDataType: "openid", planner.AttrDescription: ""}, "Gold members",
			planner.Replace, "description changed: (none) → Gold members"},
		{map[string]string{planner.AttrDataType: "openid", planner.AttrDescription: "VIP members"}, "",
			planner.Replace, "description changed: VIP members → (none)"},
		{map[string]string{planner.AttrDataType: "openid", planner.AttrDescription: "VIP members"}, "VIP members",
			planner.NoOp, "unchanged"},
		// Recorded without a description: absent means unchanged.
		{map[string]string{planner.AttrDataType: "openid"}, "Gold members", planner.NoOp, "unchanged"},
	}
	for _, tc := range cases {
		st := lockfile.New()
		st.Assets["vip"] = audienceEntry(tc.attrs)
		p, err := planner.Build(userPackageManifest(audienceAsset("vip", "openid", tc.manifest)), facts, st, planner.Options{})
		if err != nil {
			t.Fatal(err)
		}
		c := find(p, "vip")
		if c.Action != tc.action || c.Reason != tc.wantReason {
			t.Errorf("recorded %v, manifest %q: got %v %q, want %v %q", tc.attrs, tc.manifest, c.Action, c.Reason, tc.action, tc.wantReason)
		}
	}

	// A rename carries the recorded description along only when it is the
	// same; another description is an upload under the new name.
	st := lockfile.New()
	st.Assets["vip"] = audienceEntry(map[string]string{planner.AttrDataType: "openid", planner.AttrDescription: "VIP members"})
	facts = map[string]planner.FileFacts{"gold": {Size: 10, SHA256: sumA}}
	p, err := planner.Build(userPackageManifest(audienceAsset("gold", "openid", "Gold members")), facts, st, planner.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if c := find(p, "gold"); c == nil || c.Action != planner.Create {
		t.Fatalf("rename with another description: got %+v, want a create", c)
	}
}
