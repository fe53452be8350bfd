package node

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
)

// strictDecode decodes one JSON value into v, refusing unknown fields and
// anything after the value.
func strictDecode(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	// More would miss a stray '}' or ']': only the end of the body may
	// follow the value.
	if _, err := dec.Token(); err != io.EOF {
		return fmt.Errorf("data after the JSON value")
	}
	return nil
}
