package manifest

import (
	"net/url"
	"strings"
)

// DefaultEndpoint is the production base URL per account api.
var DefaultEndpoint = map[string]string{
	"v3":     "https://api.mch.weixin.qq.com",
	"v2":     "https://api.mch.weixin.qq.com",
	"global": "https://apihk.mch.weixin.qq.com",
	"brand":  "https://api.mch.weixin.qq.com",
}

// Origin returns where the account's IDs are issued, as the lockfile
// records it: "sandbox" for the embedded emulator, otherwise the scheme and
// host (with any port) of its endpoint, lowercase, the api's default when
// it sets none. An ID is only good at the origin that issued it.
func (a *Account) Origin() string {
	ep := a.Endpoint
	if ep == Sandbox {
		return Sandbox
	}
	if ep == "" {
		ep = DefaultEndpoint[a.API]
	}
	u, err := url.Parse(ep)
	if err != nil || u.Host == "" {
		return strings.ToLower(ep) // checkEndpoint refused it already
	}
	return strings.ToLower(u.Scheme + "://" + u.Host)
}

// ShowOrigin shortens an origin for messages: an https origin is shown by
// its host alone ("api.mch.weixin.qq.com"), anything else as it is.
func ShowOrigin(origin string) string {
	return strings.TrimPrefix(origin, "https://")
}
