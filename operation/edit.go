package operation

import (
	"errors"
	"fmt"
	"time"

	"github.com/wxmedia/wxmedia/internal/safetext"
	"github.com/wxmedia/wxmedia/lockfile"
	"github.com/wxmedia/wxmedia/manifest"
	"github.com/wxmedia/wxmedia/mediatype"
	"github.com/wxmedia/wxmedia/scan"
)

// ImportArgs records ID, uploaded elsewhere, for the current content of
// the asset Name's file.
type ImportArgs struct {
	Name, ID    string
	LockTimeout time.Duration
}

// CheckImportID refuses an ID no WeChat Pay ID looks like, before any file
// is read.
func CheckImportID(id string) error {
	if ch, bad := safetext.Find(id); bad {
		return fmt.Errorf("the ID %s contains the control character %s, which no WeChat Pay ID has; copy the ID again (from the merchant platform or the API response), without line breaks or escape sequences", safetext.Escape(id), ch)
	}
	return nil
}

// Import hashes the asset's file and records the ID for it under the lock;
// it returns the file's SHA-256.
func (w *Workspace) Import(a ImportArgs) (sum string, err error) {
	name, id := a.Name, a.ID
	asset := w.M.Asset(name)
	if asset == nil {
		return "", fmt.Errorf("no asset %q in %s; import needs the asset declared in the manifest first", name, w.M.Path)
	}
	if msg := checkImportID(asset, id); msg != "" {
		return "", errors.New(msg)
	}
	size, sum, _, err := scan.HashFile(w.M.Dir, asset.File)
	if err != nil {
		return "", err
	}
	mchid, origin := "", ""
	if acct := w.M.Accounts[asset.Account]; acct != nil {
		mchid, origin = acct.MchID, acct.Origin()
	}
	err = w.EditLockfile("import", a.LockTimeout, func(s *lockfile.State) error {
		if old, ok := s.Assets[name]; ok && old.ID != id {
			return fmt.Errorf("%s already has ID %s in %s; run `wxmedia forget %s` first to replace it", name, old.ID, w.StateName(), name)
		}
		s.Assets[name] = &lockfile.Entry{Type: asset.Type, Account: asset.Account, MchID: mchid, File: asset.File, Filename: asset.Filename,
			Size: size, SHA256: sum, ID: id, Endpoint: origin, UploadedAt: time.Now().UTC().Format(time.RFC3339)}
		return nil
	})
	return sum, err
}

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

// Forget drops the entry name under the lock and returns the ID it had.
func (w *Workspace) Forget(name string, timeout time.Duration) (id string, err error) {
	err = w.EditLockfile("forget", timeout, func(s *lockfile.State) error {
		e, ok := s.Assets[name]
		if !ok {
			return fmt.Errorf("no asset %q in %s; run `wxmedia output` to list what is recorded", name, w.StateName())
		}
		id = e.ID
		delete(s.Assets, name)
		delete(s.Pending, name)
		return nil
	})
	return id, err
}
