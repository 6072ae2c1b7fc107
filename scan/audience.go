package scan

import (
	"fmt"
	"os"

	"github.com/hashicorp/go-multierror"

	"github.com/wxmedia/wxmedia/assetfile"
	"github.com/wxmedia/wxmedia/audience"
	"github.com/wxmedia/wxmedia/manifest"
)

// checkAudience reads a user_package asset's file and checks every line
// against its data_type (package audience), returning the line count and,
// when lines are bad, one *manifest.FieldError per reported line plus a
// count of the rest. The file is read even when the stat cache knows its
// hash: data_type may have changed, and a bad file must never be uploaded.
func checkAudience(manifestPath string, root *os.Root, a *manifest.Asset) (int, error) {
	fe := func(msg string) *manifest.FieldError {
		return &manifest.FieldError{File: manifestPath, Line: a.Pos.Line, Col: a.Pos.Col, Path: "assets." + a.Name, Msg: msg}
	}
	if !audience.ValidDataType(a.DataType) {
		return 0, fe(fmt.Sprintf("data_type %q is not openid or mobile_md5; set data_type", a.DataType))
	}
	f, err := assetfile.Open(root, a.File)
	if err != nil {
		return 0, fe(fmt.Sprintf("cannot read %s: %v; check the file exists and is readable", a.File, err))
	}
	defer f.Close()
	rep, err := audience.Check(f, a.DataType)
	if err != nil {
		return 0, fe(fmt.Sprintf("cannot read %s: %v; check the file exists and is readable", a.File, err))
	}
	if rep.BadCount == 0 {
		return rep.Lines, nil
	}
	var merr *multierror.Error
	for _, p := range rep.Bad {
		merr = multierror.Append(merr, fe(p.Describe(a.File)))
	}
	what := "an openid (data_type: openid)"
	if a.DataType == audience.MobileMD5 {
		what = "the MD5 of a mobile number, 32 hex digits (data_type: mobile_md5)"
	}
	more := ""
	if n := rep.BadCount - len(rep.Bad); n > 0 {
		more = fmt.Sprintf(" (%d more not listed)", n)
	}
	merr = multierror.Append(merr, fe(fmt.Sprintf("%s has %d bad %s of %d%s; every line must be %s, with no header row: fix or remove them, since WeChat Pay silently drops lines it does not recognise",
		a.File, rep.BadCount, plural(rep.BadCount, "line", "lines"), rep.Lines, more, what)))
	return rep.Lines, merr
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// AudienceWarnings returns a warning for each user_package asset whose
// file has more lines than WeChat Pay advises (lines: Result.Lines).
func AudienceWarnings(m *manifest.Manifest, lines map[string]int) []string {
	var out []string
	for _, a := range m.Assets {
		if n, ok := lines[a.Name]; ok && n > audience.AdvisedMaxLines {
			out = append(out, fmt.Sprintf("%s: %s has %d lines; WeChat Pay advises at most %d per audience file: split it into several user_package assets", a.Name, a.File, n, audience.AdvisedMaxLines))
		}
	}
	return out
}

// CheckAudiences checks the content of every user_package asset of m, as
// the scan does, without hashing anything: validate reports bad lines, and
// the line counts (by asset name), without a full scan. Assets for which
// skip returns true (their file already has a problem) are left out.
func CheckAudiences(m *manifest.Manifest, skip func(name string) bool) (map[string]int, error) {
	var (
		lines map[string]int
		merr  *multierror.Error
		root  *os.Root
	)
	for _, a := range m.Assets {
		if a.Type != "user_package" || skip(a.Name) {
			continue
		}
		if root == nil {
			r, err := assetfile.OpenRoot(m.Dir)
			if err != nil {
				return nil, err
			}
			defer r.Close()
			root = r
		}
		n, err := checkAudience(m.Path, root, a)
		if err != nil {
			merr = multierror.Append(merr, err)
			continue
		}
		if lines == nil {
			lines = map[string]int{}
		}
		lines[a.Name] = n
	}
	return lines, merr.ErrorOrNil()
}
