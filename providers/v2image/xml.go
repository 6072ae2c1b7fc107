package v2image

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
)

// maxFields bounds how many elements an answer may have; real answers have
// fewer than ten.
const maxFields = 64

// parseXML reads a v2 answer, <xml><name>value</name>...</xml>, into a map
// of the root's child elements to their text (CDATA or plain, kept exactly:
// the sign covers the values as sent). The root must be named "xml"; a
// child that repeats or holds elements, text outside the children, or
// anything after the root makes the answer malformed, so that a crafted
// answer cannot make the verified fields differ from the ones used.
func parseXML(data []byte) (map[string]string, error) {
	d := xml.NewDecoder(bytes.NewReader(data))
	d.Strict = true
	fields := map[string]string{}
	depth := 0 // 0 outside the root, 1 inside it, 2 inside a child
	var (
		name   string
		text   []byte
		closed bool // the root has ended
	)
	for {
		tok, err := d.RawToken()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("body is not XML: %v", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			switch {
			case closed:
				return nil, errors.New("body has content after </xml>")
			case depth == 0:
				if t.Name.Space != "" || t.Name.Local != "xml" {
					return nil, fmt.Errorf("root element is <%s>, want <xml>", qname(t.Name))
				}
			case depth == 1:
				if t.Name.Space != "" {
					return nil, fmt.Errorf("element <%s> has a namespace prefix", qname(t.Name))
				}
				name, text = t.Name.Local, text[:0]
				if _, dup := fields[name]; dup {
					return nil, fmt.Errorf("element <%s> appears twice", name)
				}
				if len(fields) >= maxFields {
					return nil, fmt.Errorf("more than %d elements", maxFields)
				}
			default:
				return nil, fmt.Errorf("element <%s> is nested inside <%s>", qname(t.Name), name)
			}
			depth++
		case xml.EndElement:
			// RawToken does not match end tags with start tags.
			switch {
			case depth == 2 && t.Name.Space == "" && t.Name.Local == name:
				fields[name] = string(text)
			case depth == 1 && t.Name.Space == "" && t.Name.Local == "xml":
				closed = true
			default:
				return nil, fmt.Errorf("unexpected </%s>", qname(t.Name))
			}
			depth--
		case xml.CharData:
			switch {
			case depth == 2:
				text = append(text, t...)
			case len(bytes.TrimSpace(t)) != 0:
				return nil, errors.New("text outside the answer's elements")
			}
		case xml.ProcInst, xml.Comment:
			// <?xml ...?> and comments carry no fields.
		case xml.Directive:
			return nil, errors.New("body has a <!DOCTYPE> or other directive")
		}
	}
	if !closed {
		return nil, errors.New("body has no complete <xml> element")
	}
	return fields, nil
}

func qname(n xml.Name) string {
	if n.Space != "" {
		return n.Space + ":" + n.Local
	}
	return n.Local
}
