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
		{"rotation", string(k.rotation(d, e, a)), rotationKey(d, e, a)},
		{"rotations prefix", string(k.rotation(d, e, a))[:len(rotationsPrefix(d))], rotationsPrefix(d)},
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

// FuzzParseRotationKey: whatever the end of an r/ key holds, it is read
// back as the store wrote it or refused, never misread: what it returns
// spells the same key again.
func FuzzParseRotationKey(f *testing.F) {
	d := protocol.MustParseDID("did:key:z6MkehRgf7yJbgaGfYsdoAsKdBPE3dj2CYhowQdcjqSJgvVd")
	id := protocol.ObjectID([]byte("rotation"))
	f.Add(d.String() + "/" + id.String())
	f.Add(d.String() + "/" + protocol.ArtifactID(protocol.SumDigest([]byte("z"))).String())
	f.Add(d.String())
	f.Add("did:key:z6Mk/" + id.String())
	f.Add(d.String() + "/" + id.String() + "/more")
	f.Fuzz(func(t *testing.T, rest string) {
		other, got, err := parseRotationKey([]byte(rest))
		if err != nil {
			return
		}
		if !got.IsObject() || other.IsZero() {
			t.Fatalf("parseRotationKey(%q) = %v, %v: not a key and an object ID", rest, other, got)
		}
		if again, _, err := parseRotationKey([]byte(other.String() + "/" + got.String())); err != nil || again != other {
			t.Fatalf("parseRotationKey(%q) = %v, %v, which does not read back: %v", rest, other, got, err)
		}
	})
}
