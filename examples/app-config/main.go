// Command app-config shows how an application reads the media IDs wxmedia
// recorded, with nothing but the standard library: the lockfile is plain
// JSON and every entry has the same shape, whatever the upload type.
//
//	go run ./examples/app-config -lockfile examples/quickstart/wxmedia.lock.json storefront
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
)

// lockfile is the part of wxmedia.lock.json an application needs.
type lockfile struct {
	Version int `json:"version"`
	Assets  map[string]struct {
		Type   string `json:"type"`
		ID     string `json:"id"`
		SHA256 string `json:"sha256"`
	} `json:"assets"`
}

// mediaID returns the recorded ID of asset name.
func mediaID(path, name string) (string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	var lf lockfile
	if err := json.Unmarshal(data, &lf); err != nil {
		return "", fmt.Errorf("%s: %w", path, err)
	}
	if lf.Version != 1 {
		return "", fmt.Errorf("%s: lockfile version %d, this reader knows 1", path, lf.Version)
	}
	a, ok := lf.Assets[name]
	if !ok {
		return "", fmt.Errorf("%s: no asset %q; run `wxmedia apply`", path, name)
	}
	return a.ID, nil
}

func main() {
	path := flag.String("lockfile", "wxmedia.lock.json", "the wxmedia lockfile")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: app-config [-lockfile FILE] ASSET")
		os.Exit(2)
	}
	id, err := mediaID(*path, flag.Arg(0))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println(id)
}
