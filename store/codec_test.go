package store

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/commons-p2p/commons/protocol"
)

func testDID(t testing.TB, name string) protocol.DID {
	seed := sha256.Sum256([]byte(name))
	k, err := protocol.KeyFromSeed(seed[:])
	if err != nil {
		t.Fatal(err)
	}
	return k.DID()
}

func sampleSummaries(t testing.TB) []summary {
	alice, bob, carol := testDID(t, "alice"), testDID(t, "bob"), testDID(t, "carol")
	at := time.Date(2025, 3, 4, 5, 6, 7, 890, time.UTC)
	return []summary{
		{Kind: protocol.KindAttribution, Created: at, Issuer: alice, Contributor: bob, Weight: 0.25,
			Role: "annotator", Note: "labelled 3,000 images", Signers: []protocol.DID{alice, bob},
			Endorsers: []protocol.DID{carol}},
		{Kind: protocol.KindAttribution, Withdrawn: true, Created: at, Issuer: alice, Contributor: alice,
			Weight: 1, Role: "author", Signers: []protocol.DID{alice}, Endorsers: []protocol.DID{}},
		{Kind: protocol.KindEndorsement, Created: at, Issuer: carol, Standard: "FAIR data", Level: "gold",
			Note: "checked", Signers: []protocol.DID{carol}, Endorsers: []protocol.DID{}},
		{Kind: protocol.KindRevocation, Created: at.Add(time.Hour), Issuer: alice, Note: "mistake",
			Signers: []protocol.DID{alice}, Endorsers: []protocol.DID{}},
	}
}

func sampleMetas(t testing.TB) []meta {
	alice := testDID(t, "alice")
	at := time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)
	obj := protocol.ObjectID([]byte("payload"))
	art := protocol.ArtifactID(protocol.SumDigest([]byte("model")))
	return []meta{
		{Kind: protocol.KindDataset, Issuer: alice, Created: at, Name: "birds of Europe"},
		{Kind: protocol.KindAttribution, Issuer: alice, About: obj, Created: at},
		{Kind: protocol.KindAttribution, Issuer: alice, About: art, Created: at},
		{Kind: protocol.KindDerivation, Issuer: alice, About: art, Created: at, Name: "model.safetensors"},
	}
}

func TestSummaryRoundTrip(t *testing.T) {
	for _, want := range sampleSummaries(t) {
		got, err := decodeSummary(encodeSummary(want))
		if err != nil {
			t.Fatalf("%s: %v", want.Kind, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("round trip:\n got %+v\nwant %+v", got, want)
		}
	}
}

func TestMetaRoundTrip(t *testing.T) {
	for _, want := range sampleMetas(t) {
		got, err := decodeMeta(encodeMeta(want))
		if err != nil {
			t.Fatalf("%s: %v", want.Kind, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("round trip:\n got %+v\nwant %+v", got, want)
		}
	}
}

// TestSummaryLayout pins the byte layout that SPEC.md §5 describes.
func TestSummaryLayout(t *testing.T) {
	s := sampleSummaries(t)[0]
	b := encodeSummary(s)
	if b[0] != summaryVersion || b[1] != byte(protocol.KindAttribution) || b[2] != 0 {
		t.Fatalf("header % x, want 01 02 00", b[:3])
	}
	if got := int64(uint64(b[3])<<56 | uint64(b[4])<<48 | uint64(b[5])<<40 | uint64(b[6])<<32 |
		uint64(b[7])<<24 | uint64(b[8])<<16 | uint64(b[9])<<8 | uint64(b[10])); got != s.Created.Unix() {
		t.Errorf("created seconds %d, want %d", got, s.Created.Unix())
	}
	if summaryContributorAt != 47 || !bytes.Equal(b[15:47], s.Issuer.PublicKey()) || !bytes.Equal(b[47:79], s.Contributor.PublicKey()) {
		t.Error("issuer or contributor not at bytes 15 and 47")
	}
	if w := math.Float64frombits(uint64(b[79])<<56 | uint64(b[80])<<48 | uint64(b[81])<<40 | uint64(b[82])<<32 |
		uint64(b[83])<<24 | uint64(b[84])<<16 | uint64(b[85])<<8 | uint64(b[86])); w != s.Weight {
		t.Errorf("weight %v, want %v", w, s.Weight)
	}
	if b[87] != byte(len(s.Role)) || string(b[88:88+len(s.Role)]) != s.Role {
		t.Errorf("role not at byte 87")
	}
}

func TestDecodeRefuses(t *testing.T) {
	good := encodeSummary(sampleSummaries(t)[0])
	cases := map[string][]byte{
		"empty":          {},
		"version 2":      append([]byte{2}, good[1:]...),
		"dataset kind":   append([]byte{1, byte(protocol.KindDataset)}, good[2:]...),
		"unknown flag":   append([]byte{1, 2, 0x80}, good[3:]...),
		"truncated":      good[:len(good)-1],
		"trailing bytes": append(append([]byte{}, good...), 0),
	}
	for name, b := range cases {
		if _, err := decodeSummary(b); !protocol.IsKind(err, protocol.Invalid) {
			t.Errorf("%s: err = %v, want an Invalid error", name, err)
		}
	}
	if _, err := decodeMeta([]byte{1, 9}); !protocol.IsKind(err, protocol.Invalid) {
		t.Errorf("meta of unknown kind: err = %v, want Invalid", err)
	}
	if _, err := decodeCount([]byte{1, 2, 3}); !protocol.IsKind(err, protocol.Invalid) {
		t.Errorf("short count: err = %v, want Invalid", err)
	}
}

func FuzzDecodeSummary(f *testing.F) {
	for _, s := range sampleSummaries(f) {
		f.Add(encodeSummary(s))
	}
	f.Add([]byte{1, 2, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := decodeSummary(b)
		if err != nil {
			if !protocol.IsKind(err, protocol.Invalid) {
				t.Fatalf("error of kind %s, want invalid: %v", protocol.KindOf(err), err)
			}
			return
		}
		again, err := decodeSummary(encodeSummary(s))
		if err != nil {
			t.Fatalf("re-encoding of a decoded summary does not decode: %v", err)
		}
		if !reflect.DeepEqual(normSummary(again), normSummary(s)) {
			t.Fatalf("decode(encode(s)) != s:\n%+v\n%+v", again, s)
		}
	})
}

// normSummary makes summaries comparable with DeepEqual: NaN weights
// compare unequal to themselves.
func normSummary(s summary) summary {
	s.Weight = 0
	return s
}

func FuzzDecodeMeta(f *testing.F) {
	for _, m := range sampleMetas(f) {
		f.Add(encodeMeta(m))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := decodeMeta(b)
		if err != nil {
			if !protocol.IsKind(err, protocol.Invalid) {
				t.Fatalf("error of kind %s, want invalid: %v", protocol.KindOf(err), err)
			}
			return
		}
		again, err := decodeMeta(encodeMeta(m))
		if err != nil {
			t.Fatalf("re-encoding of a decoded meta record does not decode: %v", err)
		}
		if !reflect.DeepEqual(again, m) {
			t.Fatalf("decode(encode(m)) != m:\n%+v\n%+v", again, m)
		}
	})
}

func FuzzDecodeCount(f *testing.F) {
	f.Add(encodeCount(0))
	f.Add(encodeCount(12345))
	f.Fuzz(func(t *testing.T, b []byte) {
		n, err := decodeCount(b)
		if err != nil {
			if !protocol.IsKind(err, protocol.Invalid) {
				t.Fatalf("error of kind %s, want invalid: %v", protocol.KindOf(err), err)
			}
			return
		}
		if !bytes.Equal(encodeCount(n), b) {
			t.Fatalf("encode(decode(%x)) = %x", b, encodeCount(n))
		}
	})
}

// TestDIDOrder checks what the attribution sort relies on: did:key strings
// of Ed25519 keys sort as their public keys' bytes do.
func TestDIDOrder(t *testing.T) {
	dids := make([]protocol.DID, 500)
	for i := range dids {
		dids[i] = testDID(t, fmt.Sprint("order ", i))
	}
	byString := slices.Clone(dids)
	slices.SortFunc(byString, func(a, b protocol.DID) int { return strings.Compare(a.String(), b.String()) })
	byBytes := slices.Clone(dids)
	slices.SortFunc(byBytes, compareDIDs)
	if !slices.Equal(byString, byBytes) {
		t.Fatal("did:key string order differs from public key byte order")
	}
	for _, d := range dids {
		if n := len(d.String()); n != len("did:key:z")+47 {
			t.Fatalf("%s has %d characters, want 56", d, n)
		}
	}
}

// FuzzIDOfKey checks the fast ID decoding of keys against protocol.ParseID:
// whatever the bytes, both agree.
func FuzzIDOfKey(f *testing.F) {
	f.Add("s/" + protocol.ObjectID([]byte("x")).String() + "/" + protocol.ObjectID([]byte("y")).String())
	f.Add("f/00/" + protocol.ArtifactID(protocol.SumDigest([]byte("z"))).String())
	f.Add("i/did:key:z6Mk/bafkreiaaaa")
	f.Add("p/x/sha256:" + strings.Repeat("ab", 32))
	f.Fuzz(func(t *testing.T, key string) {
		got, err := idOfKey([]byte(key))
		want, werr := protocol.ParseID(key[strings.LastIndexByte(key, '/')+1:])
		if (err == nil) != (werr == nil) || got != want {
			t.Fatalf("idOfKey(%q) = %v, %v; ParseID gives %v, %v", key, got, err, want, werr)
		}
	})
}
