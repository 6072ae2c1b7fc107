package emulator

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// brandCall sends a signed brand JSON request.
func brandCall(s *Server, c *signer, method, path string, body []byte) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, path, bytes.NewReader(body))
	if len(body) > 0 {
		r.Header.Set("Content-Type", "application/json")
	}
	r.Header.Set("Accept", "application/json")
	r.Header.Set("Wechatpay-Serial", SandboxWechatPayKeyID)
	r.Header.Set("Authorization", c.authorization(method, path, body))
	return do(s, r)
}

func partBody(filename string, data []byte) []byte {
	b, _ := json.Marshal(map[string]any{"file": data, "file_meta": map[string]string{"filename": filename, "digest": sha256Hex(data)}})
	return b
}

func TestUserPackageSession(t *testing.T) {
	s := newTestServer(t, Config{PartSize: 10})
	keys := Sandbox()
	c := newSigner(t, keys.Brand)
	file := []byte("openid_0001\nopenid_0002\n") // 24 bytes: parts of 10, 10, 4
	initBody := []byte(fmt.Sprintf(`{"user_package_file_info":{"filename":"users.csv","digest":%q,"file_size":%d,"file_type":"CSV","data_type":"OPENID"}}`, sha256Hex(file), len(file)))
	m := wantOK(t, brandCall(s, c, "POST", PathUserPackageUploads, initBody))
	id, _ := m["upload_id"].(string)
	if len(id) != 76 || m["part_size"] != 10.0 || m["part_count"] != 3.0 {
		t.Fatalf("init answered %v", m)
	}
	part := func(n int) []byte { return file[(n-1)*10 : min(n*10, len(file))] }
	partPath := func(n int) string { return fmt.Sprintf("%s/%s/%d", PathUserPackageUploads, id, n) }
	mergePath := PathUserPackageUploads + "/" + id

	m = wantOK(t, brandCall(s, c, "PUT", partPath(1), partBody("users.csv", part(1))))
	if m["return_message"] != "success" || m["part_number"] != 1.0 {
		t.Errorf("PUT part 1 answered %v", m)
	}
	wantError(t, brandCall(s, c, "POST", mergePath, nil), 400, "INVALID_REQUEST", "missing parts 2,3")
	wantOK(t, brandCall(s, c, "PUT", partPath(1), partBody("users.csv", part(1)))) // identical re-PUT
	wantError(t, brandCall(s, c, "PUT", partPath(2), partBody("users.csv", part(3))), 400, "INVALID_REQUEST", "exactly 10 bytes")
	wantError(t, brandCall(s, c, "PUT", partPath(4), partBody("users.csv", part(3))), 400, "INVALID_REQUEST", "outside 1..3")
	wantError(t, brandCall(s, c, "PUT", partPath(2), partBody("other.csv", part(2))), 400, "INVALID_REQUEST", "not the session")
	bad := []byte(strings.Replace(string(partBody("users.csv", part(2))), sha256Hex(part(2)), sha256Hex(part(1)), 1))
	wantError(t, brandCall(s, c, "PUT", partPath(2), bad), 400, "INVALID_REQUEST", "digest does not match")
	wantError(t, brandCall(s, c, "PUT", PathUserPackageUploads+"/nope/1", partBody("users.csv", part(1))), 404, "NOT_FOUND", "")
	wantError(t, brandCall(s, c, "PUT", PathUserPackageUploads+"/"+id+"/x", partBody("users.csv", part(1))), 400, "PARAM_ERROR", "integer")
	wantError(t, brandCall(s, c, "PUT", partPath(2), []byte(`{"file":[1,2],"file_meta":{}}`)), 400, "PARAM_ERROR", "")

	wantOK(t, brandCall(s, c, "PUT", partPath(3), partBody("users.csv", part(3))))
	wantOK(t, brandCall(s, c, "PUT", partPath(2), partBody("users.csv", part(2))))
	m = wantOK(t, brandCall(s, c, "POST", mergePath, nil))
	rid, _ := m["resource_id"].(string)
	if m["upload_id"] != id || rid == "" {
		t.Errorf("merge answered %v", m)
	}
	m = wantOK(t, brandCall(s, c, "POST", mergePath, nil))
	if m["resource_id"] != rid {
		t.Errorf("second merge answered %v, want the same resource_id %s", m, rid)
	}
	wantOK(t, brandCall(s, c, "PUT", partPath(3), partBody("users.csv", part(3)))) // identical after merge
	iss := s.Issued()
	if len(iss) != 2 || iss[0].ID != id || iss[1].ID != rid || iss[0].SHA256 != sha256Hex(file) {
		t.Errorf("Issued() = %+v", iss)
	}

	// Errors common to every session call.
	wantError(t, brandCall(s, c, "POST", PathUserPackageUploads, []byte(`{"user_package_file_info":{"filename":"a b.csv"}}`)), 400, "PARAM_ERROR", "filename")
	wantError(t, brandCall(s, c, "POST", PathUserPackageUploads, []byte(`{}`)), 400, "PARAM_ERROR", "required")
	info := func(extra string) []byte {
		return []byte(fmt.Sprintf(`{"user_package_file_info":{"filename":"users.csv","digest":%q,"file_size":%d%s}}`, sha256Hex(file), len(file), extra))
	}
	wantError(t, brandCall(s, c, "POST", PathUserPackageUploads, info(``)), 400, "PARAM_ERROR", "data_type must be OPENID or MOBILE_MD5")
	wantError(t, brandCall(s, c, "POST", PathUserPackageUploads, info(`,"data_type":"openid"`)), 400, "PARAM_ERROR", "data_type must be OPENID or MOBILE_MD5")
	wantError(t, brandCall(s, c, "POST", PathUserPackageUploads, info(`,"data_type":"OPENID","file_type":"TXT"`)), 400, "PARAM_ERROR", "file_type must be CSV")
	wantError(t, brandCall(s, c, "POST", PathUserPackageUploads, []byte(fmt.Sprintf(`{"user_package_file_info":{"filename":"users.txt","digest":%q,"file_size":%d,"data_type":"OPENID"}}`, sha256Hex(file), len(file)))), 400, "PARAM_ERROR", "CSV")
	wantError(t, brandCall(s, c, "GET", mergePath, nil), 400, "INVALID_REQUEST", "GET")
	r := httptest.NewRequest("POST", PathUserPackageUploads, bytes.NewReader(initBody))
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("Authorization", c.authorization("POST", PathUserPackageUploads, initBody))
	wantError(t, do(s, r), 400, "INVALID_REQUEST", "Wechatpay-Serial")
	r.Header.Set("Wechatpay-Serial", SandboxWechatPayKeyID)
	r.Body = http.NoBody
	wantError(t, do(s, r), 401, "SIGN_ERROR", "signature")
	wantError(t, brandCall(s, newSigner(t, keys.V3), "POST", PathUserPackageUploads, initBody), 401, "SIGN_ERROR", "scheme")

	// Digest of the whole file is checked at merge.
	m = wantOK(t, brandCall(s, c, "POST", PathUserPackageUploads, []byte(fmt.Sprintf(`{"user_package_file_info":{"filename":"u.csv","digest":%q,"file_size":4,"data_type":"MOBILE_MD5"}}`, sha256Hex([]byte("abcd"))))))
	id2 := m["upload_id"].(string)
	wantOK(t, brandCall(s, c, "PUT", PathUserPackageUploads+"/"+id2+"/1", partBody("u.csv", []byte("abce"))))
	wantError(t, brandCall(s, c, "POST", PathUserPackageUploads+"/"+id2, nil), 400, "INVALID_REQUEST", "does not match")
}

func TestUserPackageRateLimitCode(t *testing.T) {
	s := newTestServer(t, Config{Faults: Faults{ThrottleRate: 1}})
	c := newSigner(t, Sandbox().Brand)
	w := brandCall(s, c, "POST", PathUserPackageUploads, []byte(`{}`))
	wantError(t, w, 429, "RATELIMIT_EXCEEDED", "")
	if w.Header().Get("Retry-After") != "1" {
		t.Errorf("Retry-After = %q", w.Header().Get("Retry-After"))
	}
}
