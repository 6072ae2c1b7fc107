package mediatype

import (
	"fmt"
	"net/url"
	"regexp"
	"unicode/utf8"
)

// IDShape is the shape of the ID an endpoint issues, so that `import` can
// refuse an ID that no upload of that type could have returned (an ID of
// another type, a truncated paste). Lengths are docs/PROTOCOL.md's; alphabets
// are [ASSUMED]: WeChat Pay documents the IDs as strings, and the samples
// use only these characters.
type IDShape struct {
	// Min and Max bound the length, in characters.
	Min, Max int
	// Chars is the accepted alphabet (a regexp character class body), used
	// when URL is false.
	Chars string
	// URL: the ID is an https (or http) URL.
	URL bool
	// Example is a well-formed ID, for messages.
	Example string

	re *regexp.Regexp
}

// opaqueChars is the alphabet assumed for opaque IDs: base64 (standard and
// URL-safe) and UUID characters.
const opaqueChars = `A-Za-z0-9_\-+/=.`

func opaque(min, max int, example string) *IDShape {
	return &IDShape{Min: min, Max: max, Chars: opaqueChars, Example: example}
}

// Per type, the ID its endpoint issues (docs/PROTOCOL.md §§ E1–E7).
var idShapes = map[string]*IDShape{
	// E1, E2, E6: {"media_id": "<string 1..512>"}.
	"image":           opaque(1, 512, "H1ihR9JUtVj-J7CJqBUY5ZOrG_Je75H-rKNhVZhK"),
	"video":           opaque(1, 512, "H1ihR9JUtVj-J7CJqBUY5ZOrG_Je75H-rKNhVZhK"),
	"legacy_image":    opaque(1, 256, "H1ihR9JUtVj-J7CJqBUY5ZOrG_Je75H-rKNhVZhK"),
	"global_file":     {Min: 16, Max: 64, Chars: `A-Za-z0-9_\-`, Example: "b6a17e2a-1dc4-4376-8630-e73d06490c0d"},
	"user_package":    {Min: 1, Max: 128, Chars: `A-Za-z0-9_\-`, Example: "17587186700323d11ac17d8d3d4c8c4e5a250c3e804977e89af6a05ffa93751d0ec0179ca8"},
	"marketing_image": {Min: 1, Max: 2048, URL: true, Example: "https://wxpaylogo.qpic.cn/wxpaylogo/PiajxSqBRaEIPAeia7Imvtsc0Aic4E0yq7NGY7OddMPzwkZ1WIdMpS52/0"},
	"brand_image":     {Min: 1, Max: 256, URL: true, Example: "https://wxpaylogo.qpic.cn/wxpaylogo/PiajxSqBRaEIPAeia7Imvtsc0Aic4E0yq7NGY7OddMPzwkZ1WIdMpS52/0"},
}

func init() {
	for _, s := range idShapes {
		if !s.URL {
			s.re = regexp.MustCompile(`^[` + s.Chars + `]+$`)
		}
	}
}

// ID returns the shape of the IDs issued for type t.
func (t *Type) ID() *IDShape { return idShapes[t.Name] }

// Check returns what is wrong with id for this shape, or "".
func (s *IDShape) Check(id string) string {
	n := utf8.RuneCountInString(id)
	if n < s.Min || n > s.Max {
		return fmt.Sprintf("is %d characters long; expected %s", n, s)
	}
	if s.URL {
		u, err := url.Parse(id)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return "is not a URL; expected " + s.String()
		}
		return ""
	}
	if !s.re.MatchString(id) {
		return "has characters outside " + s.Chars + "; expected " + s.String()
	}
	return ""
}

// String describes the shape for messages, with an example.
func (s *IDShape) String() string {
	what := fmt.Sprintf("%d to %d characters of %s", s.Min, s.Max, s.Chars)
	if s.Min == s.Max {
		what = fmt.Sprintf("%d characters of %s", s.Min, s.Chars)
	}
	if s.URL {
		what = fmt.Sprintf("an https:// URL of at most %d characters", s.Max)
	}
	return fmt.Sprintf("%s, such as %s", what, s.Example)
}
