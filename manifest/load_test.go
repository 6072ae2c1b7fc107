package manifest

import (
	"errors"
	"io/fs"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// acct starts a manifest with one account "a" whose settings start on
// line 4, column 5.
const acct = "version: 1\naccounts:\n  a:\n"

// v3Fields are valid settings for an api: v3 account, 5 lines.
const v3Fields = `    mchid: "1900000001"
    serial_no: "1FB89742D19F2BD30B69948D16DECA0FCB4481EB"
    private_key_file: secrets/key.pem
    wechatpay_public_key_id: PUB_KEY_ID_0114232020
    wechatpay_public_key_file: secrets/pub.pem
`

// v2Fields are valid settings for an api: v2 account, 4 lines.
const v2Fields = `    mchid: "1000000000"
    api_key_env: WXPAY_V2_API_KEY
    client_cert_file: secrets/cert.pem
    client_key_file: secrets/key.pem
`

type errCase struct {
	name  string
	yaml  string
	files map[string]string
	// want are fragments that must each appear in the error text, usually
	// "line:col: path: message start".
	want []string
	// n is the expected number of problems; 0 means "don't check".
	n int
	// never are fragments that must not appear (secrets).
	never []string
}

func runErrCases(t *testing.T, cases []errCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m, err, text := load(t, tc.yaml, tc.files)
			if err == nil {
				t.Fatalf("Load succeeded, want errors containing %q", tc.want)
			}
			if m != nil {
				t.Errorf("Load returned a manifest along with an error")
			}
			for _, w := range tc.want {
				if !strings.Contains(text, w) {
					t.Errorf("error does not contain %q:\n%s", w, text)
				}
			}
			for _, w := range tc.never {
				if strings.Contains(text, w) {
					t.Errorf("error contains %q, which must never be printed:\n%s", w, text)
				}
			}
			errs := fieldErrors(t, err)
			if tc.n > 0 && len(errs) != tc.n {
				t.Errorf("got %d problems, want %d:\n%s", len(errs), tc.n, text)
			}
			for _, fe := range errs {
				if fe.Line <= 0 || fe.Col <= 0 {
					t.Errorf("problem without a position: %v", fe)
				}
				if !strings.HasPrefix(text, "wxmedia.yaml:") {
					t.Errorf("error does not start with the manifest name:\n%s", text)
				}
			}
		})
	}
}

func TestDocumentErrors(t *testing.T) {
	runErrCases(t, []errCase{
		{name: "empty", yaml: "", want: []string{"wxmedia.yaml:1:1: manifest is empty"}, n: 1},
		{name: "comments only", yaml: "# nothing yet\n\n", want: []string{"wxmedia.yaml:1:1: manifest is empty"}, n: 1},
		{name: "null document", yaml: "---\n", want: []string{"manifest is empty"}, n: 1},
		{name: "list", yaml: "- version: 1\n", want: []string{"1:1: the manifest must be a mapping with the keys version, accounts and assets, not a list"}},
		{name: "scalar", yaml: "hello\n", want: []string{"must be a mapping", "not hello"}},
		{name: "two documents", yaml: "version: 1\n---\nversion: 1\n", want: []string{"wxmedia.yaml:2:1: the manifest holds more than one YAML document"}, n: 1},
		{name: "syntax error in second document", yaml: "version: 1\n---\nversion: [1\n", want: []string{"invalid YAML"}},
		{name: "unknown top-level key", yaml: "version: 1\nasset: {}\n",
			want: []string{"wxmedia.yaml:2:1: asset: unknown top-level key asset; did you mean assets? allowed: version, accounts, assets"}, n: 1},
		{name: "unknown top-level key far off", yaml: "version: 1\nfoo: 1\n", want: []string{"2:1: foo: unknown top-level key foo; allowed: version"}},
		{name: "duplicate top-level key", yaml: "version: 1\nversion: 1\n",
			want: []string{"wxmedia.yaml:2:1: version: duplicate key version: it is also defined at line 1:1"}, n: 1},
		{name: "version missing", yaml: "accounts: {}\n", want: []string{"1:1: version: version is missing; add `version: 1`"}, n: 1},
		{name: "version 2", yaml: "version: 2\n", want: []string{"1:10: version: version 2 is not supported by this wxmedia"}, n: 1},
		{name: "version quoted", yaml: "version: \"1\"\n", want: []string{"1:10: version: version must be the number 1, not the string \"1\"; remove the quotes"}},
		{name: "version list", yaml: "version: [1]\n", want: []string{"version must be the number 1, not a list"}},
		{name: "tab indentation", yaml: "version: 1\naccounts:\n\tshop: {}\n",
			want: []string{"wxmedia.yaml:3:1: tab character in indentation; YAML indents with spaces only"}, n: 1},
		{name: "tab after key", yaml: "version: 1\naccounts:\n  a:\n    api: v3\n\t  mchid: 1\n",
			want: []string{"wxmedia.yaml:5:1: tab character"}},
		{name: "unclosed flow", yaml: "version: 1\naccounts: [a\n", want: []string{"invalid YAML: did not find expected ',' or ']'"}},
		{name: "unclosed quote", yaml: "version: 1\naccounts: \"a\n", want: []string{"wxmedia.yaml:2:1: invalid YAML: found unexpected end of stream"}},
		{name: "bad indentation", yaml: "version: 1\n  accounts: {}\n", want: []string{"wxmedia.yaml:2:3: invalid YAML: mapping values are not allowed in this context"}},
		{name: "mapping on first line", yaml: "version: 1: 2\n", want: []string{"wxmedia.yaml:1:1: invalid YAML: mapping values"}},
		{name: "block entry in mapping", yaml: "version: 1\naccounts: {}\n- x\n", want: []string{"wxmedia.yaml:3:1: invalid YAML: did not find expected key"}},
		{name: "not UTF-8", yaml: "version: 1\n# caf\xe9\n", want: []string{"wxmedia.yaml:2:6: the manifest is not valid UTF-8; save it as UTF-8"}, n: 1},
		{name: "UTF-16", yaml: "\xff\xfev\x00e\x00", want: []string{"wxmedia.yaml:1:1: the manifest is not valid UTF-8"}},
		{name: "undefined alias", yaml: "version: 1\nassets: *nope\n", want: []string{"wxmedia.yaml:2:9: alias *nope refers to an anchor that is not defined"}, n: 1},
		{name: "accounts list", yaml: "version: 1\naccounts:\n  - shop\n", want: []string{"3:3: accounts: accounts must be a mapping from account name to its settings, not a list"}},
		{name: "assets string", yaml: "version: 1\nassets: media\n", want: []string{"2:9: assets: assets must be a mapping from asset name to its settings, not media"}},
		{name: "assets without accounts", yaml: "version: 1\nassets:\n  x: {type: image, account: a, file: media/a.jpg}\n",
			want: []string{"2:1: accounts: assets need an account to upload through, but no accounts are defined; add an `accounts:` section"}, n: 1},
		{name: "complex key", yaml: "version: 1\n? [a]\n: b\n", want: []string{"2:3: keys must be plain strings, not a list"}},
		{name: "deep nesting", yaml: "version: 1\nx: " + strings.Repeat("[", 20000), want: []string{"exceeded max depth"}},
	})
}

func TestAccountErrors(t *testing.T) {
	runErrCases(t, []errCase{
		{name: "api missing", yaml: acct + v3Fields, want: []string{"3:3: accounts.a.api: api is missing; set it to one of v3, v2, global, brand"}, n: 1},
		{name: "api empty", yaml: acct + "    api:\n" + v3Fields, want: []string{"4:9: accounts.a.api: api is empty"}, n: 1},
		{name: "api unknown", yaml: acct + "    api: V3\n" + v3Fields, want: []string{"4:10: accounts.a.api: api V3 is not one of v3, v2, global, brand; did you mean v3?"}, n: 1},
		{name: "api list", yaml: acct + "    api: [v3]\n" + v3Fields, want: []string{"4:10: accounts.a.api: must be a single value, not a list"}, n: 1},
		{name: "unknown key with suggestion", yaml: acct + "    api: v3\n" + v3Fields + "    privat_key_file: x\n",
			want: []string{"10:5: accounts.a.privat_key_file: unknown key privat_key_file; did you mean private_key_file? allowed: api, mchid,"}, n: 1},
		{name: "duplicate key", yaml: acct + "    api: v3\n" + v3Fields + "    api: v2\n",
			want: []string{"10:5: accounts.a.api: duplicate key api: it is also defined at line 4:5"}, n: 1},
		{name: "duplicate account", yaml: acct + "    api: v3\n" + v3Fields + "  a:\n    api: v2\n",
			want: []string{"10:3: accounts.a: duplicate key a: it is also defined at line 3:3"}, n: 1},
		{name: "bad account name", yaml: "version: 1\naccounts:\n  my shop:\n    api: v3\n" + v3Fields,
			want: []string{"3:3: accounts.my shop: account name \"my shop\" is not allowed: names must start with a letter or digit", "rename it, e.g. my_shop"}, n: 1},
		{name: "account name starting with dash", yaml: "version: 1\naccounts:\n  -x: {api: v3}\n", want: []string{"account name -x is not allowed"}},
		{name: "account null", yaml: acct, want: []string{"3:3: accounts.a: account a is empty; give it at least api and mchid"}},
		{name: "account scalar", yaml: "version: 1\naccounts:\n  a: v3\n", want: []string{"3:6: accounts.a: account a must be a mapping of settings (api, mchid, ...), not v3"}},
		{name: "mchid missing", yaml: acct + "    api: v3\n" + strings.Replace(v3Fields, "    mchid: \"1900000001\"\n", "", 1),
			want: []string{"3:3: accounts.a.mchid: mchid is missing; set it to your merchant ID (mchid), quoted"}, n: 1},
		{name: "mchid not digits", yaml: acct + "    api: v3\n" + strings.Replace(v3Fields, "\"1900000001\"", "19000abc", 1),
			want: []string{"5:12: accounts.a.mchid: mchid must be your merchant ID (mchid), 1 to 32 digits; got 19000abc"}, n: 1},
		{name: "brand id not digits", yaml: acct + "    api: brand\n    mchid: B1\n    endpoint: sandbox\n",
			want: []string{"mchid must be your brand ID (brand_id)"}, n: 1},
		{name: "mchid map", yaml: acct + "    api: v3\n" + strings.Replace(v3Fields, "\"1900000001\"", "{a: 1}", 1),
			want: []string{"accounts.a.mchid: must be a single value, not a mapping"}, n: 1},
		{name: "serial too short", yaml: acct + "    api: v3\n" + strings.Replace(v3Fields, "1FB89742D19F2BD30B69948D16DECA0FCB4481EB", "1FB8", 1),
			want: []string{"6:16: accounts.a.serial_no: serial_no must be the 40 hex digits of your merchant API certificate's serial number", "got 4 characters"}, n: 1},
		{name: "serial missing", yaml: acct + "    api: v3\n" + strings.Replace(v3Fields, "    serial_no: \"1FB89742D19F2BD30B69948D16DECA0FCB4481EB\"\n", "", 1),
			want: []string{"3:3: accounts.a.serial_no: serial_no is missing", "endpoint: sandbox"}, n: 1},
		{name: "both private key sources", yaml: acct + "    api: v3\n" + v3Fields + "    private_key_env: WXPAY_KEY\n",
			want: []string{"10:22: accounts.a.private_key_env: set only one of private_key_file and private_key_env"}, n: 1},
		{name: "no private key", yaml: acct + "    api: v3\n" + strings.Replace(v3Fields, "    private_key_file: secrets/key.pem\n", "", 1),
			want: []string{"3:3: accounts.a.private_key_file: the account needs its merchant private key: add private_key_file: PATH, or private_key_env: VAR"}, n: 1},
		{name: "private key env not a name", yaml: acct + "    api: v3\n" + strings.Replace(v3Fields, "private_key_file: secrets/key.pem", "private_key_env: 1KEY", 1),
			want: []string{"7:22: accounts.a.private_key_env: private_key_env must be the name of an environment variable"}, n: 1},
		{name: "private key env holds PEM", yaml: acct + "    api: v3\n" + strings.Replace(v3Fields, "private_key_file: secrets/key.pem", "private_key_env: \"-----BEGIN PRIVATE KEY-----MIIEvSECRET\"", 1),
			want: []string{"accounts.a.private_key_env: private_key_env holds PEM text"}, never: []string{"MIIEvSECRET"}, n: 1},
		{name: "private key file holds PEM", yaml: acct + "    api: v3\n" + strings.Replace(v3Fields, "private_key_file: secrets/key.pem", "private_key_file: |\n      -----BEGIN PRIVATE KEY-----\n      MIIEvSECRET\n", 1),
			want: []string{"accounts.a.private_key_file: private_key_file holds PEM text, not a file path"}, never: []string{"MIIEvSECRET"}, n: 1},
		{name: "private key file missing", yaml: acct + "    api: v3\n" + strings.Replace(v3Fields, "secrets/key.pem", "secrets/nope.pem", 1),
			want: []string{"7:23: accounts.a.private_key_file: no such file secrets/nope.pem; check the path (relative to the manifest directory)"}, n: 1},
		{name: "private key file is a directory", yaml: acct + "    api: v3\n" + strings.Replace(v3Fields, "secrets/key.pem", "secrets", 1),
			want: []string{"accounts.a.private_key_file: secrets is a directory"}, n: 1},
		{name: "private key file empty", yaml: acct + "    api: v3\n" + strings.Replace(v3Fields, "secrets/key.pem", "secrets/empty.pem", 1),
			files: map[string]string{"secrets/empty.pem": ""}, want: []string{"accounts.a.private_key_file: secrets/empty.pem is empty"}, n: 1},
		{name: "private key file with tilde", yaml: acct + "    api: v3\n" + strings.Replace(v3Fields, "secrets/key.pem", "~/key.pem", 1),
			want: []string{"private_key_file ~/key.pem starts with ~, which wxmedia does not expand"}, n: 1},
		{name: "public key id malformed", yaml: acct + "    api: v3\n" + strings.Replace(v3Fields, "PUB_KEY_ID_0114232020", "PUB_0114", 1),
			want: []string{"8:30: accounts.a.wechatpay_public_key_id: wechatpay_public_key_id must look like PUB_KEY_ID_ followed by digits"}, n: 1},
		{name: "public key id without file", yaml: acct + "    api: v3\n" + strings.Replace(v3Fields, "    wechatpay_public_key_file: secrets/pub.pem\n", "", 1),
			want: []string{"8:30: accounts.a.wechatpay_public_key_file: wechatpay_public_key_id needs wechatpay_public_key_file"}, n: 1},
		{name: "public key file without id", yaml: acct + "    api: v3\n" + strings.Replace(v3Fields, "    wechatpay_public_key_id: PUB_KEY_ID_0114232020\n", "", 1),
			want: []string{"accounts.a.wechatpay_public_key_id: wechatpay_public_key_file needs wechatpay_public_key_id"}, n: 1},
		{name: "no verification", yaml: acct + "    api: global\n    mchid: \"1\"\n    serial_no: 1FB89742D19F2BD30B69948D16DECA0FCB4481EB\n    private_key_env: K\n",
			want: []string{"3:3: accounts.a.wechatpay_public_key_id: the account needs a way to verify WeChat Pay's responses: add wechatpay_public_key_id and wechatpay_public_key_file, or platform_certificate_files"}, n: 1},
		{name: "brand with certificates only", yaml: acct + "    api: brand\n    mchid: \"1\"\n    serial_no: 1FB89742D19F2BD30B69948D16DECA0FCB4481EB\n    private_key_env: K\n    platform_certificate_files: [secrets/platform.pem]\n",
			want: []string{"accounts.a.wechatpay_public_key_id: api: brand accounts verify responses with the WeChat Pay public key"}, n: 1},
		{name: "certificates not a list", yaml: acct + "    api: v3\n    mchid: \"1\"\n    serial_no: 1FB89742D19F2BD30B69948D16DECA0FCB4481EB\n    private_key_env: K\n    platform_certificate_files: secrets/platform.pem\n",
			want: []string{"8:33: accounts.a.platform_certificate_files: platform_certificate_files must be a list of PEM files, not a single value: write [secrets/platform.pem]"}, n: 1},
		{name: "apiv3_key_env without certificates", yaml: acct + "    api: v3\n    mchid: \"1\"\n    serial_no: 1FB89742D19F2BD30B69948D16DECA0FCB4481EB\n    private_key_env: K\n    wechatpay_public_key_id: PUB_KEY_ID_0111\n    wechatpay_public_key_file: secrets/pub.pem\n    apiv3_key_env: APIV3\n",
			want: []string{"accounts.a.apiv3_key_env: apiv3_key_env needs platform_certificate_files listing at least one platform certificate you trust, which verifies the download; add it"}, n: 1},
		{name: "apiv3_key_env holds the key", yaml: acct + "    api: v3\n    mchid: \"1\"\n    serial_no: 1FB89742D19F2BD30B69948D16DECA0FCB4481EB\n    private_key_env: K\n    platform_certificate_files: [secrets/platform.pem]\n    apiv3_key_env: wxmediaSandboxAPIv3Key0123456789\n",
			want: []string{"accounts.a.apiv3_key_env: apiv3_key_env looks like the 32-character API key itself"}, n: 1},
		{name: "apiv3_key_env on brand", yaml: acct + "    api: brand\n    mchid: \"1\"\n    serial_no: 1FB89742D19F2BD30B69948D16DECA0FCB4481EB\n    private_key_env: K\n    wechatpay_public_key_id: PUB_KEY_ID_0111\n    wechatpay_public_key_file: secrets/pub.pem\n    apiv3_key_env: APIV3\n",
			want: []string{"accounts.a.apiv3_key_env: apiv3_key_env downloads platform certificates, which api: brand accounts do not use"}, n: 1},
		{name: "certificates empty list", yaml: acct + "    api: v3\n    mchid: \"1\"\n    serial_no: 1FB89742D19F2BD30B69948D16DECA0FCB4481EB\n    private_key_env: K\n    platform_certificate_files: []\n",
			want: []string{"platform_certificate_files is empty"}, n: 1},
		{name: "certificate missing", yaml: acct + "    api: v3\n    mchid: \"1\"\n    serial_no: 1FB89742D19F2BD30B69948D16DECA0FCB4481EB\n    private_key_env: K\n    platform_certificate_files:\n      - secrets/platform.pem\n      - secrets/old.pem\n",
			want: []string{"10:9: accounts.a.platform_certificate_files[1]: no such file secrets/old.pem"}, n: 1},
		{name: "endpoint not a URL", yaml: acct + "    api: v3\n" + v3Fields + "    endpoint: api.mch.weixin.qq.com\n",
			want: []string{"10:15: accounts.a.endpoint: endpoint api.mch.weixin.qq.com is not a URL; use an https:// URL"}, n: 1},
		{name: "endpoint plain http", yaml: acct + "    api: v3\n" + v3Fields + "    endpoint: http://api.mch.weixin.qq.com\n",
			want: []string{"uses plain http, which is only allowed for a local emulator"}, n: 1},
		{name: "endpoint with password", yaml: acct + "    api: v3\n" + v3Fields + "    endpoint: https://u:hunter2@example.com\n",
			want: []string{"endpoint must not contain a user name or password"}, never: []string{"hunter2"}, n: 1},
		{name: "endpoint ftp", yaml: acct + "    api: v3\n" + v3Fields + "    endpoint: ftp://example.com\n", want: []string{"has scheme ftp"}, n: 1},
		{name: "endpoint Sandbox", yaml: acct + "    api: v3\n" + v3Fields + "    endpoint: Sandbox\n", want: []string{"endpoint must be exactly sandbox"}, n: 1},
		{name: "ca file missing", yaml: acct + "    api: v3\n" + v3Fields + "    ca_file: ca.pem\n", want: []string{"10:14: accounts.a.ca_file: no such file ca.pem"}, n: 1},
		{name: "rate limit quoted", yaml: acct + "    api: v3\n" + v3Fields + "    rate_limit: \"5\"\n",
			want: []string{"10:17: accounts.a.rate_limit: rate_limit must be a number of requests per second, such as 5 or 0.5, not the quoted string \"5\"; remove the quotes"}, n: 1},
		{name: "rate limit word", yaml: acct + "    api: v3\n" + v3Fields + "    rate_limit: fast\n", want: []string{"not fast"}, n: 1},
		{name: "rate limit zero", yaml: acct + "    api: v3\n" + v3Fields + "    rate_limit: 0\n", want: []string{"rate_limit must be a number of requests per second greater than 0"}, n: 1},
		{name: "rate limit negative", yaml: acct + "    api: v3\n" + v3Fields + "    rate_limit: -2.5\n", want: []string{"greater than 0", "got -2.5"}, n: 1},
		{name: "rate limit nan", yaml: acct + "    api: v3\n" + v3Fields + "    rate_limit: .nan\n", want: []string{"greater than 0"}, n: 1},
		{name: "rate limit inf", yaml: acct + "    api: v3\n" + v3Fields + "    rate_limit: .inf\n", want: []string{"greater than 0"}, n: 1},
		{name: "rate limit map", yaml: acct + "    api: v3\n" + v3Fields + "    rate_limit: {rps: 5}\n", want: []string{"not a mapping"}, n: 1},
		{name: "v2 key on v3", yaml: acct + "    api: v3\n" + v3Fields + "    api_key_env: WXPAY_V2_API_KEY\n",
			want: []string{"10:5: accounts.a.api_key_env: api_key_env is only used by api: v2 accounts; remove it (account a has api: v3)"}, n: 1},
		{name: "v3 key on v2", yaml: acct + "    api: v2\n" + v2Fields + "    serial_no: 1FB89742D19F2BD30B69948D16DECA0FCB4481EB\n",
			want: []string{"9:5: accounts.a.serial_no: serial_no is not used by api: v2 accounts"}, n: 1},
		{name: "v2 api key env missing", yaml: acct + "    api: v2\n" + strings.Replace(v2Fields, "    api_key_env: WXPAY_V2_API_KEY\n", "", 1),
			want: []string{"3:3: accounts.a.api_key_env: api_key_env is missing; name the environment variable that holds the API v2 key"}, n: 1},
		{name: "v2 api key env not a name", yaml: acct + "    api: v2\n" + strings.Replace(v2Fields, "WXPAY_V2_API_KEY", "WXPAY-KEY", 1),
			want: []string{"6:18: accounts.a.api_key_env: api_key_env must be the name of an environment variable"}, n: 1},
		{name: "v2 api key pasted", yaml: acct + "    api: v2\n" + strings.Replace(v2Fields, "WXPAY_V2_API_KEY", "a8Bd93kFj20sLq7Zx1Pm4Nc6Vb5Ty0Qw", 1),
			want: []string{"6:18: accounts.a.api_key_env: api_key_env looks like the 32-character API key itself"}, never: []string{"a8Bd93kFj20sLq7Zx1Pm4Nc6Vb5Ty0Qw"}, n: 1},
		{name: "v2 client cert missing", yaml: acct + "    api: v2\n    mchid: \"1\"\n    api_key_env: K\n",
			want: []string{"3:3: accounts.a.client_cert_file: client_cert_file is missing; uploads through api: v2 need the merchant API certificate"}, n: 1},
		{name: "v2 client key missing", yaml: acct + "    api: v2\n" + strings.Replace(v2Fields, "    client_key_file: secrets/key.pem\n", "", 1),
			want: []string{"accounts.a.client_key_file: client_key_file is missing; client_cert_file needs client_key_file"}, n: 1},
		{name: "v2 sign type", yaml: acct + "    api: v2\n" + v2Fields + "    sign_type: SHA1\n",
			want: []string{"9:16: accounts.a.sign_type: sign_type SHA1 is not MD5 or HMAC-SHA256"}, n: 1},
		{name: "sandbox still checks formats", yaml: acct + "    api: v3\n    mchid: \"1\"\n    endpoint: sandbox\n    serial_no: xyz\n    private_key_file: nope.pem\n",
			want: []string{"serial_no must be the 40 hex digits", "no such file nope.pem"}, n: 2},
		{name: "sandbox client cert without key", yaml: acct + "    api: v2\n    mchid: \"1\"\n    endpoint: sandbox\n    client_cert_file: secrets/cert.pem\n",
			want: []string{"client_cert_file needs client_key_file"}, n: 1},
	})
}

func TestAssetErrors(t *testing.T) {
	runErrCases(t, []errCase{
		{name: "type missing", yaml: header + "  x:\n    account: shop\n    file: media/a.jpg\n",
			want: []string{"21:3: assets.x.type: type is missing; set it to one of brand_image, global_file, image,"}, n: 1},
		{name: "type unknown", yaml: header + "  x:\n    type: imgae\n    account: shop\n    file: media/a.jpg\n",
			want: []string{"22:11: assets.x.type: unknown type imgae; did you mean image? types: brand_image,"}, n: 1},
		{name: "type does not fit api", yaml: header + "  x:\n    type: video\n    account: legacy\n    file: media/clip.mp4\n",
			want: []string{"22:11: assets.x.type: type video needs an account with api: v3, but account legacy has api: v2; use an api: v3 account, or a type for api: v2 (legacy_image)"}, n: 1},
		{name: "account missing", yaml: header + "  x:\n    type: image\n    file: media/a.jpg\n",
			want: []string{"21:3: assets.x.account: account is missing; name the account to upload through, one of: brandacct, legacy, shop"}, n: 1},
		{name: "account unknown", yaml: header + "  x:\n    type: image\n    account: shpo\n    file: media/a.jpg\n",
			want: []string{"23:14: assets.x.account: no account named shpo; did you mean shop? defined: brandacct, legacy, shop"}, n: 1},
		{name: "unknown key", yaml: header + "  x:\n    type: image\n    account: shop\n    fille: media/a.jpg\n",
			want: []string{"24:5: assets.x.fille: unknown key fille; did you mean file? allowed: type, account, file, glob, filename", "21:3: assets.x.file: file is missing"}, n: 2},
		{name: "duplicate asset", yaml: header + "  x: {type: image, account: shop, file: media/a.jpg}\n  x: {type: image, account: shop, file: media/b.png}\n",
			want: []string{"22:3: assets.x: duplicate key x: it is also defined at line 21:3"}, n: 1},
		{name: "bad asset name", yaml: header + "  shop photo: {type: image, account: shop, file: media/a.jpg}\n",
			want: []string{"21:3: assets.shop photo: asset name \"shop photo\" is not allowed", "rename it, e.g. shop_photo"}, n: 1},
		{name: "asset null", yaml: header + "  x:\n", want: []string{"21:3: assets.x: asset x is empty; give it type, account and file (or glob)"}, n: 1},
		{name: "asset list", yaml: header + "  x: [media/a.jpg]\n", want: []string{"21:6: assets.x: asset x must be a mapping"}, n: 1},
		{name: "file and glob", yaml: header + "  x:\n    type: image\n    account: shop\n    file: media/a.jpg\n    glob: media/*.jpg\n",
			want: []string{"25:11: assets.x.glob: set only one of file and glob"}, n: 1},
		{name: "neither file nor glob", yaml: header + "  x:\n    type: image\n    account: shop\n",
			want: []string{"21:3: assets.x.file: file is missing; give the path of the file to upload"}, n: 1},
		{name: "file empty", yaml: header + "  x:\n    type: image\n    account: shop\n    file:\n", want: []string{"24:10: assets.x.file: file is empty"}, n: 1},
		{name: "filename with glob", yaml: header + "  x:\n    type: image\n    account: shop\n    glob: media/shops/*.png\n    filename: a.png\n",
			want: []string{"25:15: assets.x.filename: filename cannot be used with glob"}, n: 1},
		{name: "no such file", yaml: header + "  x:\n    type: image\n    account: shop\n    file: media/x.jpg\n",
			want: []string{"wxmedia.yaml:24:11: assets.x.file: no such file media/x.jpg; check the path (relative to the manifest directory)"}, n: 1},
		{name: "no such file, wrong case", yaml: header + "  x:\n    type: image\n    account: shop\n    file: media/A.jpg\n",
			want: []string{"no such file media/A.jpg", "did you mean media/a.jpg?"}, n: 1},
		{name: "no such directory", yaml: header + "  x:\n    type: image\n    account: shop\n    file: pics/a.jpg\n", want: []string{"no such file pics/a.jpg"}, n: 1},
		{name: "through a file", yaml: header + "  x:\n    type: image\n    account: shop\n    file: media/a.jpg/b.jpg\n", want: []string{"24:11: assets.x.file: "}, n: 1},
		{name: "absolute path", yaml: header + "  x:\n    type: image\n    account: shop\n    file: /etc/passwd\n",
			want: []string{"24:11: assets.x.file: /etc/passwd is an absolute path; write it relative to the manifest directory"}, n: 1},
		{name: "escapes", yaml: header + "  x:\n    type: image\n    account: shop\n    file: ../../etc/passwd\n",
			want: []string{"24:11: assets.x.file: ../../etc/passwd points outside the manifest directory"}, n: 1},
		{name: "escapes after cleaning", yaml: header + "  x:\n    type: image\n    account: shop\n    file: media/../../x.jpg\n",
			want: []string{"media/../../x.jpg points outside the manifest directory"}, n: 1},
		{name: "broken symlink", yaml: header + "  x:\n    type: image\n    account: shop\n    file: media/gone.jpg\n",
			files: map[string]string{"media/gone.jpg": "symlink:nowhere.jpg"}, want: []string{"media/gone.jpg is a symlink to a missing file"}, n: 1},
		{name: "directory", yaml: header + "  x:\n    type: image\n    account: shop\n    file: media/shops\n",
			want: []string{"media/shops is a directory; name a file in it, or use glob: media/shops/*"}, n: 1},
		{name: "empty file", yaml: header + "  x:\n    type: image\n    account: shop\n    file: media/e.jpg\n",
			files: map[string]string{"media/e.jpg": ""}, want: []string{"24:11: assets.x.file: media/e.jpg is empty; WeChat Pay rejects empty files"}, n: 1},
		{name: "too large", yaml: header + "  x:\n    type: image\n    account: shop\n    file: media/big.jpg\n",
			files: map[string]string{"media/big.jpg": "size:3250585"}, want: []string{"24:11: assets.x.file: media/big.jpg is 3.1 MiB; image allows at most 2 MiB, so compress or shrink it"}, n: 1},
		{name: "too large by a byte", yaml: header + "  x:\n    type: legacy_image\n    account: legacy\n    file: media/big.jpg\n",
			files: map[string]string{"media/big.jpg": "size:2097152"}, want: []string{"media/big.jpg is 2097152 bytes; legacy_image allows at most 2097151 bytes"}, n: 1},
		{name: "wrong extension", yaml: header + "  x:\n    type: image\n    account: shop\n    file: media/a.gif\n",
			files: map[string]string{"media/a.gif": "GIF89a"}, want: []string{"24:11: assets.x.file: media/a.gif has extension .gif; image accepts jpg, jpeg, bmp, png, so convert the file"}, n: 1},
		{name: "no extension", yaml: header + "  x:\n    type: image\n    account: shop\n    file: media/a\n",
			files: map[string]string{"media/a": jpgData}, want: []string{"media/a has no extension"}, n: 1},
		{name: "wrong extension with filename", yaml: header + "  x:\n    type: image\n    account: shop\n    file: media/a.gif\n    filename: a.jpg\n",
			files: map[string]string{"media/a.gif": "GIF89a"}, want: []string{"media/a.gif has extension .gif"}, n: 1},
		{name: "filename wrong extension", yaml: header + "  x:\n    type: image\n    account: shop\n    file: media/a.jpg\n    filename: a.gif\n",
			want: []string{"25:15: assets.x.filename: filename \"a.gif\" has extension \"gif\"; image accepts jpg, jpeg, bmp, png; change filename"}, n: 1},
		{name: "filename too long", yaml: header + "  x:\n    type: image\n    account: shop\n    file: media/a.jpg\n    filename: " + strings.Repeat("x", 130) + ".jpg\n",
			want: []string{"assets.x.filename: filename is 134 characters; image allows at most 128"}, n: 1},
		{name: "default filename too long", yaml: header + "  x:\n    type: image\n    account: shop\n    file: media/" + strings.Repeat("y", 130) + ".jpg\n",
			files: map[string]string{"media/" + strings.Repeat("y", 130) + ".jpg": jpgData},
			want:  []string{"filename is 134 characters; image allows at most 128; the base name is sent as the filename: rename the file, or set filename"}, n: 1},
		{name: "brand filename characters", yaml: header + "  x:\n    type: user_package\n    account: brandacct\n    data_type: openid\n    file: media/user list.csv\n",
			files: map[string]string{"media/user list.csv": "openid\n"}, want: []string{"may only contain letters, digits"}, n: 1},
		{name: "user_package without data_type", yaml: header + "  x: {type: user_package, account: brandacct, file: media/users.csv}\n",
			want: []string{"assets.x.data_type: data_type is missing; set it to openid (one openid per line) or mobile_md5"}, n: 1},
		{name: "unknown data_type", yaml: header + "  x: {type: user_package, account: brandacct, file: media/users.csv, data_type: mobile}\n",
			want: []string{"assets.x.data_type: unknown data_type mobile; use openid (one openid per line) or mobile_md5 (the MD5 of one mobile number per line; raw numbers are never uploaded)"}, n: 1},
		{name: "data_type on an image", yaml: header + "  x: {type: image, account: shop, file: media/a.jpg, data_type: openid, expand_into: \"1\"}\n",
			want: []string{"assets.x.data_type: data_type applies only to user_package assets, and this one has type image; remove it",
				"assets.x.expand_into: expand_into applies only to user_package assets"}, n: 2},
		{name: "bad expand_into", yaml: header + "  x: {type: user_package, account: brandacct, file: media/users.csv, data_type: openid, expand_into: \"a/b\"}\n",
			want: []string{`assets.x.expand_into: expand_into a/b is not an audience package ID`}, n: 1},
		{name: "long description", yaml: header + "  x: {type: user_package, account: brandacct, file: media/users.csv, data_type: openid, description: " + strings.Repeat("d", 129) + "}\n",
			want: []string{"assets.x.description: description is 129 characters; at most 128 are sent, so shorten it"}, n: 1},
		{name: "glob bad pattern", yaml: header + "  x:\n    type: image\n    account: shop\n    glob: media/[a.png\n",
			want: []string{"glob media/[a.png is not a valid pattern"}, n: 1},
		{name: "glob escapes", yaml: header + "  x:\n    type: image\n    account: shop\n    glob: ../*.png\n",
			want: []string{"../*.png points outside the manifest directory"}, n: 1},
		{name: "glob absolute", yaml: header + "  x:\n    type: image\n    account: shop\n    glob: /tmp/*.png\n",
			want: []string{"/tmp/*.png is an absolute path"}, n: 1},
		{name: "glob same base name", yaml: header + "  x:\n    type: image\n    account: shop\n    glob: media/*/1.png\n",
			files: map[string]string{"media/more/1.png": pngData},
			want:  []string{"24:11: assets.x.glob: glob matches media/more/1.png and media/shops/1.png, which would both be named x/1.png; narrow the pattern or split it into two assets"}, n: 1},
		{name: "glob match problems", yaml: header + "  x:\n    type: image\n    account: shop\n    glob: media/*\n",
			want: []string{"24:11: assets.x.glob: media/users.csv has extension .csv", "24:11: assets.x.glob: media/clip.mp4 has extension .mp4", "media/licence.pdf has extension .pdf"}, n: 3},
		{name: "glob match too large", yaml: header + "  x:\n    type: image\n    account: shop\n    glob: media/shops/*.png\n",
			files: map[string]string{"media/shops/3.png": "size:2097153"}, want: []string{"media/shops/3.png is 2097153 bytes; image allows at most 2097152 bytes"}, n: 1},
	})
}

// TestManyProblems checks that independent problems are all reported,
// sorted by position, each with file:line:col, with a closing count.
func TestManyProblems(t *testing.T) {
	const text = `version: 1
accounts:
  shop:
    api: v3
    mchid: "19000abc"
    serial_no: "1FB89742D19F2BD30B69948D16DECA0FCB4481EB"
    private_key_file: secrets/key.pem
    wechatpay_public_key_id: PUB_KEY_ID_0114232020
    wechatpay_public_key_file: secrets/pub.pem
    colour: blue
assets:
  storefront:
    type: image
    account: shop
    file: media/storefront.jpg
  clip:
    type: vidoe
    account: shop
    file: media/clip.mp4
  logo:
    type: image
    account: nobody
    file: media/b.png
`
	_, err, out := load(t, text, nil)
	if err == nil {
		t.Fatal("Load succeeded, want errors")
	}
	want := `wxmedia.yaml:5:12: accounts.shop.mchid: mchid must be your merchant ID (mchid), 1 to 32 digits; got 19000abc
wxmedia.yaml:10:5: accounts.shop.colour: unknown key colour; allowed: api, mchid, serial_no, private_key_file, private_key_env, wechatpay_public_key_id, wechatpay_public_key_file, platform_certificate_files, apiv3_key_env, api_key_env, client_cert_file, client_key_file, sign_type, endpoint, ca_file, rate_limit
wxmedia.yaml:15:11: assets.storefront.file: no such file media/storefront.jpg; check the path (relative to the manifest directory)
wxmedia.yaml:17:11: assets.clip.type: unknown type vidoe; did you mean video? types: brand_image, global_file, image, legacy_image, marketing_image, user_package, video
wxmedia.yaml:22:14: assets.logo.account: no account named nobody; defined: shop
5 problems in wxmedia.yaml`
	if out != want {
		t.Errorf("Load error =\n%s\nwant\n%s", out, want)
	}
	errs := fieldErrors(t, err)
	for i := 1; i < len(errs); i++ {
		if a, b := errs[i-1], errs[i]; a.Line > b.Line || a.Line == b.Line && a.Col > b.Col {
			t.Errorf("problems out of order: %v before %v", a, b)
		}
	}
	var fe *FieldError
	if !errors.As(err, &fe) || fe.Path != "accounts.shop.mchid" {
		t.Errorf("errors.As(err, *FieldError) = %v, want the mchid problem", fe)
	}
}

func TestSingleProblemHasNoCount(t *testing.T) {
	_, err, out := load(t, "version: 3\n", nil)
	if err == nil {
		t.Fatal("Load succeeded")
	}
	if strings.Contains(out, "problems in") || strings.Count(out, "\n") != 0 {
		t.Errorf("Load error = %q, want one line", out)
	}
}

func TestLoadMissingManifest(t *testing.T) {
	path := filepath.Join(t.TempDir(), "wxmedia.yaml")
	_, err := Load(path)
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Load(missing) = %v, want fs.ErrNotExist", err)
	}
	if !strings.Contains(err.Error(), "no such file; create it") {
		t.Errorf("Load(missing) = %v, want advice", err)
	}
	var fe *FieldError
	if !errors.As(err, &fe) || fe.File != path {
		t.Errorf("Load(missing) FieldError = %+v, want File %s", fe, path)
	}
}

// TestContractExample loads the manifest from CONTRACT.md.
func TestContractExample(t *testing.T) {
	const text = `version: 1

accounts:
  shop:                                   # a name of your choice
    api: v3                               # v3 | v2 | global | brand
    mchid: "1900000001"                   # v2: mch_id; brand: brand_id
    serial_no: "1fb89742d19f2bd30b69948d16deca0fcb4481eb"   # merchant API cert serial
    private_key_file: secrets/key.pem             # or private_key_env: VAR (PEM text)
    wechatpay_public_key_id: PUB_KEY_ID_0111222333          # verify responses with the
    wechatpay_public_key_file: secrets/pub.pem          #   WeChat Pay public key, or with
    # platform_certificate_files: [secrets/wechatpay_cert.pem]   platform certificates
    # endpoint: https://api.mch.weixin.qq.com   default per api; "sandbox" = embedded emulator
    # ca_file: extra CA bundle for a custom HTTPS endpoint
    # rate_limit: 5                       # requests per second, this account
  legacy:
    api: v2
    mchid: "1000000000"
    api_key_env: WXPAY_V2_API_KEY          # never in a file that is committed
    client_cert_file: secrets/cert.pem
    client_key_file: secrets/key.pem
    sign_type: HMAC-SHA256                # or MD5 (the endpoint's default)

assets:
  storefront:                             # the name applications look the ID up by
    type: image                           # see the table below
    account: shop
    file: media/storefront.jpg
    # filename: storefront.jpg            # the name sent to WeChat Pay; default: base name
  shop_photos:
    type: image
    account: shop
    glob: media/shops/*.png               # one asset per match, named shop_photos/<base name>
`
	m, err, out := load(t, text, map[string]string{"media/storefront.jpg": jpgData})
	if err != nil {
		t.Fatalf("Load: %s", out)
	}
	if !filepath.IsAbs(m.Dir) || m.Version != 1 {
		t.Errorf("Dir, Version = %q, %d; want absolute, 1", m.Dir, m.Version)
	}
	wantShop := &Account{Name: "shop", API: "v3", MchID: "1900000001", SerialNo: "1FB89742D19F2BD30B69948D16DECA0FCB4481EB",
		PrivateKeyFile: "secrets/key.pem", WechatPayPublicKeyID: "PUB_KEY_ID_0111222333", WechatPayPublicKeyFile: "secrets/pub.pem",
		Pos: Pos{Line: 4, Col: 3}}
	if got := m.Account("shop"); !reflect.DeepEqual(got, wantShop) {
		t.Errorf("Account(shop) = %+v, want %+v", got, wantShop)
	}
	wantLegacy := &Account{Name: "legacy", API: "v2", MchID: "1000000000", APIKeyEnv: "WXPAY_V2_API_KEY",
		ClientCertFile: "secrets/cert.pem", ClientKeyFile: "secrets/key.pem", SignType: "HMAC-SHA256", Pos: Pos{Line: 15, Col: 3}}
	if got := m.Account("legacy"); !reflect.DeepEqual(got, wantLegacy) {
		t.Errorf("Account(legacy) = %+v, want %+v", got, wantLegacy)
	}
	if m.Account("nope") != nil {
		t.Errorf("Account(nope) != nil")
	}
	abs := func(p string) string { return filepath.Join(m.Dir, filepath.FromSlash(p)) }
	want := []*Asset{
		{Name: "shop_photos/1.png", Type: "image", Account: "shop", File: "media/shops/1.png", Path: abs("media/shops/1.png"),
			Filename: "1.png", Size: int64(len(pngData)), Pos: Pos{Line: 32, Col: 11}},
		{Name: "shop_photos/2.png", Type: "image", Account: "shop", File: "media/shops/2.png", Path: abs("media/shops/2.png"),
			Filename: "2.png", Size: int64(len(pngData)), Pos: Pos{Line: 32, Col: 11}},
		{Name: "storefront", Type: "image", Account: "shop", File: "media/storefront.jpg", Path: abs("media/storefront.jpg"),
			Filename: "storefront.jpg", Size: int64(len(jpgData)), Pos: Pos{Line: 24, Col: 3}},
	}
	if !reflect.DeepEqual(m.Assets, want) {
		for i, a := range m.Assets {
			t.Logf("asset %d: %+v", i, a)
		}
		t.Errorf("Assets differ from want")
	}
	if got := m.Asset("shop_photos/2.png"); got != m.Assets[1] {
		t.Errorf("Asset(shop_photos/2.png) = %v", got)
	}
	if m.Asset("shop_photos") != nil || m.Asset("zzz") != nil {
		t.Errorf("Asset of an unknown name != nil")
	}
	if got := m.Resolve("secrets/key.pem"); got != abs("secrets/key.pem") {
		t.Errorf("Resolve = %q", got)
	}
	if got := m.Resolve("/etc/wxmedia/key.pem"); got != filepath.FromSlash("/etc/wxmedia/key.pem") {
		t.Errorf("Resolve(abs) = %q", got)
	}
}

func TestValidVariants(t *testing.T) {
	outside := t.TempDir()
	writeTree(t, outside, map[string]string{"key.pem": pemData})
	cases := []struct {
		name  string
		yaml  string
		files map[string]string
		check func(t *testing.T, m *Manifest)
	}{
		{name: "version only", yaml: "version: 1\n", check: func(t *testing.T, m *Manifest) {
			if len(m.Accounts) != 0 || len(m.Assets) != 0 {
				t.Errorf("got %d accounts, %d assets", len(m.Accounts), len(m.Assets))
			}
		}},
		{name: "null sections", yaml: "version: 1\naccounts:\nassets:\n"},
		{name: "trailing document marker", yaml: "version: 1\n---\n"},
		{name: "v3 sandbox without credentials", yaml: acct + "    api: v3\n    mchid: 1900000001\n    endpoint: sandbox\n",
			check: func(t *testing.T, m *Manifest) {
				if a := m.Account("a"); a.Endpoint != Sandbox || a.MchID != "1900000001" {
					t.Errorf("account = %+v", a)
				}
			}},
		{name: "v2 sandbox defaults", yaml: acct + "    api: v2\n    mchid: \"1\"\n    endpoint: sandbox\n",
			check: func(t *testing.T, m *Manifest) {
				if a := m.Account("a"); a.SignType != SignMD5 {
					t.Errorf("SignType = %q, want MD5", a.SignType)
				}
			}},
		{name: "v2 sign type normalised", yaml: acct + "    api: v2\n" + v2Fields + "    sign_type: hmac-sha256\n",
			check: func(t *testing.T, m *Manifest) {
				if a := m.Account("a"); a.SignType != SignHMACSHA256 {
					t.Errorf("SignType = %q", a.SignType)
				}
			}},
		{name: "global with certificates, env key, options", yaml: acct + `    api: global
    mchid: "1900000001"
    serial_no: 1FB89742D19F2BD30B69948D16DECA0FCB4481EB
    private_key_env: WXPAY_GLOBAL_KEY
    platform_certificate_files: [secrets/platform.pem, secrets/cert.pem]
    endpoint: http://127.0.0.1:8787/
    ca_file: secrets/cert.pem
    rate_limit: 2.5
`, check: func(t *testing.T, m *Manifest) {
			a := m.Account("a")
			if a.PrivateKeyEnv != "WXPAY_GLOBAL_KEY" || len(a.PlatformCertificateFiles) != 2 || a.Endpoint != "http://127.0.0.1:8787" ||
				a.CAFile != "secrets/cert.pem" || a.RateLimit != 2.5 {
				t.Errorf("account = %+v", a)
			}
		}},
		{name: "key file outside the manifest directory", yaml: acct + "    api: v3\n" + strings.Replace(v3Fields, "secrets/key.pem", filepath.ToSlash(filepath.Join(outside, "key.pem")), 1),
			check: func(t *testing.T, m *Manifest) {
				if got := m.Resolve(m.Account("a").PrivateKeyFile); got != filepath.Join(outside, "key.pem") {
					t.Errorf("Resolve(PrivateKeyFile) = %q", got)
				}
			}},
		{name: "endpoint https and localhost", yaml: acct + "    api: v3\n" + v3Fields + "    endpoint: https://api.mch.weixin.qq.com\n  b:\n    api: v3\n" + v3Fields + "    endpoint: http://localhost:9000\n"},
		{name: "file normalised, filename set, symlink inside", yaml: header + "  x:\n    type: image\n    account: shop\n    file: ./media//alias.jpg\n    filename: Store Front.JPG\n",
			files: map[string]string{"media/alias.jpg": "symlink:a.jpg"},
			check: func(t *testing.T, m *Manifest) {
				a := m.Asset("x")
				if a.File != "media/alias.jpg" || a.Filename != "Store Front.JPG" || a.Size != int64(len(jpgData)) {
					t.Errorf("asset = %+v", a)
				}
			}},
		{name: "every type", yaml: header + `  img: {type: image, account: shop, file: media/a.jpg}
  vid: {type: video, account: shop, file: media/clip.mp4}
  leg: {type: legacy_image, account: legacy, file: media/b.png}
  mkt: {type: marketing_image, account: shop, file: media/b.png}
  brd: {type: brand_image, account: brandacct, file: media/b.png}
  pkg: {type: user_package, account: brandacct, file: media/users.csv, data_type: openid}
  glb: {type: global_file, account: gl, file: media/licence.pdf}
`, files: nil, check: func(t *testing.T, m *Manifest) {
			if len(m.Assets) != 7 {
				t.Errorf("got %d assets", len(m.Assets))
			}
		}},
		{name: "anchors and merge keys", yaml: `version: 1
accounts:
  base: &base
    api: v3
    mchid: "1900000001"
    endpoint: sandbox
  other:
    <<: *base
    mchid: "1900000002"
assets:
  a: &img {type: image, account: base, file: media/a.jpg}
  b:
    <<: [*img]
    file: media/b.png
  c:
    <<: *img
`, check: func(t *testing.T, m *Manifest) {
			if o := m.Account("other"); o.API != "v3" || o.MchID != "1900000002" || o.Endpoint != Sandbox {
				t.Errorf("other = %+v", o)
			}
			if b := m.Asset("b"); b.File != "media/b.png" || b.Type != "image" {
				t.Errorf("b = %+v", b)
			}
			if c := m.Asset("c"); c.File != "media/a.jpg" {
				t.Errorf("c = %+v", c)
			}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			text := tc.yaml
			if tc.name == "every type" {
				text = strings.Replace(text, "assets:\n", "  gl:\n    api: global\n    mchid: \"3\"\n    endpoint: sandbox\nassets:\n", 1)
			}
			m, err, out := load(t, text, tc.files)
			if err != nil {
				t.Fatalf("Load: %s", out)
			}
			for i := 1; i < len(m.Assets); i++ {
				if m.Assets[i-1].Name >= m.Assets[i].Name {
					t.Errorf("assets not sorted: %s, %s", m.Assets[i-1].Name, m.Assets[i].Name)
				}
			}
			if tc.check != nil {
				tc.check(t, m)
			}
		})
	}
}

func TestSymlinksOutside(t *testing.T) {
	outside := t.TempDir()
	writeTree(t, outside, map[string]string{"a.jpg": jpgData, "b.png": pngData})
	runErrCases(t, []errCase{
		{name: "file", yaml: header + "  x:\n    type: image\n    account: shop\n    file: media/link.jpg\n",
			files: map[string]string{"media/link.jpg": "symlink:" + filepath.Join(outside, "a.jpg")},
			want:  []string{"24:11: assets.x.file: media/link.jpg is a symlink to", "outside the manifest directory; copy the file into the repository instead"}, n: 1},
		{name: "directory", yaml: header + "  x:\n    type: image\n    account: shop\n    file: ext/a.jpg\n",
			files: map[string]string{"ext": "symlink:" + outside}, want: []string{"ext/a.jpg is a symlink to", "outside the manifest directory"}, n: 1},
		{name: "glob match", yaml: header + "  x:\n    type: image\n    account: shop\n    glob: media/shops/*.png\n",
			files: map[string]string{"media/shops/3.png": "symlink:" + filepath.Join(outside, "b.png")},
			want:  []string{"24:11: assets.x.glob: media/shops/3.png is a symlink to"}, n: 1},
		{name: "glob through directory", yaml: header + "  x:\n    type: image\n    account: shop\n    glob: ext/*.png\n",
			files: map[string]string{"ext": "symlink:" + outside}, want: []string{"ext/b.png is a symlink to"}, n: 1},
	})
}
