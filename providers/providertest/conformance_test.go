package providertest_test

import (
	"regexp"
	"slices"
	"sort"
	"testing"

	"github.com/wxmedia/wxmedia/providers/brandchunk"
	"github.com/wxmedia/wxmedia/providers/brandimage"
	"github.com/wxmedia/wxmedia/providers/emulator"
	"github.com/wxmedia/wxmedia/providers/globalfile"
	"github.com/wxmedia/wxmedia/providers/marketingimage"
	"github.com/wxmedia/wxmedia/providers/providertest"
	"github.com/wxmedia/wxmedia/providers/registry"
	"github.com/wxmedia/wxmedia/providers/v2image"
	"github.com/wxmedia/wxmedia/providers/v3image"
	"github.com/wxmedia/wxmedia/providers/v3video"
)

const mib = 1 << 20

// imageSamples are the formats E1, E6, E7 and E3 accept.
var imageSamples = []providertest.Sample{
	{Filename: "shop.png", Content: providertest.PNG(300, 1)},
	{Filename: "shop.jpg", Content: providertest.JPEG(300, 2)},
	{Filename: "SHOP.JPEG", Content: providertest.JPEG(300, 3)},
	{Filename: "shop.bmp", Content: providertest.BMP(300, 4)},
}

// pngNamedJPG is a PNG named .jpg (docs/PROTOCOL.md §8 item 5).
var pngNamedJPG = providertest.Sample{Filename: "photo.jpg", Content: providertest.PNG(300, 5)}

// mediaID is the shape of the emulator's media_id: opaque base64url.
var mediaID = regexp.MustCompile(`^[A-Za-z0-9_-]{1,256}$`)

// TestConformance runs the suite for every asset type of providers/registry.
func TestConformance(t *testing.T) {
	for _, c := range conformanceCases() {
		t.Run(c.Type, func(t *testing.T) {
			t.Parallel()
			providertest.Run(t, c)
		})
	}
}

// TestConformanceCoversRegistry: every provider the registry lists has a
// row in the conformance table, and every row a provider.
func TestConformanceCoversRegistry(t *testing.T) {
	var rows []string
	for _, c := range conformanceCases() {
		rows = append(rows, c.Type)
	}
	sort.Strings(rows)
	if want := registry.Types(); !slices.Equal(rows, want) {
		t.Errorf("conformance rows %v, registry types %v: add a row to conformanceCases for each provider", rows, want)
	}
}

// conformanceCases describes every asset type of providers/registry.
func conformanceCases() []providertest.Case {
	return []providertest.Case{
		{
			Type: "image", Kind: providertest.Multipart, API: emulator.APIV3, Path: emulator.PathImageUpload,
			New:     v3image.Descriptor.New,
			Samples: imageSamples, ID: mediaID,
			MaxSize: 2 * mib, MaxFilename: 128, BadExtension: "shop.gif", Mismatch: pngNamedJPG,
			ParamCode: "PARAM_ERROR", RateCode: "FREQUENCY_LIMIT_EXCEED",
			// Every merchant the v3 scheme can name (v3, global) may call E1.
			NoAuthAPI: "",
		},
		{
			Type: "video", Kind: providertest.Multipart, API: emulator.APIV3, Path: emulator.PathVideoUpload,
			New: v3video.Descriptor.New,
			Samples: []providertest.Sample{
				{Filename: "ad.mp4", Content: providertest.MP4(400, 6)},
				{Filename: "ad.MOV", Content: providertest.MP4(400, 7)},
				{Filename: "ad.avi", Content: append([]byte("RIFF\x00\x00\x00\x00AVI "), providertest.PNG(300, 8)...)},
			},
			ID:      mediaID,
			MaxSize: 5 * mib, MaxFilename: 128, BadExtension: "ad.webm",
			Mismatch:  providertest.Sample{Filename: "ad.mp4", Content: providertest.PNG(400, 9)},
			ParamCode: "PARAM_ERROR", RateCode: "FREQUENCY_LIMIT_EXCEED",
		},
		{
			Type: "global_file", Kind: providertest.Multipart, API: emulator.APIGlobal, Path: emulator.PathGlobalUpload,
			New: globalfile.Descriptor.New,
			Samples: []providertest.Sample{
				{Filename: "licence.pdf", Content: providertest.PDF(500, 10)},
				{Filename: "licence.png", Content: providertest.PNG(300, 11)},
				{Filename: "licence.jpg", Content: providertest.JPEG(300, 12)},
				{Filename: "licence.bmp", Content: providertest.BMP(300, 13)},
			},
			ID:      regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`),
			MaxSize: 5 * mib, MaxFilename: 256, BadExtension: "licence.docx",
			Mismatch: providertest.Sample{Filename: "licence.pdf", Content: providertest.PNG(300, 14)},
			// E4 reports every parameter error as INVALID_REQUEST (docs/PROTOCOL.md §6).
			ParamCode: "INVALID_REQUEST", RateCode: "FREQUENCY_LIMIT_EXCEED",
			NoAuthAPI: emulator.APIV3,
		},
		{
			Type: "marketing_image", Kind: providertest.Multipart, API: emulator.APIV3, Path: emulator.PathMarketingUpload,
			New:     marketingimage.Descriptor.New,
			Samples: imageSamples,
			ID:      regexp.MustCompile(`^https://[a-z0-9.-]+/[A-Za-z0-9_/.-]+\.(png|jpg|jpeg|bmp)$`),
			MaxSize: 2 * mib, MaxFilename: 128, BadExtension: "coupon.webp", Mismatch: pngNamedJPG,
			ParamCode: "PARAM_ERROR", RateCode: "FREQUENCY_LIMIT_EXCEED",
			NoAuthAPI: emulator.APIGlobal,
		},
		{
			Type: "brand_image", Kind: providertest.Multipart, API: emulator.APIBrand, Path: emulator.PathBrandImage,
			New:     brandimage.Descriptor.New,
			Samples: imageSamples,
			ID:      regexp.MustCompile(`^https://[a-z0-9.-]+/[A-Za-z0-9_/.-]{1,200}\.(png|jpg|jpeg|bmp)$`),
			MaxSize: 2 * mib, MaxFilename: 128, BadExtension: "coupon.tiff", Mismatch: pngNamedJPG,
			ParamCode: "PARAM_ERROR", RateCode: "FREQUENCY_LIMIT_EXCEED",
		},
		{
			Type: "legacy_image", Kind: providertest.Legacy, API: emulator.APIV2, Path: emulator.PathV2Upload,
			New:     v2image.Descriptor.New,
			Samples: imageSamples, ID: mediaID,
			// "< 2 MB" (docs/PROTOCOL.md §5): one byte under 2 MiB is the largest.
			MaxSize: 2*mib - 1, BadExtension: "logo.gif", Mismatch: pngNamedJPG,
			ParamCode: "PARAM_ERROR", RateCode: "FREQUENCY_LIMITED",
		},
		{
			Type: "user_package", Kind: providertest.Chunked, API: emulator.APIBrand, Path: emulator.PathUserPackageUploads,
			New: brandchunk.Descriptor.New,
			Samples: []providertest.Sample{
				{Filename: "audience.csv", Content: providertest.CSV(7, 15)},  // 4 parts of 64 bytes
				{Filename: "vip_2026.csv", Content: providertest.CSV(20, 16)}, // 10 parts
			},
			ID:       regexp.MustCompile(`^[0-9a-f]{1,128}$`),
			RateCode: "RATELIMIT_EXCEEDED",
			PartSize: 64,
		},
	}
}

// TestConformanceCertificateMode runs the suite for the v3 and global
// endpoints with accounts that trust only the platform certificate
// (platform_certificate_files), as merchants not yet on the WeChat Pay
// public key configure them.
func TestConformanceCertificateMode(t *testing.T) {
	for _, c := range conformanceCases() {
		if c.Kind != providertest.Multipart || c.API == emulator.APIBrand {
			continue // brand answers are always in public-key mode; v2 has no such signatures
		}
		c.CertMode = true
		t.Run(c.Type, func(t *testing.T) {
			t.Parallel()
			providertest.Run(t, c)
		})
	}
}
