package registry_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/wxmedia/wxmedia/mediatype"
	"github.com/wxmedia/wxmedia/providers"
	"github.com/wxmedia/wxmedia/providers/registry"
)

// TestRegistryMatchesMediatype: every type validate and plan know has
// exactly one provider, and each descriptor takes its api, endpoint and
// ID field from that type's mediatype entry.
func TestRegistryMatchesMediatype(t *testing.T) {
	if got, want := registry.Types(), mediatype.Names(); !slices.Equal(got, want) {
		t.Fatalf("registry types %v, mediatype types %v: register a provider for each type", got, want)
	}
	for _, d := range registry.All() {
		mt := mediatype.Lookup(d.Type())
		if d.Media != mt {
			t.Errorf("%s: descriptor does not link its mediatype entry", d.Type())
		}
		if d.API() != mt.API || d.Endpoint() != mt.Endpoint || d.IDField() != mt.IDField || d.New == nil {
			t.Errorf("%s: descriptor api %q endpoint %q id %q", d.Type(), d.API(), d.Endpoint(), d.IDField())
		}
		if !strings.HasPrefix(d.Endpoint(), "POST "+mt.Path) {
			t.Errorf("%s: endpoint %q does not start with its path %q", d.Type(), d.Endpoint(), mt.Path)
		}
	}
}

func TestNewUnsupportedType(t *testing.T) {
	_, err := registry.New("gif", &providers.Account{}, "")
	if !errors.Is(err, providers.ErrUnsupportedType) {
		t.Fatalf("err = %v, want ErrUnsupportedType", err)
	}
	if msg := err.Error(); !strings.Contains(msg, "type gif") || !strings.Contains(msg, "this build supports: brand_image, global_file, image,") {
		t.Errorf("message %q does not name the type and list the supported ones", msg)
	}
}

// TestNewLeavesAccountAlone: the User-Agent is set on the uploader's own
// copy; the account, shared by every type's uploader, is not written.
func TestNewLeavesAccountAlone(t *testing.T) {
	acct := &providers.Account{Name: "shop"}
	for _, typ := range registry.Types() {
		u, err := registry.New(typ, acct, "wxmedia/9.9.9")
		if err != nil || u == nil {
			t.Fatalf("New(%s) = %v, %v", typ, u, err)
		}
	}
	if acct.UserAgent != "" {
		t.Errorf("account UserAgent = %q, want it untouched", acct.UserAgent)
	}
}
