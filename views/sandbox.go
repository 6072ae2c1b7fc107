package views

import (
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/wxmedia/wxmedia/providers/emulator"
)

// V2KeyVar is the variable the printed manifest fragment reads the sandbox
// APIv2 key from.
const V2KeyVar = "WXMEDIA_SANDBOX_V2_API_KEY"

// SandboxFragment prints, to w, the accounts block of a manifest that
// reaches the emulator at url with the keys written to dir, for all four
// apis, and the command that exports the v2 key. The keys are public test
// keys; the APIv2 key is still read from a variable, as a real one must be.
func SandboxFragment(w io.Writer, dir, url string, tls bool, k emulator.SandboxKeys) error {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	f := func(name string) string { return filepath.ToSlash(filepath.Join(abs, name)) }
	var b strings.Builder
	common := func(name, api string, m emulator.SandboxMerchant) {
		fmt.Fprintf(&b, "  %s:\n    api: %s\n    mchid: %q\n    endpoint: %s\n", name, api, m.MchID, url)
		if tls {
			fmt.Fprintf(&b, "    ca_file: %s\n", f("ca_cert.pem"))
		}
	}
	signed := func(name, api string, m emulator.SandboxMerchant) {
		common(name, api, m)
		fmt.Fprintf(&b, "    serial_no: %s\n    private_key_file: %s\n    wechatpay_public_key_id: %s\n    wechatpay_public_key_file: %s\n",
			m.SerialNo, f(api+"_key.pem"), k.WechatPayPublicKeyID, f("wechatpay_pub.pem"))
	}
	fmt.Fprintf(&b, "# Paste into wxmedia.yaml (sandbox keys in %s; they are public test keys):\naccounts:\n", abs)
	signed("shop", "v3", k.V3)
	signed("hk", "global", k.Global)
	signed("brand", "brand", k.Brand)
	common("legacy", "v2", k.V2)
	fmt.Fprintf(&b, "    api_key_env: %s\n    client_cert_file: %s\n    client_key_file: %s\n", V2KeyVar, f("v2_cert.pem"), f("v2_key.pem"))
	if !tls {
		b.WriteString("# legacy (api: v2) needs mutual TLS: run the emulator with -tls to use it.\n")
	}
	fmt.Fprintf(&b, "# The sandbox brand owns the audience package %s (for expand_into).\n", emulator.SandboxUserPackageID)
	fmt.Fprintf(&b, "# Then export the v2 key:\n#   export %s=\"$(cat %s)\"\n", V2KeyVar, f("v2_api_key.txt"))
	fmt.Fprintf(&b, "# Certificate mode instead of the public key: replace wechatpay_public_key_id and\n#   wechatpay_public_key_file with platform_certificate_files: [%s]\n#   (and apiv3_key_env naming a variable that holds the contents of %s)\n", f("platform_cert.pem"), f("apiv3_key.txt"))
	_, err = fmt.Fprint(w, b.String())
	return err
}

// SandboxKeysWritten tells which sandbox identities were written to dir.
func SandboxKeysWritten(w io.Writer, dir string, k emulator.SandboxKeys) {
	fmt.Fprintf(w, "Wrote the sandbox keys to %s.\n", dir)
	for _, m := range k.Merchants() {
		fmt.Fprintf(w, "  %-6s mchid %s serial_no %s\n", m.API, m.MchID, m.SerialNo)
	}
	fmt.Fprintf(w, "  wechatpay_public_key_id %s\n", k.WechatPayPublicKeyID)
	fmt.Fprintf(w, "  platform certificate %s in platform_cert.pem; the APIv3 key is in apiv3_key.txt\n", k.PlatformSerial)
	if k.V2.APIKey != "" {
		fmt.Fprintln(w, "  the v2 sandbox API key is in v2_api_key.txt")
	}
}

// EmulatorListening tells where the emulator listens and its identities.
func EmulatorListening(w io.Writer, url string, k emulator.SandboxKeys) {
	fmt.Fprintf(w, "wxmedia emulator listening on %s (Ctrl-C to stop)\n", url)
	fmt.Fprintf(w, "  sandbox v3 mchid %s, global %s, brand_id %s, v2 mch_id %s\n", k.V3.MchID, k.Global.MchID, k.Brand.MchID, k.V2.MchID)
	fmt.Fprintf(w, "  WeChat Pay public key ID %s; write the keys with -write-keys DIR\n", k.WechatPayPublicKeyID)
}
