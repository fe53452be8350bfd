package protocol_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"path"
	"reflect"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/commons-p2p/commons/protocol"
)

// FuzzDecodeEnvelope: no input panics the envelope decoder, and what it
// accepts encodes to bytes that decode to the same envelope.
func FuzzDecodeEnvelope(f *testing.F) {
	for _, v := range vectors() {
		b := v.env.Encode()
		f.Add(b)
		w := toWire(f, b)
		w.Payload = base64.RawURLEncoding.EncodeToString(v.env.Payload)
		f.Add(w.bytes())
	}
	f.Add([]byte(`{"payloadType":"a","payload":"e30","signatures":[{"keyid":"did:key:z6MkehRgf7yJbgaGfYsdoAsKdBPE3dj2CYhowQdcjqSJgvVd","sig":""}]}`))
	f.Add([]byte(`{"payloadType":"a","payload":"e30=","signatures":[]} `))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		env, err := protocol.DecodeEnvelope(b)
		if err != nil {
			if k := protocol.KindOf(err); k != protocol.Invalid && k != protocol.TooLarge {
				t.Fatalf("error of kind %s: %v", k, err)
			}
			return
		}
		again, err := protocol.DecodeEnvelope(env.Encode())
		if err != nil {
			t.Fatalf("re-encoded envelope refused: %v\n%s", err, env.Encode())
		}
		if !reflect.DeepEqual(again, env) {
			t.Fatalf("round trip changed the envelope:\n%+v\n%+v", env, again)
		}
		if env.Verify() == nil {
			protocol.ParseObject(env) // must not panic
		}
	})
}

// FuzzVerifyObject fuzzes what an envelope carries. The fuzzer writes
// payloads and the target signs each with both vector keys before calling
// VerifyObject, so that mutations reach the statement rules instead of
// dying at the signature check (FuzzDecodeEnvelope covers that layer).
// What is accepted must round-trip, name a signer as issuer, and read the
// same to a plain JSON reader as to the strict decoder.
func FuzzVerifyObject(f *testing.F) {
	for _, v := range vectors() {
		f.Add(v.env.Payload)
	}
	ds := vectorByName("dataset").Payload
	f.Add(edit(f, ds, func(st map[string]any) {
		pred(st)["parents"] = []string{vectorByName("attribution").ID().String()}
		pred(st)["croissant"] = map[string]any{"@context": "x"}
	}))
	f.Add(bytes.Replace(ds, []byte(`"name":"Test vector"`), []byte(`"name":"Test vector","Name":"x"`), 1))
	dm := vectorByName("dataset-manifest").Payload
	f.Add(edit(f, dm, func(st map[string]any) { pred(st)["manifest"] = nil }))
	f.Add(edit(f, dm, func(st map[string]any) { st["subject"] = protocol.FileSubjects([]protocol.File{helloFile}) }))
	f.Add(edit(f, ds, func(st map[string]any) { pred(st)["manifest"] = manifestRoot }))
	f.Fuzz(func(t *testing.T, payload []byte) {
		b := signed(payload, vectorKey, otherKey)
		o, err := protocol.VerifyObject(b)
		if err != nil {
			if k := protocol.KindOf(err); k != protocol.Invalid && k != protocol.TooLarge {
				t.Fatalf("error of kind %s: %v", k, err)
			}
			return
		}
		if !o.Envelope.SignedBy(o.Issuer()) || o.ID != protocol.ObjectID(payload) {
			t.Fatalf("accepted object: issuer %s signed %v, id %s", o.Issuer(), o.Envelope.SignedBy(o.Issuer()), o.ID)
		}
		again, err := protocol.VerifyObject(o.Envelope.Encode())
		if err != nil {
			t.Fatalf("re-encoded object refused: %v", err)
		}
		if !reflect.DeepEqual(again, o) {
			t.Fatalf("round trip changed the object:\n%+v\n%+v", o, again)
		}
		checkPlainReading(t, payload, o)
	})
}

// checkPlainReading decodes payload as any JSON reader would and checks that
// the fields that decide identity and indexing say what the Object says.
func checkPlainReading(t *testing.T, payload []byte, o *protocol.Object) {
	var st struct {
		Type          string `json:"_type"`
		PredicateType string `json:"predicateType"`
		Subject       []struct {
			Name   string            `json:"name"`
			Digest map[string]string `json:"digest"`
		} `json:"subject"`
		Predicate map[string]any `json:"predicate"`
	}
	if err := json.Unmarshal(payload, &st); err != nil {
		t.Fatalf("accepted payload is not JSON to a plain reader: %v", err)
	}
	if st.Type != protocol.StatementType || st.PredicateType != o.Kind.PredicateType() {
		t.Fatalf("plain reader sees _type %q predicateType %q", st.Type, st.PredicateType)
	}
	issuerField := "issuer"
	switch o.Kind {
	case protocol.KindDataset, protocol.KindDerivation:
		issuerField = "publisher"
	case protocol.KindRotation:
		issuerField = "from"
	}
	if got, _ := st.Predicate[issuerField].(string); got != o.Issuer().String() {
		t.Fatalf("plain reader sees %s %q, object %s", issuerField, got, o.Issuer())
	}
	for i, f := range o.Files {
		if st.Subject[i].Name != f.Name || st.Subject[i].Digest["sha256"] != f.Digest.Hex() {
			t.Fatalf("plain reader sees subject %d as %+v, object %+v", i, st.Subject[i], f)
		}
	}
	if o.Kind == protocol.KindDataset && o.Dataset.Manifest != nil {
		m, _ := st.Predicate["manifest"].(map[string]any)
		root := o.Dataset.Manifest.Root
		if len(o.Files) != 0 || len(st.Subject) != 1 || st.Subject[0].Name != root.String() || m["root"] != root.String() ||
			st.Subject[0].Digest["sha256"] != root.Digest().Hex() {
			t.Fatalf("plain reader sees subjects %+v and manifest %v, object %+v with %d files", st.Subject, m, o.Dataset.Manifest, len(o.Files))
		}
	}
	if !o.About.IsZero() {
		if id, err := protocol.ParseID(st.Subject[0].Name); err != nil || id != o.About {
			t.Fatalf("plain reader sees subject %q, object %s", st.Subject[0].Name, o.About)
		}
	}
}

func FuzzParseID(f *testing.F) {
	for _, s := range []string{vectorDatasetID, vectorArtifactID, mustBase58(vectorDatasetID), helloFile.Digest.String(),
		"QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG", "bafyreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy", "k51qzi5uqu5dlvj2baxnqndepeb86cbk3ng7n3i46uzyxzyqj2xjonzllnv0v8", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		id, err := protocol.ParseID(s)
		if err != nil {
			if protocol.KindOf(err) != protocol.Invalid {
				t.Fatalf("error of kind %s: %v", protocol.KindOf(err), err)
			}
			return
		}
		if id.IsZero() {
			t.Fatal("accepted the zero ID")
		}
		text := id.String()
		back, err := protocol.ParseID(text)
		if err != nil || back != id || back.String() != text {
			t.Fatalf("ParseID(%q) = %s, %v; want %s", text, back, err, id)
		}
		if b, err := protocol.IDFromBytes(id.Bytes()); err != nil || b != id {
			t.Fatalf("IDFromBytes(Bytes) = %s, %v", b, err)
		}
		if !id.IsObject() && protocol.ArtifactID(id.Digest()) != id {
			t.Fatalf("artifact %s is not ArtifactID(its digest)", id)
		}
		if !strings.HasPrefix(text, "bagaaiera") && !strings.HasPrefix(text, "bafkrei") {
			t.Fatalf("text form %s", text)
		}
	})
}

func FuzzParseDID(f *testing.F) {
	f.Add(vectorDID)
	f.Add(otherKey.DID().String())
	f.Add("did:key:z6MkehRgf7yJbgaGfYsdoAsKdBPE3dj2CYhowQdcjqSJgvV")
	f.Add("did:key:zQ3shokFTS3brHcDQrn82RUDfCZESWL1ZdCEJwekUDPQiYBme")
	f.Add("did:key:z1")
	f.Fuzz(func(t *testing.T, s string) {
		d, err := protocol.ParseDID(s)
		if err != nil {
			if protocol.KindOf(err) != protocol.Invalid {
				t.Fatalf("error of kind %s: %v", protocol.KindOf(err), err)
			}
			return
		}
		// base58btc without leading zero bytes has one spelling.
		if d.String() != s {
			t.Fatalf("ParseDID(%q).String() = %q", s, d.String())
		}
		if back, err := protocol.DIDFromPublicKey(d.PublicKey()); err != nil || back != d {
			t.Fatalf("DIDFromPublicKey(PublicKey) = %s, %v", back, err)
		}
	})
}

func FuzzParseDigest(f *testing.F) {
	f.Add(helloFile.Digest.String())
	f.Add(helloFile.Digest.Hex())
	f.Add(strings.ToUpper(helloFile.Digest.Hex()))
	f.Add("sha256:")
	f.Fuzz(func(t *testing.T, s string) {
		d, err := protocol.ParseDigest(s)
		if err != nil {
			if protocol.KindOf(err) != protocol.Invalid {
				t.Fatalf("error of kind %s: %v", protocol.KindOf(err), err)
			}
			return
		}
		if !strings.EqualFold(strings.TrimPrefix(s, "sha256:"), d.Hex()) {
			t.Fatalf("ParseDigest(%q) = %s", s, d)
		}
		for _, text := range []string{d.String(), d.Hex()} {
			if back, err := protocol.ParseDigest(text); err != nil || back != d {
				t.Fatalf("ParseDigest(%q) = %s, %v; want %s", text, back, err, d)
			}
		}
	})
}

// FuzzCheckPath compares CheckPath with a reference written another way:
// a path is clean when path.Clean leaves it alone and it does not climb out;
// it shows as written when it holds no control, separator or bidirectional
// control, and no segment that trimming invisible characters empties.
func FuzzCheckPath(f *testing.F) {
	for _, p := range []string{"hello.txt", "a/b/c", "/abs", "../x", "a/../b", "a//b", "a/", ".", "..", "", "a\\b", "a\x00b", "ünï/ファイル", "a\u0085b", "...", "a/./b", "\xff",
		"a\u202eb", "a/\u200b/b", "\u3164", "a\u2028b", "a/ /b", "❤️/x"} {
		f.Add(p)
	}
	const bidiAndSeparators = "\u2028\u2029\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
	invisible := func(r rune) bool {
		return r == '\u2800' || unicode.In(r, unicode.White_Space, unicode.Cf, unicode.Cc, unicode.Variation_Selector, unicode.Other_Default_Ignorable_Code_Point)
	}
	visibleSegments := func(p string) bool {
		for _, seg := range strings.Split(p, "/") {
			if strings.TrimFunc(seg, invisible) == "" {
				return false
			}
		}
		return true
	}
	f.Fuzz(func(t *testing.T, p string) {
		err := protocol.CheckPath(p)
		want := p != "" && len(p) <= protocol.MaxPathLen && utf8.ValidString(p) &&
			path.Clean(p) == p && !path.IsAbs(p) && p != "." && p != ".." && !strings.HasPrefix(p, "../") &&
			!strings.ContainsRune(p, '\\') && strings.IndexFunc(p, unicode.IsControl) < 0 &&
			!strings.ContainsAny(p, bidiAndSeparators) && visibleSegments(p)
		if (err == nil) != want {
			t.Fatalf("CheckPath(%q) = %v, reference says ok=%v", p, err, want)
		}
		if err != nil && protocol.KindOf(err) != protocol.Invalid {
			t.Fatalf("error of kind %s: %v", protocol.KindOf(err), err)
		}
	})
}
