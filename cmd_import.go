package main

import (
	"fmt"

	"github.com/wxmedia/wxmedia/manifest"
	"github.com/wxmedia/wxmedia/mediatype"
)

// checkImportID returns why id cannot be an ID issued for asset a, or "":
// an ID of another type or a truncated paste would otherwise be recorded
// and handed to applications as if WeChat Pay had issued it.
func checkImportID(a *manifest.Asset, id string) string {
	t := mediatype.Lookup(a.Type)
	if t == nil || t.ID() == nil {
		return ""
	}
	if msg := t.ID().Check(id); msg != "" {
		return fmt.Sprintf("the ID %q for %s %s: a %s upload returns its %s as %s; copy the %s WeChat Pay returned for this file", id, a.Name, msg, t.Name, t.IDField, t.ID(), t.IDField)
	}
	return ""
}
