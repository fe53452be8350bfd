package bundle

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// agree checks that Decode gives, with the scan of the objects and with
// encoding/json alone, the same bundle or the same refusal.
func agree(t *testing.T, raw []byte) {
	t.Helper()
	fast, ferr := decode(raw, true)
	slow, serr := decode(raw, false)
	if (ferr == nil) != (serr == nil) || ferr != nil && ferr.Error() != serr.Error() {
		t.Fatalf("scanned: %v; encoding/json: %v\n%.300s", ferr, serr, raw)
	}
	if !reflect.DeepEqual(fast, slow) {
		t.Fatalf("scanned and encoding/json decode different bundles\n%.300s", raw)
	}
}

// TestScanAgreesWithEncodingJSON: the golden bundle and variants of it —
// other spacing, members in another order, keys in other case or twice,
// escapes, malformed envelopes, bytes after the document — decode with
// the scan as with encoding/json alone.
func TestScanAgreesWithEncodingJSON(t *testing.T) {
	golden, err := os.ReadFile(filepath.Join("testdata", "bundle-v1.json"))
	if err != nil {
		t.Fatal(err)
	}
	g := string(golden)
	if _, _, ok := scanObjects(golden); !ok {
		t.Fatal("the scan gives up on the golden bundle")
	}
	variants := []string{
		g,
		strings.ReplaceAll(g, "\n", ""),
		strings.ReplaceAll(g, " ", "\t"),
		strings.Replace(g, `"objects"`, `"Objects"`, 1),
		strings.Replace(g, `"objects"`, `"objects": [], "objects"`, 1),
		strings.Replace(g, `"objects": [`, `"objects": [ {"id": null, "envelope": null},`, 1),
		strings.Replace(g, `"objects": [`, `"objects": [ {"envelope": {"a": [1, -2.5e+3, true, false, null, "\u00e9\n"]}, "id": "x"},`, 1),
		strings.Replace(g, `"objects": [`, `"objects": [ {"envelope": {}},`, 1),
		strings.Replace(g, `"objects": [`, `"objects": [ {"ID": "x", "envelope": {}},`, 1),
		strings.Replace(g, `"objects": [`, `"objects": [ {"envelope": {"a": 01}},`, 1),
		strings.Replace(g, `"objects": [`, `"objects": [ {"envelope": {"a": "`+"\x01"+`"}},`, 1),
		strings.Replace(g, `"objects": [`, `"objects": [ {"envelope": {"a": "\x"}},`, 1),
		strings.Replace(g, `"objects": [`, `"objects": [ {"envelope": {"a" 1}},`, 1),
		strings.Replace(g, `"objects": [`, `"objects": [ {"envelope": [1,]},`, 1),
		strings.Replace(g, `"objects": [`, `"objects": [ {"envelope": tru},`, 1),
		strings.Replace(g, `"objects": [`, `"objects": null, "x": [`, 1),
		strings.Replace(g, `"type"`, `"typ\u0065"`, 1),
		strings.Replace(g, `"type"`, `"unknown": 1, "type"`, 1),
		g + "{}",
		g + "  \n",
		g[:len(g)/2],
		`{"objects": []}`,
		`{"objects": [], "type": "https://commons.network/bundle/v1"}`,
		`[]`, `{}`, ``, `{"objects": [{"id": "` + strings.Repeat("[", 600) + `"}]}`,
		`{"objects": [{"envelope": ` + strings.Repeat("[", 600) + strings.Repeat("]", 600) + `}]}`,
	}
	for _, v := range variants {
		agree(t, []byte(v))
	}
}

// FuzzScan: whatever the bytes, Decode with the scan of the objects and
// with encoding/json alone agree.
func FuzzScan(f *testing.F) {
	golden, err := os.ReadFile(filepath.Join("testdata", "bundle-v1.json"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(golden)
	f.Add([]byte(`{"objects": [{"id": "x", "envelope": {"a": [1, "b\n"]}}]}`))
	f.Fuzz(func(t *testing.T, raw []byte) { agree(t, raw) })
}
