package brandimage

import (
	"testing"

	"github.com/wxmedia/wxmedia/mediatype"
	"github.com/wxmedia/wxmedia/providers"
	"github.com/wxmedia/wxmedia/signing"
)

// TestEndpointMatchesMediatype keeps the endpoint in step with the rules
// in package mediatype, which validate and plan use.
func TestEndpointMatchesMediatype(t *testing.T) {
	ep := New(&providers.Account{}).Endpoint()
	mt := mediatype.Lookup(ep.Type)
	if mt == nil || ep.Type != "brand_image" {
		t.Fatalf("endpoint type %q, want brand_image (known to mediatype)", ep.Type)
	}
	if ep.IDField != mt.IDField {
		t.Errorf("IDField = %q, mediatype says %q", ep.IDField, mt.IDField)
	}
	if ep.String() != mt.Endpoint {
		t.Errorf("endpoint %q, mediatype says %q", ep.String(), mt.Endpoint)
	}
	wantScheme := signing.SchemeV3
	if mt.API == "brand" {
		wantScheme = signing.SchemeBrand
	}
	if ep.Scheme != wantScheme {
		t.Errorf("Scheme = %q, want %q for api %s", ep.Scheme, wantScheme, mt.API)
	}
	wantDigest := "sha256"
	if mt.API == "global" {
		wantDigest = "digest"
	}
	if ep.DigestKey != wantDigest || ep.IDMinLen < 1 || ep.IDMaxLen < ep.IDMinLen {
		t.Errorf("DigestKey %q, ID length %d..%d", ep.DigestKey, ep.IDMinLen, ep.IDMaxLen)
	}
}
