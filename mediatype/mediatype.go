// Package mediatype holds, for every asset type wxmedia knows, the client-side
// rules WeChat Pay enforces: which account api it needs, which extensions and
// magic bytes it accepts, its size limit and filename rules.
//
// It is the one switch point for limits docs/PROTOCOL.md marks as assumptions
// (binary megabytes, case-insensitive extensions).
package mediatype

import (
	"bytes"
	"fmt"
	"path"
	"regexp"
	"sort"
	"strings"
	"unicode/utf8"
)

// MiB is the unit WeChat Pay's "MB" limits are read in. [ASSUMED] binary
// megabytes (docs/PROTOCOL.md §3 and its assumptions table).
const MiB = 1 << 20

// HeadSize is how many leading bytes Sniff needs.
const HeadSize = 16

// Type describes one asset type.
type Type struct {
	// Name is the manifest's `type` value.
	Name string
	// API is the account api it requires: v3, v2, global or brand.
	API string
	// MaxSize is the largest accepted file, in bytes.
	MaxSize int64
	// Extensions lists accepted lowercase extensions without the dot.
	Extensions []string
	// MaxFilename is the longest accepted filename, in characters.
	MaxFilename int
	// FilenamePattern, when set, restricts the filename's characters.
	FilenamePattern *regexp.Regexp
	// IDField is the response field recorded as the asset's id. It is the
	// one definition: the provider reads the ID from this field.
	IDField string
	// Path is the request path of the upload (of the session call, for a
	// chunked upload). It is the one definition: the provider sends to it.
	Path string
	// Steps, when set, names the requests that follow the first, for docs.
	Steps string
	// Endpoint is the method and path, for messages and docs: "POST "+Path,
	// then Steps in brackets.
	Endpoint string
}

// brandFilename is the character set the brand APIs allow in filenames.
var brandFilename = regexp.MustCompile(`^[A-Za-z0-9_.\-]+$`)

var imageExts = []string{"jpg", "jpeg", "bmp", "png"}

var types = map[string]*Type{
	"image": {Name: "image", API: "v3", MaxSize: 2 * MiB, Extensions: imageExts, MaxFilename: 128,
		IDField: "media_id", Path: "/v3/merchant/media/upload"},
	"video": {Name: "video", API: "v3", MaxSize: 5 * MiB,
		Extensions:  []string{"avi", "wmv", "mpeg", "mp4", "mov", "mkv", "flv", "f4v", "m4v", "rmvb"},
		MaxFilename: 128, IDField: "media_id", Path: "/v3/merchant/media/video_upload"},
	"legacy_image": {Name: "legacy_image", API: "v2", MaxSize: 2*MiB - 1, Extensions: imageExts, MaxFilename: 128,
		IDField: "media_id", Path: "/secapi/mch/uploadmedia"},
	"global_file": {Name: "global_file", API: "global", MaxSize: 5 * MiB, Extensions: []string{"pdf", "jpg", "bmp", "png"},
		MaxFilename: 256, IDField: "file_id", Path: "/v3/global/merchant-storage/file/upload"},
	"user_package": {Name: "user_package", API: "brand", MaxSize: 20 * MiB, Extensions: []string{"csv"},
		// The session call takes CSV only (docs/PROTOCOL.md §7.2).
		MaxFilename: 128, FilenamePattern: brandFilename, IDField: "upload_id",
		Path: "/brand/marketing/user-package/uploads", Steps: "+ PUT parts, merge"},
	"marketing_image": {Name: "marketing_image", API: "v3", MaxSize: 2 * MiB, Extensions: []string{"jpg", "jpeg", "bmp", "png"},
		MaxFilename: 128, IDField: "media_url", Path: "/v3/marketing/favor/media/image-upload"},
	"brand_image": {Name: "brand_image", API: "brand", MaxSize: 2 * MiB, Extensions: []string{"jpg", "jpeg", "bmp", "png"},
		MaxFilename: 128, IDField: "image_url", Path: "/brand/marketing/product-coupon/media/upload-image"},
}

func init() {
	for _, t := range types {
		t.Endpoint = "POST " + t.Path
		if t.Steps != "" {
			t.Endpoint += " (" + t.Steps + ")"
		}
	}
}

// Lookup returns the rules for a type name, or nil.
func Lookup(name string) *Type { return types[name] }

// Names lists every type name, sorted.
func Names() []string {
	out := make([]string, 0, len(types))
	for n := range types {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// APIs lists the account api values.
func APIs() []string { return []string{"v3", "v2", "global", "brand"} }

// Ext returns the lowercase extension of name without the dot.
// [ASSUMED] extensions are compared case-insensitively.
func Ext(name string) string {
	return strings.ToLower(strings.TrimPrefix(path.Ext(name), "."))
}

// AllowsExt reports whether ext (lowercase, no dot) is accepted.
func (t *Type) AllowsExt(ext string) bool {
	for _, e := range t.Extensions {
		if e == ext {
			return true
		}
	}
	return false
}

// CheckFilename returns a problem with the filename sent to WeChat Pay, or "".
func (t *Type) CheckFilename(name string) string {
	n := utf8.RuneCountInString(name)
	switch {
	case !utf8.ValidString(name):
		return "filename is not valid UTF-8"
	case n == 0:
		return "filename is empty"
	case n > t.MaxFilename:
		return fmt.Sprintf("filename is %d characters; %s allows at most %d", n, t.Name, t.MaxFilename)
	case strings.ContainsAny(name, "/\\\x00\r\n"):
		return "filename must not contain slashes, NUL or line breaks"
	case !t.AllowsExt(Ext(name)):
		return fmt.Sprintf("filename %q has extension %q; %s accepts %s", name, Ext(name), t.Name, strings.Join(t.Extensions, ", "))
	case t.FilenamePattern != nil && !t.FilenamePattern.MatchString(name):
		return fmt.Sprintf("filename %q may only contain letters, digits, '_', '.' and '-'", name)
	}
	return ""
}

// ContentType returns the media type sent in the multipart file part.
func ContentType(ext string) string {
	switch ext {
	case "jpg", "jpeg":
		return "image/jpeg"
	case "png":
		return "image/png"
	case "bmp":
		return "image/bmp"
	case "pdf":
		return "application/pdf"
	case "mp4", "m4v", "f4v":
		return "video/mp4"
	case "mov":
		return "video/quicktime"
	case "avi":
		return "video/x-msvideo"
	case "wmv":
		return "video/x-ms-wmv"
	case "mpeg":
		return "video/mpeg"
	case "mkv":
		return "video/x-matroska"
	case "flv":
		return "video/x-flv"
	case "rmvb":
		return "application/vnd.rn-realmedia-vbr"
	case "csv":
		return "text/csv"
	case "txt":
		return "text/plain"
	}
	return "application/octet-stream"
}

// The video checks here and in the emulator (providers/emulator/sniff.go)
// accept the same files; providertest.TestVideoSniffAgrees keeps them so.

// Sniff reports whether head (the file's first bytes, up to HeadSize) looks
// like a file of extension ext. It returns a short description of what the
// bytes look like instead when they do not match.
func Sniff(ext string, head []byte) (ok bool, looksLike string) {
	if len(head) == 0 {
		return false, "an empty file"
	}
	if matches(ext, head) {
		return true, ""
	}
	for _, e := range []string{"png", "jpg", "bmp", "pdf", "mp4", "avi", "wmv", "mpeg", "mkv", "flv", "rmvb"} {
		if e != ext && matches(e, head) {
			return false, e + " data"
		}
	}
	if looksText(head) {
		return false, "text"
	}
	return false, "unrecognised data"
}

func matches(ext string, h []byte) bool {
	switch ext {
	case "jpg", "jpeg":
		return bytes.HasPrefix(h, []byte{0xFF, 0xD8, 0xFF})
	case "png":
		return bytes.HasPrefix(h, []byte("\x89PNG\r\n\x1a\n"))
	case "bmp":
		return bytes.HasPrefix(h, []byte("BM"))
	case "pdf":
		return bytes.HasPrefix(h, []byte("%PDF-"))
	case "mp4", "m4v", "f4v", "mov":
		if len(h) < 8 {
			return false
		}
		box := string(h[4:8])
		switch {
		case box == "ftyp":
			return true
		case ext != "mov":
			return false
		}
		// QuickTime files may start with other top-level atoms.
		switch box {
		case "moov", "mdat", "wide", "free", "skip", "pnot":
			return true
		}
		return false
	case "avi":
		return len(h) >= 12 && string(h[0:4]) == "RIFF" && string(h[8:12]) == "AVI "
	case "wmv":
		// The whole ASF header GUID, as the emulator checks it.
		return bytes.HasPrefix(h, []byte{0x30, 0x26, 0xB2, 0x75, 0x8E, 0x66, 0xCF, 0x11, 0xA6, 0xD9, 0x00, 0xAA, 0x00, 0x62, 0xCE, 0x6C})
	case "mpeg":
		return bytes.HasPrefix(h, []byte{0, 0, 1, 0xBA}) || bytes.HasPrefix(h, []byte{0, 0, 1, 0xB3})
	case "mkv":
		return bytes.HasPrefix(h, []byte{0x1A, 0x45, 0xDF, 0xA3})
	case "flv":
		return bytes.HasPrefix(h, []byte("FLV\x01")) // version 1, the only one
	case "rmvb":
		return bytes.HasPrefix(h, []byte(".RMF"))
	case "csv", "txt":
		return looksText(h)
	}
	return false
}

func looksText(h []byte) bool {
	if bytes.IndexByte(h, 0) >= 0 {
		return false
	}
	// A multi-byte rune may be cut at the end of head.
	for len(h) > 0 && !utf8.Valid(h) {
		h = h[:len(h)-1]
	}
	return len(h) > 0
}

// HumanSize formats n bytes for messages and tables.
func HumanSize(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return trimZero(fmt.Sprintf("%.1f", float64(n)/(1<<20))) + " MiB"
	case n >= 1<<10:
		return trimZero(fmt.Sprintf("%.1f", float64(n)/(1<<10))) + " KiB"
	}
	return fmt.Sprintf("%d B", n)
}

func trimZero(s string) string {
	if len(s) > 2 && s[len(s)-2:] == ".0" {
		return s[:len(s)-2]
	}
	return s
}
