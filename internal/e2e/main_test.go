package e2e

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

var (
	// bin is the wxmedia binary built by TestMain.
	bin string
	// keysDir holds the sandbox keys written by `wxmedia emulator -write-keys`.
	keysDir string
	// v3Serial and pubKeyID are what -write-keys printed for the v3 sandbox
	// merchant and the WeChat Pay public key.
	v3Serial, pubKeyID string
	// long raises the trial counts (WXMEDIA_LONG=1, see doc.go).
	long = os.Getenv("WXMEDIA_LONG") == "1"
	// baseSeed seeds kill times and file contents (WXMEDIA_E2E_SEED).
	baseSeed int64 = 1
)

const v3MchID = "1900000001"

func TestMain(m *testing.M) { os.Exit(testMain(m)) }

func testMain(m *testing.M) int {
	if runtime.GOOS == "windows" {
		fmt.Println("e2e: skipped: the suites send POSIX signals")
		return 0
	}
	if s := os.Getenv("WXMEDIA_E2E_SEED"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			fmt.Fprintf(os.Stderr, "e2e: WXMEDIA_E2E_SEED=%q is not an integer\n", s)
			return 1
		}
		baseSeed = n
	}
	dir, err := os.MkdirTemp("", "wxmedia-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	bin = filepath.Join(dir, "wxmedia")
	build := exec.Command("go", "build", "-o", bin, "github.com/wxmedia/wxmedia")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "e2e: go build github.com/wxmedia/wxmedia: %v\n%s", err, out)
		return 1
	}
	keysDir = filepath.Join(dir, "keys")
	out, err := exec.Command(bin, "emulator", "-write-keys-only", keysDir).Output()
	if err != nil {
		fmt.Fprintf(os.Stderr, "e2e: wxmedia emulator -write-keys: %v\n", err)
		return 1
	}
	if err := parseKeysOutput(out); err != nil {
		fmt.Fprintf(os.Stderr, "e2e: %v\n%s", err, out)
		return 1
	}
	return m.Run()
}

// parseKeysOutput reads the v3 serial_no and the public key ID from the
// output of -write-keys.
func parseKeysOutput(out []byte) error {
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		switch {
		case len(f) == 5 && f[0] == "v3" && f[1] == "mchid" && f[3] == "serial_no":
			if f[2] != v3MchID {
				return fmt.Errorf("-write-keys printed v3 mchid %s, want %s", f[2], v3MchID)
			}
			v3Serial = f[4]
		case len(f) == 2 && f[0] == "wechatpay_public_key_id":
			pubKeyID = f[1]
		}
	}
	if v3Serial == "" || pubKeyID == "" {
		return fmt.Errorf("could not find the v3 serial_no and wechatpay_public_key_id in the output of -write-keys")
	}
	return nil
}
