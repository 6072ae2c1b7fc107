package manifest

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/wxmedia/wxmedia/audience"
	"github.com/wxmedia/wxmedia/mediatype"
)

// audienceFields holds the user_package-only keys of one asset.
type audienceFields struct {
	dataType, description, expandInto string
}

// audienceFields checks data_type, description and expand_into: required,
// optional and optional for user_package assets, refused on any other type
// (t nil: the type itself is reported).
func (p *parser) audienceFields(f map[string]entry, kp string, t *mediatype.Type, missing func(k, format string, args ...any)) audienceFields {
	var out audienceFields
	if t != nil && t.Name != "user_package" {
		for _, k := range []string{"data_type", "description", "expand_into"} {
			if e, ok := f[k]; ok {
				p.errorf(e.key, join(kp, k), "%s applies only to user_package assets, and this one has type %s; remove it", k, t.Name)
			}
		}
		return out
	}
	switch s, ok, n := p.field(f, kp, "data_type"); {
	case !ok:
		if t != nil {
			missing("data_type", "set it to openid (one openid per line) or mobile_md5 (the MD5 of one mobile number per line)")
		}
	case n == nil:
	case !audience.ValidDataType(s):
		p.errorf(n, kp+".data_type", "unknown data_type %s; use openid (one openid per line) or mobile_md5 (the MD5 of one mobile number per line; raw numbers are never uploaded)", show(s))
	default:
		out.dataType = s
	}
	if s, ok, n := p.field(f, kp, "description"); ok && n != nil {
		switch {
		case utf8.RuneCountInString(s) > audience.MaxDescription:
			p.errorf(n, kp+".description", "description is %d characters; at most %d are sent, so shorten it", utf8.RuneCountInString(s), audience.MaxDescription)
		case strings.IndexFunc(s, unicode.IsControl) >= 0:
			p.errorf(n, kp+".description", "description contains a control character or line break; write it on one line")
		default:
			out.description = s
		}
	}
	if s, ok, n := p.field(f, kp, "expand_into"); ok && n != nil {
		if !audience.ValidPackageID(s) {
			p.errorf(n, kp+".expand_into", "expand_into %s is not an audience package ID (1 to 64 letters, digits, '_' or '-', such as \"01000100010000000007\"); copy the user_package_id from the merchant platform", show(s))
		} else {
			out.expandInto = s
		}
	}
	return out
}
