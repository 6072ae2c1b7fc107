package platformcert_test

import (
	"context"
	"crypto/rsa"
	"strings"
	"testing"

	"github.com/wxmedia/wxmedia/providers"
	"github.com/wxmedia/wxmedia/providers/emulator"
	"github.com/wxmedia/wxmedia/providers/platformcert"
	"github.com/wxmedia/wxmedia/signing"
)

func account(t *testing.T, url string, trustPlatform bool) *providers.Account {
	t.Helper()
	sb := emulator.Sandbox()
	priv, err := signing.ParsePrivateKey(sb.V3.PrivateKeyPEM)
	if err != nil {
		t.Fatal(err)
	}
	a := &providers.Account{Name: "shop", API: "v3", MchID: sb.V3.MchID, SerialNo: sb.V3.SerialNo, PrivateKey: priv, BaseURL: url,
		WechatPayKeys: map[string]*rsa.PublicKey{}}
	if trustPlatform {
		pub, err := signing.ParsePublicKey(sb.PlatformCertificatePEM)
		if err != nil {
			t.Fatal(err)
		}
		a.WechatPayKeys[sb.PlatformSerial] = pub
	} else {
		pub, err := signing.ParsePublicKey(sb.WechatPayPublicKeyPEM)
		if err != nil {
			t.Fatal(err)
		}
		a.WechatPayKeys[sb.WechatPayPublicKeyID] = pub
		a.WechatPayPublicKeyID = sb.WechatPayPublicKeyID
	}
	return a
}

func TestDownload(t *testing.T) {
	srv, err := emulator.NewSandbox(emulator.Config{})
	if err != nil {
		t.Fatal(err)
	}
	url, stop, err := emulator.Start(srv)
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	sb := emulator.Sandbox()
	ctx := context.Background()

	a := account(t, url, true)
	certs, err := platformcert.Download(ctx, a, sb.APIv3Key)
	if err != nil {
		t.Fatal(err)
	}
	if len(certs) != 1 || !strings.EqualFold(certs[0].Serial, sb.PlatformSerial) {
		t.Fatalf("Download = %+v, want the sandbox platform certificate %s", certs, sb.PlatformSerial)
	}
	if err := platformcert.Trust(ctx, a, sb.APIv3Key); err != nil || !strings.EqualFold(a.WechatPayPublicKeyID, sb.PlatformSerial) {
		t.Fatalf("Trust = %v, Wechatpay-Serial sent %q", err, a.WechatPayPublicKeyID)
	}

	for _, tc := range []struct {
		name  string
		a     *providers.Account
		key   string
		wants []string
	}{
		{"untrusted signer", account(t, url, false), sb.APIv3Key, []string{`account "shop"`, "not signed by a platform certificate this account trusts", "platform_certificate_files"}},
		{"wrong APIv3 key", account(t, url, true), strings.Repeat("k", 32), []string{"does not decrypt with the APIv3 key", "apiv3_key_env"}},
		{"short key", account(t, url, true), "short", []string{"the APIv3 key is 5 bytes, want 32", "apiv3_key_env"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := platformcert.Download(ctx, tc.a, tc.key)
			for _, w := range tc.wants {
				if err == nil || !strings.Contains(err.Error(), w) {
					t.Errorf("Download = %v, want it to contain %q", err, w)
				}
			}
			if err != nil && strings.Contains(err.Error(), tc.key) && len(tc.key) > 5 {
				t.Errorf("the error %q prints the APIv3 key", err)
			}
		})
	}
}
