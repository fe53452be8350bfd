package bundle_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/commons-p2p/commons/node/bundle"
	"github.com/commons-p2p/commons/protocol"
)

// FuzzDecode: whatever the bytes, Decode returns a bundle or an error of
// kind Invalid or TooLarge, never panics, and a bundle it returns encodes
// to a document it decodes again to the same bundle.
func FuzzDecode(f *testing.F) {
	golden, err := os.ReadFile(filepath.Join("testdata", "bundle-v1.json"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(golden)
	f.Add([]byte(`{"type":"https://commons.network/bundle/v1"}`))
	f.Add([]byte(`{}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		b, err := bundle.Decode(raw)
		if err != nil {
			if k := protocol.KindOf(err); k != protocol.Invalid && k != protocol.TooLarge {
				t.Fatalf("error of kind %v: %v", k, err)
			}
			return
		}
		again, err := b.Encode()
		if err != nil {
			t.Fatal(err)
		}
		b2, err := bundle.Decode(again)
		if err != nil {
			t.Fatalf("a decoded bundle, encoded again, does not decode: %v", err)
		}
		third, err := b2.Encode()
		if err != nil {
			t.Fatal(err)
		}
		if string(third) != string(again) {
			t.Fatal("encoding is not stable")
		}
	})
}
