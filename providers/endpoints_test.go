package providers_test

import (
	"testing"

	"github.com/wxmedia/wxmedia/mediatype"
	"github.com/wxmedia/wxmedia/providers"
	"github.com/wxmedia/wxmedia/providers/brandimage"
	"github.com/wxmedia/wxmedia/providers/globalfile"
	"github.com/wxmedia/wxmedia/providers/marketingimage"
	"github.com/wxmedia/wxmedia/providers/v3image"
	"github.com/wxmedia/wxmedia/providers/v3upload"
	"github.com/wxmedia/wxmedia/providers/v3video"
	"github.com/wxmedia/wxmedia/signing"
)

// TestEndpointsMatchMediatype keeps each multipart endpoint in step with the
// rules in package mediatype, which validate and plan use.
func TestEndpointsMatchMediatype(t *testing.T) {
	for typ, newClient := range map[string]func(*providers.Account) *v3upload.Client{
		"image":           v3image.New,
		"video":           v3video.New,
		"global_file":     globalfile.New,
		"marketing_image": marketingimage.New,
		"brand_image":     brandimage.New,
	} {
		t.Run(typ, func(t *testing.T) {
			ep := newClient(&providers.Account{}).Endpoint()
			mt := mediatype.Lookup(ep.Type)
			if mt == nil || ep.Type != typ {
				t.Fatalf("endpoint type %q, want %s (known to mediatype)", ep.Type, typ)
			}
			if ep.IDField != mt.IDField {
				t.Errorf("IDField = %q, mediatype says %q", ep.IDField, mt.IDField)
			}
			if ep.String() != mt.Endpoint {
				t.Errorf("endpoint %q, mediatype says %q", ep.String(), mt.Endpoint)
			}
			wantScheme, wantDigest := signing.SchemeV3, "sha256"
			if mt.API == "brand" {
				wantScheme = signing.SchemeBrand
			}
			if mt.API == "global" {
				wantDigest = "digest"
			}
			if ep.Scheme != wantScheme {
				t.Errorf("Scheme = %q, want %q for api %s", ep.Scheme, wantScheme, mt.API)
			}
			if ep.DigestKey != wantDigest || ep.IDMinLen < 1 || ep.IDMaxLen < ep.IDMinLen {
				t.Errorf("DigestKey %q, ID length %d..%d", ep.DigestKey, ep.IDMinLen, ep.IDMaxLen)
			}
		})
	}
}
