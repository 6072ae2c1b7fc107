package providertest

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/wxmedia/wxmedia/mediatype"
	"github.com/wxmedia/wxmedia/providers"
	"github.com/wxmedia/wxmedia/providers/emulator"
	"github.com/wxmedia/wxmedia/providers/v3video"
)

// TestVideoSniffAgrees checks that the client's video content check
// (mediatype.Sniff, run by validate and plan) and the emulator's accept
// exactly the same files: a file validate passes must not be refused at
// upload, and the emulator must not accept what validate refuses.
func TestVideoSniffAgrees(t *testing.T) {
	heads := map[string][]byte{
		"ftyp":        []byte("\x00\x00\x00\x18ftypmp42"),
		"moov":        []byte("\x00\x00\x00\x08moov"),
		"mdat":        []byte("\x00\x00\x00\x08mdat"),
		"skip":        []byte("\x00\x00\x00\x08skip"),
		"pnot":        []byte("\x00\x00\x00\x14pnot"),
		"wide":        []byte("\x00\x00\x00\x08wide"),
		"avi":         []byte("RIFF\x00\x10\x00\x00AVI LIST"),
		"wav":         []byte("RIFF\x00\x10\x00\x00WAVEfmt "),
		"asf":         []byte("\x30\x26\xb2\x75\x8e\x66\xcf\x11\xa6\xd9\x00\xaa\x00\x62\xce\x6c"),
		"asf_prefix8": []byte("\x30\x26\xb2\x75\x8e\x66\xcf\x11\x00\x00\x00\x00\x00\x00\x00\x00"),
		"mpeg_ps":     {0, 0, 1, 0xba, 0x44},
		"mpeg_es":     {0, 0, 1, 0xb3, 0x14},
		"mpeg_ts":     {0x47, 0x40, 0x00, 0x10},
		"mkv":         {0x1a, 0x45, 0xdf, 0xa3, 0x9f},
		"flv1":        []byte("FLV\x01\x05"),
		"flv2":        []byte("FLV\x02\x05"),
		"rm":          []byte(".RMF\x00\x00\x00\x12"),
		"png":         []byte("\x89PNG\r\n\x1a\n"),
		"text":        []byte("hello, world"),
	}
	c := &Case{Type: "video", Kind: Multipart, API: emulator.APIV3}
	e := start(t, c, options{})
	u := v3video.Descriptor.New(e.acct)
	for _, ext := range mediatype.Lookup("video").Extensions {
		for name, head := range heads {
			content := make([]byte, 400)
			for i := range content {
				content[i] = byte(i*7 + 1)
			}
			copy(content, head)
			if name == "mpeg_ts" {
				content[188] = 0x47 // the next transport packet's sync byte
			}
			client, _ := mediatype.Sniff(ext, content[:mediatype.HeadSize])
			filename := fmt.Sprintf("clip.%s", ext)
			_, err := u.Upload(context.Background(), request("sniff", filename, content))
			var ae *providers.APIError
			switch {
			case err == nil:
				if !client {
					t.Errorf("%s content in .%s: the emulator accepts it but validate refuses it", name, ext)
				}
			case errors.As(err, &ae) && ae.Code == "PARAM_ERROR":
				if client {
					t.Errorf("%s content in .%s: validate accepts it but the emulator refuses it (%s)", name, ext, ae.Message)
				}
			default:
				t.Fatalf("%s in .%s: %v", name, ext, err)
			}
		}
	}
}
