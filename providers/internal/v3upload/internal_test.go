package v3upload

import (
	"strings"
	"testing"

	"github.com/wxmedia/wxmedia/mediatype"
	"github.com/wxmedia/wxmedia/signing"
)

func TestMultipartFrame(t *testing.T) {
	prefix, suffix, ct := multipartFrame([]byte(`{"filename":"x.jpg","sha256":"ab"}`), "x.jpg")
	b := ct[len("multipart/form-data; boundary="):]
	wantPrefix := "--" + b + "\r\nContent-Disposition: form-data; name=\"meta\";\r\nContent-Type: application/json\r\n\r\n" +
		`{"filename":"x.jpg","sha256":"ab"}` + "\r\n--" + b + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"x.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n"
	if string(prefix) != wantPrefix {
		t.Errorf("prefix = %q, want %q", prefix, wantPrefix)
	}
	if want := "\r\n--" + b + "--\r\n"; string(suffix) != want {
		t.Errorf("suffix = %q, want %q", suffix, want)
	}
}

func TestInvalidRequestHintLeadsWithLikelyCause(t *testing.T) {
	for _, tc := range []struct{ msg, typ, want string }{
		{"Wechatpay-Serial is not the key of this merchant", "image", "check that wechatpay_public_key_id"},
		{"file size exceeds the limit", "global_file", "check the file's type (pdf, jpg, bmp, png), size"},
		{"business rule", "image", "check that the file's type, size and digest"},
	} {
		if got := hint(400, "INVALID_REQUEST", tc.msg, tc.typ); !strings.HasPrefix(got, tc.want) {
			t.Errorf("hint(%q, %s) = %q, want it to start %q", tc.msg, tc.typ, got, tc.want)
		}
	}
}

// TestEndpointFor: a multipart endpoint takes its path, ID field and ID
// bounds from package mediatype, and its scheme and digest key from the
// account api.
func TestEndpointFor(t *testing.T) {
	for _, typ := range []string{"image", "video", "global_file", "marketing_image", "brand_image"} {
		mt := mediatype.Lookup(typ)
		ep := EndpointFor(mt)
		if ep.Type != typ || ep.Path != mt.Path || ep.IDField != mt.IDField || ep.String() != mt.Endpoint {
			t.Errorf("%s: endpoint %+v disagrees with mediatype %+v", typ, ep, mt)
		}
		wantScheme, wantDigest := signing.SchemeV3, "sha256"
		if mt.API == "brand" {
			wantScheme = signing.SchemeBrand
		}
		if mt.API == "global" {
			wantDigest = "digest"
		}
		if ep.Scheme != wantScheme || ep.DigestKey != wantDigest {
			t.Errorf("%s: scheme %q digest key %q, want %q %q", typ, ep.Scheme, ep.DigestKey, wantScheme, wantDigest)
		}
		if ep.IDMinLen != mt.ID().Min || ep.IDMaxLen != mt.ID().Max || ep.IDMinLen < 1 {
			t.Errorf("%s: ID length %d..%d, mediatype says %s", typ, ep.IDMinLen, ep.IDMaxLen, mt.ID())
		}
	}
}
