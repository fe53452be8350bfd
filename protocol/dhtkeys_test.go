package protocol_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"testing"

	"github.com/commons-p2p/commons/protocol"
	"github.com/ipfs/go-cid"
	mh "github.com/multiformats/go-multihash"
)

// The DHT key vectors of SPEC.md §7.2, over the dataset and artifact IDs of
// §9. The claims-about digests were also computed with
//
//	{ printf 'commons/claims-about/v1\n'; printf HEX-OF-SUBJECT | xxd -r -p; } | sha256sum
func TestDHTKeyVectors(t *testing.T) {
	for _, tc := range []struct {
		subject      string // an ID (§9)
		subjectHex   string // its binary form
		claimsSHA256 string // sha2-256 of the claims-about input
		claimsAbout  string // the claims-about key
	}{
		{
			subject:      vectorDatasetID,
			subjectHex:   "0180041220d59f07e5e5b8a5b29a2ea2d716a143815c6b62e27f494a379c27da9914a3174f",
			claimsSHA256: "a8aef5686c370b9e043c91235bd99aeabde879a174ac86fed5408eb13f67879b",
			claimsAbout:  "bafkreifiv32wq3bxbopaiperenn5tgxkxxuhtiluvsdp5vkar2yt6z4htm",
		},
		{
			subject:      vectorArtifactID,
			subjectHex:   "015512205891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03",
			claimsSHA256: "ec88dbeb3c31195eadcfb506c0ab314a0c6cffa418626b991477183cd9571242",
			claimsAbout:  "bafkreihmrdn6wpbrdfpk3t5va3akwmkkbrwp7jaymjvzsfdxda6nsvysii",
		},
	} {
		id := protocol.MustParseID(tc.subject)
		if got := hex.EncodeToString(id.Bytes()); got != tc.subjectHex {
			t.Errorf("%s: binary form %s, want %s", tc.subject, got, tc.subjectHex)
		}
		if got := protocol.ObjectKey(id).String(); got != tc.subject {
			t.Errorf("ObjectKey(%s) = %s, want the ID itself", tc.subject, got)
		}
		key := protocol.ClaimsAboutKey(id)
		if got := key.String(); got != tc.claimsAbout {
			t.Errorf("ClaimsAboutKey(%s) = %s, want %s", tc.subject, got, tc.claimsAbout)
		}
		// A second derivation, from the text of SPEC.md §7.2 rather than the code.
		in := append([]byte("commons/claims-about/v1\n"), mustHex(t, tc.subjectHex)...)
		sum := sha256.Sum256(in)
		if got := hex.EncodeToString(sum[:]); got != tc.claimsSHA256 {
			t.Errorf("sha256 of the claims-about input of %s = %s, want %s", tc.subject, got, tc.claimsSHA256)
		}
		wantBin := append([]byte{0x01, 0x55, 0x12, 0x20}, sum[:]...)
		if !bytes.Equal(key.Bytes(), wantBin) {
			t.Errorf("ClaimsAboutKey(%s) bytes %x, want %x", tc.subject, key.Bytes(), wantBin)
		}
	}
}

func TestFileKeyIsArtifactCID(t *testing.T) {
	// "hello\n", the artifact of §9.3.
	d := protocol.SumDigest([]byte("hello\n"))
	got := protocol.FileKey(d)
	if got.String() != vectorArtifactID {
		t.Errorf("FileKey(%s) = %s, want %s", d, got, vectorArtifactID)
	}
	want := cid.NewCidV1(cid.Raw, mustSum(t, []byte("hello\n")))
	if !got.Equals(want) {
		t.Errorf("FileKey(%s) = %s, want CIDv1 raw sha2-256 %s", d, got, want)
	}
}

// The DHT keys provider records by multihash, so what matters is that the
// three kinds of key never share one: an object's key and the claims about
// it, a file and the claims about it.
func TestDHTKeysDistinctMultihashes(t *testing.T) {
	obj := protocol.MustParseID(vectorDatasetID)
	art := protocol.MustParseID(vectorArtifactID)
	keys := map[string]cid.Cid{
		"object":               protocol.ObjectKey(obj),
		"file":                 protocol.FileKey(art.Digest()),
		"claims about object":  protocol.ClaimsAboutKey(obj),
		"claims about file":    protocol.ClaimsAboutKey(art),
		"claims about payload": protocol.ClaimsAboutKey(protocol.ArtifactID(obj.Digest())),
	}
	seen := map[string]string{}
	for name, k := range keys {
		h := string(k.Hash())
		if other, ok := seen[h]; ok {
			t.Errorf("%s and %s share the multihash %x", name, other, k.Hash())
		}
		seen[h] = name
	}
	// The object ID and the raw CID of the same payload digest are one
	// provider record to the DHT: the reason claims-about is hashed.
	if !bytes.Equal(protocol.ObjectKey(obj).Hash(), protocol.FileKey(obj.Digest()).Hash()) {
		t.Error("object key and file key of the same digest should share a multihash")
	}
}

func mustHex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func mustSum(t *testing.T, b []byte) mh.Multihash {
	t.Helper()
	m, err := mh.Sum(b, mh.SHA2_256, -1)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// The rotations key vector of SPEC.md §7.2, over the vector key of §9.1,
// derived a second time from the text of the SPEC.
func TestRotationsKeyVector(t *testing.T) {
	const (
		pubHex = "03a107bff3ce10be1d70dd18e74bc09967e4d6309ba50d5f1ddc8664125531b8"
		want   = "bafkreigkhw2fjabzbnm3vmq2emrupb2iheid4roc754winb6cqyu4zaqqm"
	)
	key := protocol.RotationsKey(vectorKey.DID())
	sum := sha256.Sum256(append([]byte("commons/rotations/v1\n"), mustHex(t, pubHex)...))
	if !bytes.Equal(key.Bytes(), append([]byte{0x01, 0x55, 0x12, 0x20}, sum[:]...)) {
		t.Errorf("RotationsKey(%s) = %x, want the raw CID of %x", vectorDID, key.Bytes(), sum)
	}
	if got := key.String(); got != want {
		t.Errorf("RotationsKey(%s) = %s, want %s", vectorDID, got, want)
	}
	if key == protocol.RotationsKey(otherKey.DID()) {
		t.Error("two keys have one rotations key")
	}
}

// The derived-from key vector of SPEC.md §7.2, over the dataset ID of §9,
// derived a second time from the text of the SPEC; and it is no other key
// of the same subject.
func TestDerivedFromKeyVector(t *testing.T) {
	const (
		subjectHex = "0180041220d59f07e5e5b8a5b29a2ea2d716a143815c6b62e27f494a379c27da9914a3174f"
		sumHex     = "c6f75f97466cfa70d2b63c57fac6c159bf26a5676b31f01a1aff1d38251cb36c"
		want       = "bafkreigg65pzortm7jynfnr4k75mnqkzx4tkkz3lghybugx7du4ckhftnq"
	)
	id := protocol.MustParseID(vectorDatasetID)
	key := protocol.DerivedFromKey(id)
	sum := sha256.Sum256(append([]byte("commons/derived-from/v1\n"), mustHex(t, subjectHex)...))
	if got := hex.EncodeToString(sum[:]); got != sumHex {
		t.Errorf("sha256 of the derived-from input = %s, want %s", got, sumHex)
	}
	if !bytes.Equal(key.Bytes(), append([]byte{0x01, 0x55, 0x12, 0x20}, sum[:]...)) {
		t.Errorf("DerivedFromKey(%s) = %x, want the raw CID of %x", id, key.Bytes(), sum)
	}
	if got := key.String(); got != want {
		t.Errorf("DerivedFromKey(%s) = %s, want %s", id, got, want)
	}
	for name, other := range map[string]cid.Cid{"object": protocol.ObjectKey(id), "claims-about": protocol.ClaimsAboutKey(id)} {
		if bytes.Equal(other.Hash(), key.Hash()) {
			t.Errorf("the derived-from key of %s shares a multihash with its %s key", id, name)
		}
	}
}
