package emulator

import (
	"regexp"
	"strings"
	"testing"
)

func mp4Bytes(n int) []byte {
	b := pngBytes(n)
	copy(b, "\x00\x00\x00\x18ftypmp42")
	return b
}

func TestOtherMultipartEndpoints(t *testing.T) {
	s := newTestServer(t, Config{})
	keys := Sandbox()
	v3, global, brand := newSigner(t, keys.V3), newSigner(t, keys.Global), newSigner(t, keys.Brand)
	req := func(path, key, filename, ctype string, content []byte) uploadReq {
		return uploadReq{path: path, meta: metaJSON(filename, key, sha256Hex(content)), filename: filename, fileType: ctype, content: content}
	}
	pdf := append([]byte("%PDF-1.7\n"), pngBytes(100)...)
	for _, tc := range []struct {
		name  string
		c     *signer
		u     uploadReq
		field string
		re    string
	}{
		{"video mp4", v3, req(PathVideoUpload, "sha256", "v.mp4", "video/mp4", mp4Bytes(3*MiB)), "media_id", `^[A-Za-z0-9_-]{60}$`},
		{"video 5 MiB", v3, req(PathVideoUpload, "sha256", "v.m4v", "video/mp4", mp4Bytes(5*MiB)), "media_id", `^[A-Za-z0-9_-]{60}$`},
		{"video avi", v3, req(PathVideoUpload, "sha256", "v.AVI", "video/x-msvideo", append([]byte("RIFF\x00\x00\x00\x00AVI LIST"), pngBytes(20)...)), "media_id", `.`},
		{"video mkv", v3, req(PathVideoUpload, "sha256", "v.mkv", "video/x-matroska", append([]byte("\x1a\x45\xdf\xa3"), pngBytes(20)...)), "media_id", `.`},
		{"global pdf", global, req(PathGlobalUpload, "digest", "f.pdf", "application/pdf", pdf), "file_id", `^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`},
		{"global via image endpoint", global, req(PathImageUpload, "sha256", "f.png", "image/png", pngBytes(100)), "media_id", `.`},
		{"marketing", v3, req(PathMarketingUpload, "sha256", "m.JPG", "image/jpeg", jpegBytes(100)), "media_url", `^https://sandbox\.wxmedia\.invalid/marketing/[A-Za-z0-9_-]{60}\.jpg$`},
		{"brand image", brand, func() uploadReq {
			u := req(PathBrandImage, "sha256", "b.png", "image/png", pngBytes(100))
			u.wpSerial = SandboxWechatPayKeyID
			return u
		}(), "image_url", `^https://sandbox\.wxmedia\.invalid/brand/[A-Za-z0-9_-]{60}\.png$`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := wantOK(t, do(s, tc.c.request(tc.u)))
			id, _ := m[tc.field].(string)
			if !regexp.MustCompile(tc.re).MatchString(id) {
				t.Errorf("%s = %q, want match for %s", tc.field, id, tc.re)
			}
			last := s.Issued()[len(s.Issued())-1]
			if last.ID != id || last.Endpoint != tc.u.path || last.SHA256 != sha256Hex(tc.u.content) {
				t.Errorf("Issued = %+v", last)
			}
		})
	}

	for _, tc := range []struct {
		name      string
		c         *signer
		u         uploadReq
		status    int
		code, msg string
	}{
		{"video too large", v3, req(PathVideoUpload, "sha256", "v.mp4", "video/mp4", mp4Bytes(5*MiB+1)), 400, "PARAM_ERROR", "larger"},
		{"video not a video", v3, req(PathVideoUpload, "sha256", "v.mp4", "video/mp4", pngBytes(100)), 400, "PARAM_ERROR", "not a video"},
		{"video image ext", v3, req(PathVideoUpload, "sha256", "v.png", "image/png", pngBytes(100)), 400, "PARAM_ERROR", "extension"},
		{"global sha256 key", global, req(PathGlobalUpload, "sha256", "f.png", "image/png", pngBytes(100)), 400, "INVALID_REQUEST", "meta key sha256 is not accepted: send the file's SHA-256 as digest"},
		{"global jpeg ext", global, req(PathGlobalUpload, "digest", "f.jpeg", "image/jpeg", jpegBytes(100)), 400, "INVALID_REQUEST", "extension"},
		{"global too large", global, req(PathGlobalUpload, "digest", "f.png", "image/png", pngBytes(5*MiB+1)), 400, "INVALID_REQUEST", "larger"},
		{"global digest mismatch", global, func() uploadReq {
			u := req(PathGlobalUpload, "digest", "f.png", "image/png", pngBytes(100))
			u.meta = metaJSON("f.png", "digest", sha256Hex(pngBytes(99)))
			return u
		}(), 400, "INVALID_REQUEST", "does not match"},
		{"global short digest", global, func() uploadReq {
			u := req(PathGlobalUpload, "digest", "f.png", "image/png", pngBytes(100))
			u.meta = metaJSON("f.png", "digest", "abc")
			return u
		}(), 400, "INVALID_REQUEST", "64 hex"},
		{"global content type", global, req(PathGlobalUpload, "digest", "f.png", "application/octet-stream", pngBytes(100)), 400, "INVALID_REQUEST", "Content-Type"},
		{"global by v3 merchant", v3, req(PathGlobalUpload, "digest", "f.png", "image/png", pngBytes(100)), 403, "NO_AUTH", ""},
		{"global filename 257", global, req(PathGlobalUpload, "digest", strings.Repeat("a", 253)+".png", "image/png", pngBytes(100)), 400, "INVALID_REQUEST", "1 to 256"},
		{"marketing not an image", v3, req(PathMarketingUpload, "sha256", "m.png", "image/png", []byte("text")), 400, "PARAM_ERROR", "not an image"},
		{"brand without Wechatpay-Serial", brand, req(PathBrandImage, "sha256", "b.png", "image/png", pngBytes(100)), 400, "INVALID_REQUEST", "required"},
		{"brand with v3 scheme", v3, func() uploadReq {
			u := req(PathBrandImage, "sha256", "b.png", "image/png", pngBytes(100))
			u.wpSerial = SandboxWechatPayKeyID
			return u
		}(), 401, "SIGN_ERROR", "scheme"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantError(t, do(s, tc.c.request(tc.u)), tc.status, tc.code, tc.msg)
		})
	}
}
