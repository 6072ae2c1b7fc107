package signing

import (
	"errors"
	"strings"
	"testing"
)

// The APIv2 key below is a made-up test value.
const testAPIKey = "192006250b4c09247ec02edce69f6a2d"

func TestSignV2KnownAnswers(t *testing.T) {
	tests := []struct {
		name     string
		params   map[string]string
		signType string
		exclude  []string
		// want was computed in the shell, e.g.
		//   printf 'mch_id=1000000000&media_hash=d41d8cd98f00b204e9800998ecf8427e&key=<key>' | md5sum
		//   printf '...&sign_type=HMAC-SHA256&key=<key>' | openssl dgst -sha256 -hmac <key>
		// then upper-cased.
		want string
	}{
		{
			name: "md5 default, media excluded, empty and sign left out",
			params: map[string]string{
				"mch_id": "1000000000", "media_hash": "d41d8cd98f00b204e9800998ecf8427e",
				"media": "binary data", "sign": "OLD", "nonce": "",
			},
			exclude: []string{"media"},
			want:    "2313EAFDE3F2FE44BFEF60E987F54847",
		},
		{
			name: "md5 explicit",
			params: map[string]string{
				"mch_id": "1000000000", "media_hash": "d41d8cd98f00b204e9800998ecf8427e",
			},
			signType: "MD5",
			want:     "2313EAFDE3F2FE44BFEF60E987F54847",
		},
		{
			name: "hmac-sha256 includes sign_type",
			params: map[string]string{
				"mch_id": "1000000000", "media_hash": "d41d8cd98f00b204e9800998ecf8427e",
				"sign_type": "HMAC-SHA256", "media": "x",
			},
			signType: "HMAC-SHA256",
			exclude:  []string{"media"},
			want:     "90BF202610042660A20B269AB531C37273ACBE4335E374FFEF869B83ACF2BC16",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := SignV2(tc.params, testAPIKey, tc.signType, tc.exclude...)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("SignV2() = %s, want %s", got, tc.want)
			}
		})
	}
}

func TestSignV2Errors(t *testing.T) {
	if _, err := SignV2(map[string]string{"a": "b"}, testAPIKey, "SHA1"); err == nil || !strings.Contains(err.Error(), `unknown v2 sign_type "SHA1"`) {
		t.Errorf("SignV2(SHA1) error = %v", err)
	}
	if _, err := SignV2(map[string]string{"a": "b"}, "", "MD5"); err == nil {
		t.Error("SignV2 with empty key: want error")
	}
}

func TestVerifyV2(t *testing.T) {
	// A v2 uploadmedia success response; sign computed with
	//   printf 'media_id=...&result_code=SUCCESS&return_code=SUCCESS&return_msg=OK&key=<key>' | openssl dgst -sha256 -hmac <key>
	resp := func() map[string]string {
		return map[string]string{
			"return_code": "SUCCESS", "return_msg": "OK", "result_code": "SUCCESS",
			"media_id": "H1ihR9JUtVj-J7CJqBUY5ZOrG_Je75H-rKto14e9hfJvqPV2EmjB-9nOp1_r3uUQ",
			"err_code": "",
			"sign":     "1E4D0D5E54D519EF8DDE64F8570FE66719D7C967902D7A9974C8823044C4CD00",
		}
	}
	if err := VerifyV2(resp(), testAPIKey, SignTypeHMACSHA256); err != nil {
		t.Errorf("VerifyV2(good) = %v", err)
	}
	lower := resp()
	lower["sign"] = strings.ToLower(lower["sign"])
	if err := VerifyV2(lower, testAPIKey, SignTypeHMACSHA256); err != nil {
		t.Errorf("VerifyV2(lower-case sign) = %v", err)
	}
	tampered := resp()
	tampered["media_id"] += "x"
	if err := VerifyV2(tampered, testAPIKey, SignTypeHMACSHA256); !errors.Is(err, ErrV2SignMismatch) {
		t.Errorf("VerifyV2(tampered) = %v, want ErrV2SignMismatch", err)
	}
	if err := VerifyV2(resp(), testAPIKey, SignTypeMD5); !errors.Is(err, ErrV2SignMismatch) {
		t.Errorf("VerifyV2(wrong sign type) = %v, want ErrV2SignMismatch", err)
	}
	if err := VerifyV2(resp(), "0"+testAPIKey[1:], SignTypeHMACSHA256); !errors.Is(err, ErrV2SignMismatch) {
		t.Errorf("VerifyV2(wrong key) = %v, want ErrV2SignMismatch", err)
	}
	nosign := resp()
	delete(nosign, "sign")
	err := VerifyV2(nosign, testAPIKey, SignTypeHMACSHA256)
	if err == nil || !strings.Contains(err.Error(), "no sign field") {
		t.Errorf("VerifyV2(no sign) = %v", err)
	}
	for _, e := range []error{err, VerifyV2(tampered, testAPIKey, SignTypeHMACSHA256)} {
		if strings.Contains(e.Error(), testAPIKey) {
			t.Errorf("error leaks the API key: %v", e)
		}
	}
}
