package providertest

import (
	"context"
	"net/http"
	"testing"

	"github.com/wxmedia/wxmedia/providers"
	"github.com/wxmedia/wxmedia/providers/emulator"
)

// runExpand is the suite of what follows a user-package upload: both data
// types, and expanding an audience package with the merged upload
// (POST …/user-packages/{user_package_id}/expand). It runs for chunked
// providers that implement providers.Expander.
func runExpand(t *testing.T, c *Case) {
	if c.Kind != Chunked {
		return
	}
	runScenarios(t, c, dataTypeMobileMD5, dataTypeRefused, expandHappy, expandErrors)
}

// expander is the provider's uploader as a providers.Expander; the test
// is skipped when it is not one.
func expander(t *testing.T, c *Case, e *env) providers.Expander {
	x, ok := c.New(e.acct).(providers.Expander)
	if !ok {
		t.Skipf("%s does not implement providers.Expander", c.Type)
	}
	return x
}

// uploaded uploads the base sample on e and returns its upload_id.
func uploaded(t *testing.T, c *Case, e *env, name string) string {
	t.Helper()
	base := c.Samples[0]
	res, err := e.upload(context.Background(), request(assetName(c, name), base.Filename, base.Content))
	if err != nil {
		t.Fatalf("Upload = %v, want success", err)
	}
	return res.ID
}

// dataTypeMobileMD5 uploads an audience file of MD5-hashed mobile numbers.
func dataTypeMobileMD5(t *testing.T, c *Case) {
	t.Run("data_type/mobile_md5", func(t *testing.T) {
		t.Parallel()
		e := start(t, c, options{})
		content := MD5CSV(9, 21)
		req := request(assetName(c, "md5"), "phones.csv", content)
		req.DataType = "mobile_md5"
		res, err := e.upload(context.Background(), req)
		if err != nil {
			t.Fatalf("Upload(mobile_md5) = %v, want success", err)
		}
		checkIssued(t, e, c.Path, res.ID, content, "phones.csv")
	})
}

// dataTypeRefused: an unknown data_type and a file that is not CSV are
// refused before any traffic.
func dataTypeRefused(t *testing.T, c *Case) {
	base := c.Samples[0]
	for _, tc := range []struct{ name, filename, dataType, want string }{
		{"data_type/unknown_refused_before_traffic", base.Filename, "email", "data_type"},
		{"data_type/txt_refused_before_traffic", "audience.txt", "openid", ".csv"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := start(t, c, options{})
			req := request(assetName(c, "refused"), tc.filename, base.Content)
			req.DataType = tc.dataType
			if _, err := e.upload(context.Background(), req); err == nil || !containsFold(err.Error(), tc.want) || !containsFold(err.Error(), req.Asset) {
				t.Errorf("Upload(%s, data_type %s) = %v, want an error naming the asset and %s", tc.filename, tc.dataType, err, tc.want)
			}
			if n := e.srv.Requests(); n != 0 {
				t.Errorf("%d requests reached the emulator, want none", n)
			}
		})
	}
}

// expandHappy expands the sandbox package with a merged upload, twice (a
// repeated expand, after a crash before it was recorded, succeeds too).
func expandHappy(t *testing.T, c *Case) {
	t.Run("expand/happy", func(t *testing.T) {
		t.Parallel()
		ctx := context.Background()
		e := start(t, c, options{})
		id := uploaded(t, c, e, "expand")
		x := expander(t, c, e)
		for range 2 {
			res, err := x.Expand(ctx, &providers.ExpandRequest{Asset: assetName(c, "expand"), UploadID: id, Into: emulator.SandboxUserPackageID})
			if err != nil {
				t.Fatalf("Expand = %v, want success", err)
			}
			if res.ID != id {
				t.Errorf("Expand ID = %q, want the upload_id %q", res.ID, id)
			}
		}
		got := e.srv.Expansions()
		if len(got) != 2 || got[0].UploadID != id || got[0].UserPackageID != emulator.SandboxUserPackageID {
			t.Errorf("emulator saw expansions %+v, want two of %s into %s", got, id, emulator.SandboxUserPackageID)
		}
	})
}

// expandErr is one refused expand.
type expandErr struct {
	name    string
	cfg     emulator.Config
	into    string
	merged  bool // expand a merged upload (else a session never merged)
	want    wantAPI
	faulted bool
}

// expandErrors: an unknown package, another brand's, an upload never
// merged, and a server error; none is recorded by the emulator.
func expandErrors(t *testing.T, c *Case) {
	for _, tc := range []expandErr{
		{name: "NOT_FOUND/unknown_package", into: "09999999999999999999", merged: true,
			want: wantAPI{status: http.StatusNotFound, code: "NOT_FOUND", msg: "no audience package", hint: "expand_into"}},
		{name: "NO_AUTH/other_brands_package", cfg: emulator.Config{UserPackages: map[string]string{"02000200020000000002": "1200000009"}},
			into: "02000200020000000002", merged: true,
			want: wantAPI{status: http.StatusForbidden, code: "NO_AUTH", msg: "another brand", hint: "expand_into"}},
		{name: "INVALID_REQUEST/not_merged", into: emulator.SandboxUserPackageID,
			want: wantAPI{status: http.StatusBadRequest, code: "INVALID_REQUEST", msg: "not merged", hint: "expand_into"}},
		{name: "SYSTEM_ERROR", cfg: emulator.Config{}, into: emulator.SandboxUserPackageID, merged: true, faulted: true,
			want: wantAPI{status: http.StatusInternalServerError, code: "SYSTEM_ERROR", retryable: true, msg: "system error"}},
	} {
		t.Run("expand/"+tc.name, func(t *testing.T) { testExpandErr(t, c, tc) })
	}
}

// testExpandErr is one test of expandErrors.
func testExpandErr(t *testing.T, c *Case, tc expandErr) {
	t.Parallel()
	ctx := context.Background()
	base := c.Samples[0]
	e := start(t, c, options{cfg: tc.cfg})
	var id string
	if tc.merged {
		id = uploaded(t, c, e, "x")
	} else {
		req := request(assetName(c, "x"), base.Filename, base.Content)
		req.OnSession = func(s providers.Session) error { id = s.UploadID; return errStop }
		if _, err := e.upload(ctx, req); id == "" {
			t.Fatalf("starting a session: %v", err)
		}
	}
	if tc.faulted {
		e.srv.SetFaults(emulator.Faults{FailRate: 1})
	}
	req := &providers.ExpandRequest{Asset: assetName(c, "expand_"+tc.name), UploadID: id, Into: tc.into}
	res, err := expander(t, c, e).Expand(ctx, req)
	checkAPIError(t, &providers.Request{Asset: req.Asset}, res, err, tc.want)
	if n := len(e.srv.Expansions()); n != 0 {
		t.Errorf("emulator recorded %d expansions, want none", n)
	}
}
