package export

import (
	"encoding/json"
	"strings"
	"testing"
)

// A text with characters that act on a terminal — as a record stored
// before the text rules may hold — is written without them: as \u escapes
// in JSON (the same value), as visible \uXXXX in DOT.
func TestHiddenCharactersNotWritten(t *testing.T) {
	name := "Weather \x1b]0;title\a \u202etxt.exe \u0085 \U000E0041 tab\tend"
	b, err := marshal(map[string]string{"name": name})
	if err != nil {
		t.Fatal(err)
	}
	if strings.ContainsFunc(string(b), func(r rune) bool { return hidden(r) && r != '\n' }) {
		t.Errorf("the JSON holds a hidden character: %q", b)
	}
	var back map[string]string
	if err := json.Unmarshal(b, &back); err != nil || back["name"] != name {
		t.Errorf("the JSON reads back as %q (%v), want %q", back["name"], err, name)
	}
	dot := dotString(name)
	if strings.ContainsFunc(dot, hidden) {
		t.Errorf("the DOT string holds a hidden character: %q", dot)
	}
	for _, want := range []string{`\\u001b`, `\\u202e`, `\\u0085`, `\\ue0041`, `\\u0009`} {
		if !strings.Contains(dot, want) {
			t.Errorf("the DOT string %q does not show %s", dot, want)
		}
	}
}
