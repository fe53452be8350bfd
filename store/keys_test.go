package store

import (
	"testing"

	"github.com/commons-p2p/commons/protocol"
)

// TestKeyBufLayouts checks that the writer's keys are the keys that
// readers look for.
func TestKeyBufLayouts(t *testing.T) {
	a, b := protocol.ObjectID([]byte("a")), protocol.ObjectID([]byte("b"))
	d, e := testDID(t, "alice"), testDID(t, "bob")
	digest := protocol.SumDigest([]byte("file"))
	var k keyBuf
	cases := []struct {
		name      string
		got, want string
	}{
		{"object", string(k.object(a)), objectKey(a)},
		{"meta", string(k.meta(a)), metaKey(a)},
		{"dataset", string(k.dataset(a)), datasetKey(a)},
		{"claim", string(k.claim(a, b)), claimKey(a, b)},
		{"claims prefix", string(k.claimsPrefix(a)), claimsPrefix(a)},
		{"contributor", string(k.contributor(d, a)), contributorKey(d, a)},
		{"signer", string(k.signer(d, a)), signerKey(d, a)},
		{"file", string(k.file(digest, a)), fileKey(digest, a)},
		{"child", string(k.child(a, b)), childKey(a, b)},
		{"lineage", string(k.lineage(b, a)), lineageKey(b, a)},
		{"rotation", string(k.rotation(d, a)), rotationKey(d, a)},
		{"rotations prefix", string(k.rotation(e, a))[:len(rotationsPrefix(e))], rotationsPrefix(e)},
	}
	for _, tc := range cases {
		if tc.got != tc.want {
			t.Errorf("%s: keyBuf spells %q, keys.go %q", tc.name, tc.got, tc.want)
		}
	}
}

// TestKeyBufKeepsKeys checks that a key stays as it was while later keys
// are cut from the same buffer and after the buffer runs out, and that
// appending to a key does not write over the next one.
func TestKeyBufKeepsKeys(t *testing.T) {
	var k keyBuf
	a, b := protocol.ObjectID([]byte("a")), protocol.ObjectID([]byte("b"))
	first, second := k.object(a), k.object(b)
	want, wantSecond := string(first), string(second)
	_ = append(first, "zzzz"...)
	for range 2 * keyBufChunk / len(want) {
		k.meta(a)
	}
	if string(first) != want || string(second) != wantSecond {
		t.Fatalf("keys became %q and %q, want %q and %q", first, second, want, wantSecond)
	}
}

// FuzzDecodeRotationValue: whatever the value of an r/ key holds, it is
// read back as the store wrote it or refused, never misread.
func FuzzDecodeRotationValue(f *testing.F) {
	d := protocol.MustParseDID("did:key:z6MkehRgf7yJbgaGfYsdoAsKdBPE3dj2CYhowQdcjqSJgvVd")
	f.Add(appendDID(nil, d))
	f.Add(appendDID(nil, protocol.DID{}))
	f.Add(append(appendDID(nil, d), 0))
	f.Add(appendDID(nil, d)[:31])
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		other, err := decodeRotationValue(b)
		if err != nil {
			if !protocol.IsKind(err, protocol.Invalid) {
				t.Fatalf("decodeRotationValue(%x): %v, not Invalid", b, err)
			}
			return
		}
		if other.IsZero() || string(appendDID(nil, other)) != string(b) {
			t.Fatalf("decodeRotationValue(%x) = %v, which does not encode back", b, other)
		}
	})
}
