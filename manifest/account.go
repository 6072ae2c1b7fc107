package manifest

import (
	"errors"
	"fmt"
	"io/fs"
	"math"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"gopkg.in/yaml.v3"

	"github.com/wxmedia/wxmedia/mediatype"
)

// Account keys, in the order messages list them.
var (
	commonAccountKeys = []string{"api", "mchid", "endpoint", "ca_file", "rate_limit"}
	// signedKeys are used by the apis that sign with a merchant private key
	// (v3, global, brand).
	signedKeys = []string{"serial_no", "private_key_file", "private_key_env",
		"wechatpay_public_key_id", "wechatpay_public_key_file", "platform_certificate_files", "apiv3_key_env"}
	v2Keys      = []string{"api_key_env", "client_cert_file", "client_key_file", "sign_type"}
	accountKeys = concat(commonAccountKeys[:2], signedKeys, v2Keys, commonAccountKeys[2:])
)

const (
	digitsExpr = `^[0-9]{1,32}$`
	serialExpr = `^[0-9A-Fa-f]{40}$`
)

// lazyRegexp returns expr compiled when first asked for.
func lazyRegexp(expr string) func() *regexp.Regexp {
	return sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(expr) })
}

func concat(lists ...[]string) []string {
	var out []string
	for _, l := range lists {
		out = append(out, l...)
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

var (
	envNamePattern = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	// Patterns with a counted repetition compile to a program as long as
	// the count: compiled when first used, not when every command starts.
	digitsPattern    = lazyRegexp(digitsExpr)
	serialPattern    = lazyRegexp(serialExpr)
	publicKeyPattern = regexp.MustCompile(`^PUB_KEY_ID_[0-9]+$`)
	secretPattern    = lazyRegexp(`^[A-Za-z0-9]{32}$`)
)

// Sandbox is the endpoint value that runs the embedded emulator with
// built-in test keys.
const Sandbox = "sandbox"

// Sign types of api: v2 accounts.
const (
	SignMD5        = "MD5"
	SignHMACSHA256 = "HMAC-SHA256"
)

// account validates one entry under accounts.
func (p *parser) account(e entry) *Account {
	path := "accounts." + e.name
	v := e.val
	if v.Kind == yaml.ScalarNode && v.Tag == "!!null" {
		p.errorf(e.key, path, "account %s is empty; give it at least api and mchid", e.name)
		return nil
	}
	if v.Kind != yaml.MappingNode {
		p.errorf(v, path, "account %s must be a mapping of settings (api, mchid, ...), not %s", e.name, describe(v))
		return nil
	}
	a := &Account{Name: e.name, Pos: Pos{Line: e.key.Line, Col: e.key.Column}}
	f := map[string]entry{}
	fields := p.entries(v, path)
	if p.exhausted {
		return nil // cut short: reported once, not as missing keys
	}
	for _, c := range fields {
		if !contains(accountKeys, c.name) {
			p.unknownKey(c, path, "key", accountKeys)
			continue
		}
		f[c.name] = c
	}
	ac := &accountCheck{p: p, a: a, path: path, at: e.key, f: f}
	ac.check()
	return a
}

// accountCheck validates the fields of one account.
type accountCheck struct {
	p    *parser
	a    *Account
	path string
	at   *yaml.Node // the account's name, where missing keys are reported
	f    map[string]entry
}

// get returns the text of key k, whether it is present (a null value counts
// as absent), and its node.
func (c *accountCheck) get(k string) (string, bool, *yaml.Node) {
	return c.p.field(c.f, c.path, k)
}

func (c *accountCheck) errorf(n *yaml.Node, k, format string, args ...any) {
	if n == nil {
		n = c.at
	}
	c.p.errorf(n, join(c.path, k), format, args...)
}

func (c *accountCheck) missing(k, format string, args ...any) {
	if e, ok := c.f[k]; ok {
		// Present but empty.
		c.p.errorf(e.val, join(c.path, k), k+" is empty; "+format, args...)
		return
	}
	c.p.errorf(c.at, join(c.path, k), k+" is missing; "+format, args...)
}

func (c *accountCheck) check() {
	a := c.a

	switch api, ok, n := c.get("api"); {
	case !ok:
		c.missing("api", "set it to one of %s, e.g. `api: v3`", strings.Join(mediatype.APIs(), ", "))
	case n == nil: // not a scalar; reported
	case !contains(mediatype.APIs(), api):
		c.errorf(n, "api", "api %s is not one of %s;%s", show(api), strings.Join(mediatype.APIs(), ", "), didYouMean(api, mediatype.APIs()))
	default:
		a.API = api
	}

	if s, ok, n := c.get("endpoint"); ok && n != nil {
		if msg := checkEndpoint(s); msg != "" {
			c.errorf(n, "endpoint", "%s", msg)
		} else {
			a.Endpoint = strings.TrimRight(s, "/")
			if s == Sandbox {
				a.Endpoint = Sandbox
			}
		}
	}
	sandbox := a.Endpoint == Sandbox

	idLabel := map[string]string{"v2": "merchant ID (mch_id)", "brand": "brand ID (brand_id)"}[a.API]
	if idLabel == "" {
		idLabel = "merchant ID (mchid)"
	}
	switch s, ok, n := c.get("mchid"); {
	case !ok:
		c.missing("mchid", "set it to your %s, quoted: mchid: \"1900000001\"", idLabel)
	case n == nil: // not a scalar; reported
	case !digitsPattern().MatchString(strings.TrimSpace(s)):
		c.errorf(n, "mchid", "mchid must be your %s, 1 to 32 digits; got %s", idLabel, show(s))
	default:
		a.MchID = strings.TrimSpace(s)
	}

	if s, ok, n := c.get("ca_file"); ok && n != nil {
		a.CAFile = c.credFile(n, "ca_file", s)
	}
	if e, ok := c.f["rate_limit"]; ok {
		a.RateLimit = c.rateLimit(e.val)
	}

	// Keys that belong to the other family of apis.
	if a.API != "" {
		other, why := v2Keys, fmt.Sprintf("is only used by api: v2 accounts; remove it (account %s has api: %s)", a.Name, a.API)
		if a.API == "v2" {
			other = signedKeys
			why = "is not used by api: v2 accounts, which sign with api_key_env and client_cert_file/client_key_file; remove it (it is for api: v3, global and brand)"
		}
		for _, k := range other {
			if e, ok := c.f[k]; ok {
				c.p.errorf(e.key, join(c.path, k), "%s %s", k, why)
				delete(c.f, k)
			}
		}
	}

	// With the api unknown, still check the format of whatever is there.
	if a.API == "v2" || a.API == "" {
		c.v2(sandbox || a.API == "")
	}
	if a.API != "v2" {
		c.signed(sandbox || a.API == "")
	}
}

// signed checks the keys of api v3, global and brand accounts. With lax
// (sandbox, or api unknown) nothing is required.
func (c *accountCheck) signed(lax bool) {
	a := c.a
	if s, ok, n := c.get("serial_no"); ok && n != nil {
		s = strings.TrimSpace(s)
		if !serialPattern().MatchString(s) {
			c.errorf(n, "serial_no", "serial_no must be the 40 hex digits of your merchant API certificate's serial number (merchant platform, API security); got %d characters", len([]rune(s)))
		} else {
			a.SerialNo = strings.ToUpper(s)
		}
	} else if !lax && !ok {
		c.missing("serial_no", "set it to your merchant API certificate's serial number (40 hex digits), or use endpoint: sandbox to try wxmedia without credentials")
	}

	file, hasFile, fileNode := c.get("private_key_file")
	env, hasEnv, envNode := c.get("private_key_env")
	switch {
	case hasFile && hasEnv && fileNode != nil && envNode != nil:
		second, k := envNode, "private_key_env"
		if fileNode.Line > envNode.Line || (fileNode.Line == envNode.Line && fileNode.Column > envNode.Column) {
			second, k = fileNode, "private_key_file"
		}
		c.errorf(second, k, "set only one of private_key_file and private_key_env; remove one")
	case !hasFile && !hasEnv && !lax:
		c.errorf(nil, "private_key_file", "the account needs its merchant private key: add private_key_file: PATH, or private_key_env: VAR naming an environment variable holding the PEM text")
	}
	if hasFile && fileNode != nil {
		a.PrivateKeyFile = c.credFile(fileNode, "private_key_file", file)
	}
	if hasEnv && envNode != nil {
		if c.envName(envNode, "private_key_env", env) {
			a.PrivateKeyEnv = env
		}
	}

	id, hasID, idNode := c.get("wechatpay_public_key_id")
	pub, hasPub, pubNode := c.get("wechatpay_public_key_file")
	if hasID && idNode != nil {
		id = strings.TrimSpace(id)
		if !publicKeyPattern.MatchString(id) {
			c.errorf(idNode, "wechatpay_public_key_id", "wechatpay_public_key_id must look like PUB_KEY_ID_ followed by digits, as shown in the merchant platform; got %s", show(id))
		} else {
			a.WechatPayPublicKeyID = id
		}
	}
	if hasPub && pubNode != nil {
		a.WechatPayPublicKeyFile = c.credFile(pubNode, "wechatpay_public_key_file", pub)
	}
	switch {
	case hasID && !hasPub:
		c.errorf(idNode, "wechatpay_public_key_file", "wechatpay_public_key_id needs wechatpay_public_key_file, the PEM file of that public key; add it")
	case hasPub && !hasID:
		c.errorf(pubNode, "wechatpay_public_key_id", "wechatpay_public_key_file needs wechatpay_public_key_id (PUB_KEY_ID_…); add it")
	}

	hasCerts := false
	if e, ok := c.f["platform_certificate_files"]; ok {
		hasCerts = c.certs(e.val)
	}
	c.apiv3KeyEnv(hasCerts)
	if lax {
		return
	}
	switch {
	case a.API == "brand" && !(hasID && hasPub):
		if hasID || hasPub {
			return // the missing half is already reported
		}
		c.errorf(nil, "wechatpay_public_key_id", "api: brand accounts verify responses with the WeChat Pay public key: add wechatpay_public_key_id and wechatpay_public_key_file")
	case !hasID && !hasPub && !hasCerts:
		if _, ok := c.f["platform_certificate_files"]; ok {
			return // reported by certs
		}
		c.errorf(nil, "wechatpay_public_key_id", "the account needs a way to verify WeChat Pay's responses: add wechatpay_public_key_id and wechatpay_public_key_file, or platform_certificate_files")
	}
}

// certs checks platform_certificate_files and reports whether it lists at
// least one file.
func (c *accountCheck) certs(v *yaml.Node) bool {
	const k = "platform_certificate_files"
	if v.Kind != yaml.SequenceNode {
		hint := ""
		if v.Kind == yaml.ScalarNode && v.Tag != "!!null" {
			hint = fmt.Sprintf(": write [%s]", show(v.Value))
		}
		c.errorf(v, k, "platform_certificate_files must be a list of PEM files, not %s%s", kindName(v), hint)
		return false
	}
	if !c.p.step(v, len(v.Content)) {
		return false
	}
	if len(v.Content) == 0 {
		c.errorf(v, k, "platform_certificate_files is empty; list at least one certificate file, or remove the key")
		return false
	}
	for i, item := range v.Content {
		item = c.p.resolve(item)
		ik := fmt.Sprintf("%s[%d]", k, i)
		s, ok := c.p.str(item, join(c.path, ik))
		if !ok {
			continue
		}
		if f := c.credFile(item, ik, s); f != "" {
			c.a.PlatformCertificateFiles = append(c.a.PlatformCertificateFiles, f)
		}
	}
	return true
}

// v2 checks the keys of api v2 accounts. With lax nothing is required.
func (c *accountCheck) v2(lax bool) {
	a := c.a
	if s, ok, n := c.get("api_key_env"); ok && n != nil {
		if c.envName(n, "api_key_env", s) {
			a.APIKeyEnv = s
		}
	} else if !lax && !ok {
		c.missing("api_key_env", "name the environment variable that holds the API v2 key, e.g. api_key_env: WXPAY_V2_API_KEY (never write the key itself in the manifest)")
	}

	cert, hasCert, certNode := c.get("client_cert_file")
	key, hasKey, keyNode := c.get("client_key_file")
	if hasCert && certNode != nil {
		a.ClientCertFile = c.credFile(certNode, "client_cert_file", cert)
	}
	if hasKey && keyNode != nil {
		a.ClientKeyFile = c.credFile(keyNode, "client_key_file", key)
	}
	switch {
	case hasCert && !hasKey:
		c.missing("client_key_file", "client_cert_file needs client_key_file, the private key of the merchant API certificate (apiclient_key.pem)")
	case hasKey && !hasCert:
		c.missing("client_cert_file", "client_key_file needs client_cert_file, the merchant API certificate (apiclient_cert.pem)")
	case !hasCert && !hasKey && !lax:
		c.missing("client_cert_file", "uploads through api: v2 need the merchant API certificate: add client_cert_file (apiclient_cert.pem) and client_key_file (apiclient_key.pem)")
	}

	if s, ok, n := c.get("sign_type"); ok && n != nil {
		switch strings.ToUpper(strings.TrimSpace(s)) {
		case SignMD5:
			a.SignType = SignMD5
		case SignHMACSHA256, "HMAC_SHA256", "HMACSHA256":
			a.SignType = SignHMACSHA256
		default:
			c.errorf(n, "sign_type", "sign_type %s is not MD5 or HMAC-SHA256; use one of them, or remove the key for MD5", show(s))
		}
	} else if a.API == "v2" {
		a.SignType = SignMD5
	}
}

// envName checks that s names an environment variable, without ever echoing
// the value: a secret pasted by mistake must not reach logs.
func (c *accountCheck) envName(n *yaml.Node, k, s string) bool {
	switch {
	case strings.Contains(s, "-----BEGIN") || strings.Contains(s, "PRIVATE KEY"):
		c.errorf(n, k, "%s holds PEM text, not the name of an environment variable; put the PEM in a variable (or a file outside the repository) and name it here, and treat the key as leaked if this file was ever committed", k)
	case (k == "api_key_env" || k == "apiv3_key_env") && secretPattern().MatchString(s) && strings.ContainsAny(s, "0123456789") && strings.ContainsAny(s, "abcdefghijklmnopqrstuvwxyz"):
		c.errorf(n, k, "%s looks like the 32-character API key itself, not the name of an environment variable; export the key as a variable (e.g. WXPAY_V2_API_KEY), write that name here, and reset the key in the merchant platform if this file was ever shared", k)
	case !envNamePattern.MatchString(s):
		c.errorf(n, k, "%s must be the name of an environment variable (letters, digits and '_', not starting with a digit), such as WXPAY_PRIVATE_KEY", k)
	default:
		return true
	}
	return false
}

func (c *accountCheck) rateLimit(v *yaml.Node) float64 {
	if v.Kind != yaml.ScalarNode || (v.Tag != "!!int" && v.Tag != "!!float") {
		hint := ""
		if _, err := strconv.ParseFloat(strings.TrimSpace(v.Value), 64); err == nil && v.Kind == yaml.ScalarNode {
			hint = "; remove the quotes"
		}
		c.errorf(v, "rate_limit", "rate_limit must be a number of requests per second, such as 5 or 0.5, not %s%s", describe(v), hint)
		return 0
	}
	var f float64
	if err := v.Decode(&f); err != nil || math.IsNaN(f) || math.IsInf(f, 0) || f <= 0 {
		c.errorf(v, "rate_limit", "rate_limit must be a number of requests per second greater than 0, such as 5 or 0.5; got %s (remove the key for the endpoint's default)", show(v.Value))
		return 0
	}
	return f
}

// checkEndpoint returns what is wrong with an endpoint value, or "".
func checkEndpoint(s string) string {
	const want = "; use an https:// URL, http://127.0.0.1:PORT or http://localhost:PORT for a local emulator, or sandbox"
	if s == Sandbox {
		return ""
	}
	if strings.EqualFold(strings.TrimSpace(s), Sandbox) {
		return "endpoint must be exactly sandbox (lowercase, no spaces)"
	}
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || u.Opaque != "" {
		return fmt.Sprintf("endpoint %s is not a URL%s", show(s), want)
	}
	if u.User != nil {
		return "endpoint must not contain a user name or password; remove them from the URL"
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return fmt.Sprintf("endpoint %s must not have a query or fragment; give the base URL only", show(s))
	}
	switch u.Scheme {
	case "https":
		return ""
	case "http":
		h := u.Hostname()
		if h == "localhost" {
			return ""
		}
		if ip := net.ParseIP(h); ip != nil && ip.IsLoopback() {
			return ""
		}
		return fmt.Sprintf("endpoint %s uses plain http, which is only allowed for a local emulator (127.0.0.1 or localhost); use https://", show(s))
	}
	return fmt.Sprintf("endpoint %s has scheme %s%s", show(s), show(u.Scheme), want)
}

// credFile checks a key, certificate or CA file: relative paths are resolved
// against the manifest directory, absolute ones are allowed (secrets belong
// outside the repository). It returns s, or "" after reporting a problem.
// Only existence, kind and readability are checked: key material is parsed
// elsewhere.
func (c *accountCheck) credFile(n *yaml.Node, k, s string) string {
	switch {
	case strings.TrimSpace(s) == "":
		c.errorf(n, k, "%s is empty; give the path of the file", k)
		return ""
	case strings.Contains(s, "-----BEGIN") || strings.Contains(s, "\n"):
		c.errorf(n, k, "%s holds PEM text, not a file path; save it to a file outside the repository and give its path, and treat the key as leaked if this manifest was ever committed", k)
		return ""
	case strings.HasPrefix(s, "~"):
		c.errorf(n, k, "%s %s starts with ~, which wxmedia does not expand; write the absolute path", k, show(s))
		return ""
	case strings.ContainsRune(s, 0):
		c.errorf(n, k, "%s contains a NUL byte; fix the path", k)
		return ""
	}
	if c.p.opts.SkipCredentialFiles {
		return s
	}
	abs := filepath.FromSlash(s)
	if !filepath.IsAbs(abs) {
		abs = filepath.Join(c.p.dir, abs)
	}
	fi, err := os.Stat(abs)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		c.errorf(n, k, "no such file %s; check the path (relative to the manifest directory)", show(s))
		return ""
	case err != nil:
		c.p.add(&FieldError{File: c.p.name, Line: n.Line, Col: n.Column, Path: join(c.path, k),
			Msg: fmt.Sprintf("cannot use %s: %v", show(s), unwrapPath(err)), Err: err})
		return ""
	case fi.IsDir():
		c.errorf(n, k, "%s is a directory; give the path of the file inside it", show(s))
		return ""
	case !fi.Mode().IsRegular():
		c.errorf(n, k, "%s is not a regular file; give the path of a PEM file", show(s))
		return ""
	case fi.Size() == 0:
		c.errorf(n, k, "%s is empty; it should hold PEM text", show(s))
		return ""
	}
	f, err := os.Open(abs)
	if err != nil {
		c.p.add(&FieldError{File: c.p.name, Line: n.Line, Col: n.Column, Path: join(c.path, k),
			Msg: fmt.Sprintf("cannot read %s: %v; check its permissions", show(s), unwrapPath(err)), Err: err})
		return ""
	}
	f.Close()
	return s
}

// unwrapPath drops the operation and path of an *fs.PathError, which the
// message already names.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// apiv3KeyEnv checks apiv3_key_env: the environment variable holding the
// APIv3 key, with which apply downloads and decrypts the current platform
// certificates. The download is verified with a certificate the account
// already trusts, so platform_certificate_files must list one.
func (c *accountCheck) apiv3KeyEnv(hasCerts bool) {
	const k = "apiv3_key_env"
	s, ok, n := c.get(k)
	if !ok || n == nil {
		return
	}
	switch {
	case c.a.API == "brand":
		c.errorf(n, k, "apiv3_key_env downloads platform certificates, which api: brand accounts do not use (brand answers are verified with the WeChat Pay public key); remove it")
	case !hasCerts:
		if _, listed := c.f["platform_certificate_files"]; !listed {
			c.errorf(n, k, "apiv3_key_env needs platform_certificate_files listing at least one platform certificate you trust, which verifies the download; add it")
		}
	default:
		if c.envName(n, k, s) {
			c.a.APIv3KeyEnv = s
		}
	}
}
