package emulator

import (
	"bytes"
	"path"
	"strings"
)

// sniffLen is how many leading bytes of a file are kept for sniffing.
const sniffLen = 512

// magic reports whether a file's leading bytes fit a format.
type magic func(head []byte) bool

func prefix(p string) magic {
	return func(h []byte) bool { return bytes.HasPrefix(h, []byte(p)) }
}

var (
	isJPEG = prefix("\xff\xd8\xff")
	isPNG  = prefix("\x89PNG\r\n\x1a\n")
	// [ASSUMED] a BMP is recognised by its "BM" signature alone.
	isBMP = prefix("BM")
	isPDF = prefix("%PDF-")
	isMKV = prefix("\x1a\x45\xdf\xa3")
	isFLV = prefix("FLV\x01")
	isRM  = prefix(".RMF")
	isASF = prefix("\x30\x26\xb2\x75\x8e\x66\xcf\x11\xa6\xd9\x00\xaa\x00\x62\xce\x6c")
)

// isAVI: RIFF container with form type "AVI ".
func isAVI(h []byte) bool {
	return len(h) >= 12 && string(h[:4]) == "RIFF" && string(h[8:12]) == "AVI "
}

// isISO: ISO base media file (mp4, m4v, f4v) starting with an ftyp box.
func isISO(h []byte) bool { return len(h) >= 8 && string(h[4:8]) == "ftyp" }

// isMOV: QuickTime files may also start with other top-level atoms.
func isMOV(h []byte) bool {
	if len(h) < 8 {
		return false
	}
	switch string(h[4:8]) {
	case "ftyp", "moov", "mdat", "wide", "free", "skip", "pnot":
		return true
	}
	return false
}

// isMPEG: MPEG program stream or elementary video stream. [ASSUMED] .mpeg
// names those; a transport stream (.ts) is not on the documented list, and
// wxmedia's own check (package mediatype) sees too few bytes to tell one.
func isMPEG(h []byte) bool {
	return bytes.HasPrefix(h, []byte{0, 0, 1, 0xba}) || bytes.HasPrefix(h, []byte{0, 0, 1, 0xb3})
}

// Formats per extension. [ASSUMED] the content must match the extension's
// own format (a PNG named .jpg is refused, docs/PROTOCOL.md §8 item 5), not merely be
// some image.
var (
	imageFormats = map[string]magic{"jpg": isJPEG, "jpeg": isJPEG, "png": isPNG, "bmp": isBMP}
	videoFormats = map[string]magic{
		"avi": isAVI, "wmv": isASF, "mpeg": isMPEG, "mp4": isISO, "mov": isMOV,
		"mkv": isMKV, "flv": isFLV, "f4v": isISO, "m4v": isISO, "rmvb": isRM,
	}
	globalFormats = map[string]magic{"pdf": isPDF, "jpg": isJPEG, "bmp": isBMP, "png": isPNG}
)

// extOf returns the lowercase extension of name without the dot.
// [ASSUMED] extensions are compared case-insensitively.
func extOf(name string) string {
	return strings.ToLower(strings.TrimPrefix(path.Ext(name), "."))
}
