package lockfile

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"slices"
	"strconv"
)

// marshal writes s as encoding/json writes the whole State with two-space
// indentation and HTML escaping off, but one entry at a time, so that
// encoding a lockfile of 100,000 assets holds the output and one entry
// instead of the output three times over (encoding/json's compact buffer,
// its indented copy and the writer's copy, each grown by doubling).
// TestMarshalMatchesEncodingJSON compares the bytes. sizeHint, if
// positive, presizes the output.
func (s *State) marshal(sizeHint int) ([]byte, error) {
	buf := bytes.NewBuffer(make([]byte, 0, max(sizeHint, 512)))
	buf.WriteString("{\n  \"version\": ")
	buf.WriteString(strconv.Itoa(s.Version))
	buf.WriteString(",\n  \"lineage\": ")
	enc := json.NewEncoder(buf)
	enc.SetEscapeHTML(false)
	if err := encodeTrimmed(enc, buf, s.Lineage); err != nil {
		return nil, err
	}
	buf.WriteString(",\n  \"serial\": ")
	buf.WriteString(strconv.FormatUint(s.Serial, 10))
	buf.WriteString(",\n  \"assets\": ")
	if err := encodeMap(buf, s.Assets); err != nil {
		return nil, err
	}
	buf.WriteString(",\n  \"pending\": ")
	if err := encodeMap(buf, s.Pending); err != nil {
		return nil, err
	}
	buf.WriteString("\n}\n")
	return buf.Bytes(), nil
}

// encodeMap writes m as the value of a top-level key: keys sorted as
// encoding/json sorts them, each value indented two levels deep.
func encodeMap[V any](buf *bytes.Buffer, m map[string]V) error {
	if len(m) == 0 {
		buf.WriteString("{}")
		return nil
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	keyEnc := json.NewEncoder(buf)
	keyEnc.SetEscapeHTML(false)
	valEnc := json.NewEncoder(buf)
	valEnc.SetEscapeHTML(false)
	valEnc.SetIndent("    ", "  ")
	buf.WriteString("{\n")
	for i, k := range keys {
		if i > 0 {
			buf.WriteString(",\n")
		}
		buf.WriteString("    ")
		if err := encodeTrimmed(keyEnc, buf, k); err != nil {
			return err
		}
		buf.WriteString(": ")
		if err := encodeTrimmed(valEnc, buf, m[k]); err != nil {
			return err
		}
	}
	buf.WriteString("\n  }")
	return nil
}

// encodeTrimmed encodes v into buf (enc's writer) without the newline
// json.Encoder ends each value with.
func encodeTrimmed(enc *json.Encoder, buf *bytes.Buffer, v any) error {
	if err := enc.Encode(v); err != nil {
		return err
	}
	buf.Truncate(buf.Len() - 1)
	return nil
}

// contentSum returns the digest of data, the canonical encoding of a state
// with the given serial, as if its serial were 0: what a write is compared
// by, to tell whether it changes anything.
func contentSum(data []byte, serial uint64) []byte {
	h := sha256.New()
	field := []byte("\n  \"serial\": " + strconv.FormatUint(serial, 10) + ",\n")
	if i := bytes.Index(data, field); i >= 0 {
		h.Write(data[:i])
		h.Write([]byte("\n  \"serial\": 0,\n"))
		h.Write(data[i+len(field):])
	} else {
		h.Write(data)
	}
	return h.Sum(nil)
}
