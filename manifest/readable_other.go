//go:build !unix

package manifest

import "os"

// readable reports whether the file at path can be opened for reading, by
// opening (and closing) it.
func readable(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	return f.Close()
}
