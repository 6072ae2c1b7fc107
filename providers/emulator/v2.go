package emulator

import (
	"bufio"
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"regexp"
	"sort"
	"strings"
)

// PathV2Upload is the legacy v2 image upload (E3, docs/PROTOCOL.md §5). It needs a
// client certificate, so it only works behind StartTLS or ListenAndServeTLS.
const PathV2Upload = "/secapi/mch/uploadmedia"

// v2MaxSize: the v2 limit is "< 2 MB". [ASSUMED] binary megabytes, and a
// file of exactly 2 MiB is refused.
const v2MaxSize = 2*MiB - 1

// maxV2Field caps a plain form field.
const maxV2Field = 1 << 10

// v2 err_code values (docs/PROTOCOL.md §5).
const (
	v2InvalidRequest = "INVALID_REQUEST"
	v2SignError      = "SIGNERROR"
	v2ParamError     = "PARAM_ERROR"
	v2Frequency      = "FREQUENCY_LIMITED"
	v2System         = "SYSTEMERROR"
)

var (
	// [ASSUMED] the regexes v2 fields must match.
	v2MchID     = regexp.MustCompile(`^[0-9]{1,32}$`)
	v2MediaHash = regexp.MustCompile(`^[0-9a-f]{32}$`)
)

// v2Form is the parsed uploadmedia body.
type v2Form struct {
	fields   map[string]string
	hasMedia bool
	filename string
	size     int64
	md5      string
	sha256   string
	head     []byte
}

// v2Reply is one XML answer. The v2 endpoint always answers HTTP 200.
// [ASSUMED] protocol-level problems (no certificate, wrong method, a body
// that cannot be parsed, an unknown mch_id whose key could sign nothing)
// are return_code FAIL with the reason in return_msg; everything else is
// return_code SUCCESS, result_code FAIL with err_code, signed.
type v2Reply struct {
	q        *request
	m        *Merchant
	signType string
}

func (rp *v2Reply) fail(msg string) {
	rp.send([][2]string{{"return_code", "FAIL"}, {"return_msg", msg}}, false)
}

func (rp *v2Reply) bizFail(code, des string) {
	rp.send([][2]string{{"return_code", "SUCCESS"}, {"return_msg", "OK"}, {"result_code", "FAIL"},
		{"err_code", code}, {"err_code_des", des}}, true)
}

func (rp *v2Reply) success(mediaID string) {
	rp.send([][2]string{{"return_code", "SUCCESS"}, {"return_msg", "OK"}, {"result_code", "SUCCESS"},
		{"media_id", mediaID}}, true)
}

// send writes the fields as CDATA elements, appending sign when asked.
func (rp *v2Reply) send(fields [][2]string, sign bool) {
	if sign && rp.m != nil {
		kv := map[string]string{}
		for _, f := range fields {
			kv[f[0]] = f[1]
		}
		fields = append(fields, [2]string{"sign", v2Sign(kv, rp.m.APIKey, rp.signType)})
	}
	var b strings.Builder
	b.WriteString("<xml>")
	for _, f := range fields {
		b.WriteString("<" + f[0] + "><![CDATA[")
		b.WriteString(strings.ReplaceAll(f[1], "]]>", "]]]]><![CDATA[>"))
		b.WriteString("]]></" + f[0] + ">")
	}
	b.WriteString("</xml>")
	rp.q.write(http.StatusOK, "text/xml; charset=utf-8", []byte(b.String()))
}

// v2Sign computes the v2 signature (docs/PROTOCOL.md §2): the non-empty fields but
// sign, sorted by name, joined as k=v&..., then &key=APIKEY; MD5 or
// HMAC-SHA256 (keyed with the API key), upper-case hex.
func v2Sign(fields map[string]string, apiKey, signType string) string {
	keys := make([]string, 0, len(fields))
	for k, v := range fields {
		if k != "sign" && v != "" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		b.WriteString(k + "=" + fields[k] + "&")
	}
	b.WriteString("key=" + apiKey)
	if signType == "HMAC-SHA256" {
		mac := hmac.New(sha256.New, []byte(apiKey))
		mac.Write([]byte(b.String()))
		return strings.ToUpper(hex.EncodeToString(mac.Sum(nil)))
	}
	sum := md5.Sum([]byte(b.String()))
	return strings.ToUpper(hex.EncodeToString(sum[:]))
}

// serveV2 handles POST /secapi/mch/uploadmedia.
func (s *Server) serveV2(q *request) {
	r := q.r
	rp := &v2Reply{q: q, signType: "MD5"}
	if r.TLS == nil || len(r.TLS.PeerCertificates) == 0 {
		rp.fail("Certificate is required")
		return
	}
	if r.Method != http.MethodPost {
		rp.fail("INVALID_REQUEST: the request method must be POST")
		return
	}
	mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/form-data" || params["boundary"] == "" {
		rp.fail("INVALID_REQUEST: the body must be multipart/form-data")
		return
	}
	form, msg := readV2Form(http.MaxBytesReader(q.w, r.Body, v2MaxSize+bodySlack), params["boundary"])
	if msg != "" {
		rp.fail(msg)
		return
	}
	mchID := form.fields["mch_id"]
	m := s.merchant(mchID, APIV2)
	if m == nil {
		rp.fail("PARAM_ERROR: mch_id is wrong")
		return
	}
	rp.m = m
	switch st := form.fields["sign_type"]; st {
	case "", "MD5":
	case "HMAC-SHA256":
		rp.signType = st
	default:
		rp.bizFail(v2ParamError, "sign_type must be MD5 or HMAC-SHA256")
		return
	}
	if q.fault.fail {
		rp.bizFail(v2System, "system error (injected fault)")
		return
	}
	if q.fault.throttle {
		rp.bizFail(v2Frequency, "frequency limited (injected fault)")
		return
	}
	// [ASSUMED] the client certificate must be the merchant's own (its
	// serial is Merchant.SerialNo).
	if cert := r.TLS.PeerCertificates[0]; !strings.EqualFold(certSerial(cert), m.SerialNo) {
		rp.bizFail(v2InvalidRequest, "the client certificate does not belong to mch_id "+mchID)
		return
	}
	if e := s.allow(m); e != nil {
		rp.bizFail(v2Frequency, e.msg)
		return
	}
	if !v2MchID.MatchString(mchID) {
		rp.bizFail(v2ParamError, "mch_id fails validation")
		return
	}
	if form.fields["sign"] == "" {
		rp.bizFail(v2SignError, "sign is missing")
		return
	}
	signed := map[string]string{}
	for k, v := range form.fields {
		signed[k] = v
	}
	if want := v2Sign(signed, m.APIKey, rp.signType); form.fields["sign"] != want {
		rp.bizFail(v2SignError, "signature check failed")
		return
	}
	mh := form.fields["media_hash"]
	switch {
	case !v2MediaHash.MatchString(mh):
		rp.bizFail(v2ParamError, "media_hash must be 32 lowercase hex digits (MD5 of the file)")
	case !form.hasMedia:
		rp.bizFail(v2ParamError, "the media file field is missing")
	case imageFormats[extOf(form.filename)] == nil:
		rp.bizFail(v2ParamError, "image format is wrong: only jpg, jpeg, bmp and png are accepted")
	case form.size == 0:
		rp.bizFail(v2ParamError, "the image is empty")
	case form.size > v2MaxSize:
		rp.bizFail(v2ParamError, "the image must be smaller than 2 MB")
	case !imageFormats[extOf(form.filename)](form.head):
		rp.bizFail(v2ParamError, "image format is wrong: the content does not match the extension")
	case mh != form.md5:
		rp.bizFail(v2ParamError, "media_hash does not match the file")
	default:
		id, e := s.issue(m, PathV2Upload, form.sha256, form.filename, func() string { return newMediaID("") }, true)
		if e != nil {
			rp.bizFail(v2Frequency, e.msg)
			return
		}
		rp.success(id)
	}
}

// readV2Form reads the plain fields and the media file (fields in any
// order). A non-empty string is a protocol-level failure.
func readV2Form(body io.Reader, boundary string) (*v2Form, string) {
	br := bufio.NewReaderSize(body, 4096)
	if e := checkCRLF(br, boundary); e != nil {
		return nil, "INVALID_REQUEST: " + e.msg
	}
	mr := multipart.NewReader(br, boundary)
	f := &v2Form{fields: map[string]string{}}
	for {
		p, err := mr.NextRawPart()
		if err == io.EOF {
			return f, ""
		}
		if err != nil {
			return nil, "INVALID_REQUEST: " + readError(err, "malformed multipart body").msg
		}
		disp, dp, err := mime.ParseMediaType(p.Header.Get("Content-Disposition"))
		name := dp["name"]
		if err != nil || disp != "form-data" || name == "" {
			return nil, "INVALID_REQUEST: a part has no valid Content-Disposition"
		}
		if name == "media" {
			if f.hasMedia {
				return nil, "INVALID_REQUEST: the media field appears twice"
			}
			f.hasMedia = true
			f.filename = dp["filename"]
			hm, hs, head := md5.New(), sha256.New(), &headWriter{}
			n, err := io.Copy(io.MultiWriter(hm, hs, head), io.LimitReader(p, v2MaxSize+1))
			if err != nil {
				return nil, "INVALID_REQUEST: " + readError(err, "reading media").msg
			}
			f.size, f.md5, f.sha256, f.head = n, hexLower(hm.Sum(nil)), hexLower(hs.Sum(nil)), head.b
			if n > v2MaxSize {
				return f, "" // reported as PARAM_ERROR once the merchant is known
			}
			continue
		}
		v, err := io.ReadAll(io.LimitReader(p, maxV2Field+1))
		if err != nil {
			return nil, "INVALID_REQUEST: " + readError(err, "reading field "+name).msg
		}
		if len(v) > maxV2Field {
			return nil, "INVALID_REQUEST: field " + name + " is too long"
		}
		if _, dup := f.fields[name]; dup {
			return nil, "INVALID_REQUEST: field " + name + " appears twice"
		}
		f.fields[name] = string(v)
	}
}
