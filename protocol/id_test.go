package protocol_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/commons-p2p/commons/protocol"
	"github.com/ipfs/go-cid"
	"github.com/multiformats/go-multibase"
	mh "github.com/multiformats/go-multihash"
)

func TestIDRoundTrip(t *testing.T) {
	for _, s := range []string{vectorDatasetID, vectorArtifactID} {
		id, err := protocol.ParseID(s)
		if err != nil {
			t.Fatalf("ParseID(%s): %v", s, err)
		}
		if got := id.String(); got != s {
			t.Errorf("ParseID(%s).String() = %s", s, got)
		}
		back, err := protocol.IDFromBytes(id.Bytes())
		if err != nil || back != id {
			t.Errorf("IDFromBytes(Bytes) = %s, %v", back, err)
		}
		b, _ := json.Marshal(id)
		var j protocol.ID
		if err := json.Unmarshal(b, &j); err != nil || j != id {
			t.Errorf("JSON round trip = %s, %v", j, err)
		}
		if id.Cid().String() != s {
			t.Errorf("Cid() = %s", id.Cid())
		}
	}
}

func TestIDKinds(t *testing.T) {
	obj := protocol.MustParseID(vectorDatasetID)
	art := protocol.MustParseID(vectorArtifactID)
	if !obj.IsObject() || art.IsObject() || obj.IsZero() || art.IsZero() {
		t.Errorf("IsObject/IsZero wrong: obj %v %v, artifact %v %v", obj.IsObject(), obj.IsZero(), art.IsObject(), art.IsZero())
	}
	if obj != protocol.ObjectID(vectorByName("dataset").Payload) {
		t.Error("ObjectID of the vector payload differs from the vector ID")
	}
	if art.Digest() != helloFile.Digest {
		t.Errorf("artifact Digest() = %s, want %s", art.Digest(), helloFile.Digest)
	}
	if obj.Digest() != protocol.SumDigest(vectorByName("dataset").Payload) {
		t.Error("object Digest() is not the sha256 of the payload")
	}
	if !strings.HasPrefix(obj.String(), "bagaaiera") || !strings.HasPrefix(art.String(), "bafkrei") {
		t.Errorf("text forms %s %s", obj, art)
	}
	var zero protocol.ID
	if !zero.IsZero() || zero.String() != "" || zero.IsObject() {
		t.Errorf("zero ID: IsZero %v String %q IsObject %v", zero.IsZero(), zero.String(), zero.IsObject())
	}
}

// TestParseIDOtherSpellings: any multibase of an accepted CID, and
// sha256:HEX for an artifact, parse to the same ID.
func TestParseIDOtherSpellings(t *testing.T) {
	for _, s := range []string{vectorDatasetID, vectorArtifactID} {
		want := protocol.MustParseID(s)
		for _, enc := range []multibase.Encoding{multibase.Base58BTC, multibase.Base36, multibase.Base16, multibase.Base64url, multibase.Base32hex} {
			alt, err := want.Cid().StringOfBase(enc)
			if err != nil {
				t.Fatal(err)
			}
			got, err := protocol.ParseID(alt)
			if err != nil {
				t.Errorf("ParseID(%s): %v", alt, err)
				continue
			}
			if got != want || got.String() != s {
				t.Errorf("ParseID(%s) = %s, want %s", alt, got, s)
			}
		}
	}
	upper, _ := want(vectorDatasetID).Cid().StringOfBase(multibase.Base32Upper)
	if got, err := protocol.ParseID(upper); err != nil || got.String() != vectorDatasetID {
		t.Errorf("ParseID(%s) = %s, %v", upper, got, err)
	}
	for _, s := range []string{helloFile.Digest.String(), "sha256:" + strings.ToUpper(helloFile.Digest.Hex())} {
		got, err := protocol.ParseID(s)
		if err != nil || got.String() != vectorArtifactID {
			t.Errorf("ParseID(%s) = %s, %v; want %s", s, got, err, vectorArtifactID)
		}
	}
}

func want(s string) protocol.ID { return protocol.MustParseID(s) }

// TestParseIDNonCanonical: a text that decodes to an ID but is not what
// its multibase writes for it spells the ID a second way, and is refused,
// naming the ID it spells (SPEC.md §4.4).
func TestParseIDNonCanonical(t *testing.T) {
	last := func(s string, c byte) string { return s[:len(s)-1] + string(c) }
	hex16, _ := want(vectorArtifactID).Cid().StringOfBase(multibase.Base16)
	for _, tc := range []struct{ in, spells string }{
		{last(vectorDatasetID, 'r'), vectorDatasetID},                         // bits set past the last byte: 'q' is 10000, 'r' 10001
		{last(vectorArtifactID, 'n'), vectorArtifactID},                       // 'm' is 01100, its last two bits past the last byte
		{vectorDatasetID[:20] + "\n" + vectorDatasetID[20:], vectorDatasetID}, // base32 skips line breaks
		{"b" + strings.ToUpper(vectorDatasetID[1:3]) + vectorDatasetID[3:], vectorDatasetID},
		{"f" + strings.ToUpper(hex16[1:]), vectorArtifactID},
	} {
		_, err := protocol.ParseID(tc.in)
		wantErr(t, err, protocol.Invalid, "parse id", "not in canonical form "+tc.spells)
	}
	if vectorDatasetID[len(vectorDatasetID)-1] != 'q' || vectorArtifactID[len(vectorArtifactID)-1] != 'm' {
		t.Fatalf("the vectors %s, %s no longer end in q and m", vectorDatasetID, vectorArtifactID)
	}
}

func TestParseIDRefusals(t *testing.T) {
	d := helloFile.Digest
	m, _ := mh.Encode(d[:], mh.SHA2_256)
	v0 := cid.NewCidV0(m).String() // Qm…
	dagpb := cid.NewCidV1(cid.DagProtobuf, m).String()
	cbor := cid.NewCidV1(cid.DagCBOR, m).String()
	m512, _ := mh.Sum([]byte("x"), mh.SHA2_512, -1)
	sha512 := cid.NewCidV1(cid.Raw, m512).String()
	mShort, _ := mh.Encode(d[:20], mh.SHA2_256)
	short := cid.NewCidV1(cid.Raw, mShort).String()
	mID, _ := mh.Sum([]byte("x"), mh.IDENTITY, -1)
	ident := cid.NewCidV1(cid.Raw, mID).String()
	v0bin, _ := multibase.Encode(multibase.Base32, cid.NewCidV0(m).Bytes())
	for _, tc := range []struct{ in, word string }{
		{"", "not a CID"},
		{"b", "not a CID"},
		{"hello", "not a CID"},
		{vectorDatasetID + "a", "not a CID"},
		{"sha256:00", "not a sha256 digest"},
		{d.Hex(), "not a CID"}, // bare hex is a digest, not an ID
		{v0, "CID version 0"},
		{v0bin, "CID version 0"},
		{dagpb, "codec 0x70"},
		{cbor, "codec 0x71"},
		{sha512, "sha2-512"},
		{short, "sha2-256/20 bytes"},
		{ident, "identity"},
	} {
		_, err := protocol.ParseID(tc.in)
		wantErr(t, err, protocol.Invalid, tc.word)
	}
	_, err := protocol.IDFromBytes(cid.NewCidV1(cid.DagCBOR, m).Bytes())
	wantErr(t, err, protocol.Invalid, "id from bytes", "codec 0x71")
	_, err = protocol.IDFromBytes(append(protocol.MustParseID(vectorDatasetID).Bytes(), 0))
	wantErr(t, err, protocol.Invalid, "id from bytes", "not a CID")
}

func TestParseDigest(t *testing.T) {
	want := helloFile.Digest
	hex := want.Hex()
	for _, s := range []string{"sha256:" + hex, hex, strings.ToUpper(hex), "sha256:" + strings.ToUpper(hex)} {
		got, err := protocol.ParseDigest(s)
		if err != nil || got != want {
			t.Errorf("ParseDigest(%s) = %s, %v", s, got, err)
		}
	}
	if want.String() != "sha256:"+hex || len(hex) != 64 || strings.ToLower(hex) != hex {
		t.Errorf("String %s Hex %s", want.String(), hex)
	}
	for _, s := range []string{"", "sha256:", "sha256:" + hex[:62], hex + "00", "sha256:" + hex[:63] + "g", "sha512:" + hex, "SHA256:" + hex, " " + hex[1:]} {
		_, err := protocol.ParseDigest(s)
		wantErr(t, err, protocol.Invalid, "not a sha256 digest")
	}
}
