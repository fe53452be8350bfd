package apiserver

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// An error message is clipped to MaxBulkErrorText bytes on a character
// boundary, whatever the refused line made it say.
func TestBulkErrorTextClipped(t *testing.T) {
	for _, s := range []string{strings.Repeat("é", 300), strings.Repeat("a", 1000), "short"} {
		c := clipText(s, MaxBulkErrorText)
		if len(c) > MaxBulkErrorText || !utf8.ValidString(c) || !strings.HasPrefix(s, strings.TrimSuffix(c, "…")) {
			t.Errorf("clipText(%d bytes) = %d bytes %q", len(s), len(c), c)
		}
	}
}
