package bundle_test

import (
	"encoding/base64"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/commons-p2p/commons/node/api"
	"github.com/commons-p2p/commons/node/bundle"
	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/protocol/gov"
	"github.com/commons-p2p/commons/protocol/protocoltest"
	"github.com/commons-p2p/commons/store/storetest"
)

// edit returns raw with f applied to its decoded form.
func edit(t *testing.T, raw []byte, f func(b *bundle.Bundle)) []byte {
	t.Helper()
	b, err := bundle.Decode(raw)
	if err != nil {
		t.Fatal(err)
	}
	f(b)
	out, err := b.Encode()
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// envelopeEdit returns env with f applied to its members.
func envelopeEdit(t *testing.T, env json.RawMessage, f func(m map[string]any)) json.RawMessage {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(env, &m); err != nil {
		t.Fatal(err)
	}
	f(m)
	out, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// alterPayload changes one byte of the statement an envelope signs.
func alterPayload(t *testing.T, env json.RawMessage) json.RawMessage {
	return envelopeEdit(t, env, func(m map[string]any) {
		p, err := base64.StdEncoding.DecodeString(m["payload"].(string))
		if err != nil {
			t.Fatal(err)
		}
		i := strings.Index(string(p), `"created":"2026`)
		if i < 0 {
			t.Fatalf("no created time in %s", p)
		}
		p[i+len(`"created":"2026`)-1] = '7' // 2026 → 2027
		m["payload"] = base64.StdEncoding.EncodeToString(p)
	})
}

// alterSignature flips a bit of the first signature of an envelope.
func alterSignature(t *testing.T, env json.RawMessage) json.RawMessage {
	return envelopeEdit(t, env, func(m map[string]any) {
		sig := m["signatures"].([]any)[0].(map[string]any)
		b, err := base64.StdEncoding.DecodeString(sig["sig"].(string))
		if err != nil {
			t.Fatal(err)
		}
		b[0] ^= 1
		sig["sig"] = base64.StdEncoding.EncodeToString(b)
	})
}

// dropSignature removes the signature of an envelope by key d.
func dropSignature(t *testing.T, env json.RawMessage, d protocol.DID) json.RawMessage {
	return envelopeEdit(t, env, func(m map[string]any) {
		sigs := m["signatures"].([]any)
		m["signatures"] = slices.DeleteFunc(sigs, func(s any) bool { return s.(map[string]any)["keyid"] == d.String() })
	})
}

func objectAt(t *testing.T, b *bundle.Bundle, id protocol.ID) int {
	t.Helper()
	i := slices.IndexFunc(b.Objects, func(p bundle.Piece) bool { return p.ID == id })
	if i < 0 {
		t.Fatalf("no object %s in the bundle", id)
	}
	return i
}

func updateAt(t *testing.T, b *bundle.Bundle, id protocol.ID) int {
	t.Helper()
	i := slices.IndexFunc(b.Governance.Updates, func(p bundle.Piece) bool { return p.ID == id })
	if i < 0 {
		t.Fatalf("no governance update %s in the bundle", id)
	}
	return i
}

// TestVerifyRefusesAlteredPieces: each kind of piece — record, claim,
// co-signature, endorsement, revocation, derivation, rotation, manifest
// chunk, governance update, genesis — tampered with, removed, repeated
// or from another network makes Verify refuse the bundle, naming the
// piece; and so does an answer the pieces do not give.
func TestVerifyRefusesAlteredPieces(t *testing.T) {
	w := newWorld(t)
	raw := w.build(t, w.artifact)
	if _, err := verify(raw); err != nil {
		t.Fatalf("the bundle as built: %v", err)
	}
	otherGenesis := protocoltest.Genesis(t, "another commons", w.steward.DID())
	otherNet := protocol.NetworkIDOf(otherGenesis)
	publisher := storetest.Key(t, "publisher").DID()
	attr := func(b *bundle.Bundle) *api.Attribution { return b.Answers.Attribution }

	cases := []struct {
		name  string
		edit  func(t *testing.T, b *bundle.Bundle)
		words []string // the error says each
	}{
		{"record altered", func(t *testing.T, b *bundle.Bundle) {
			i := objectAt(t, b, w.child)
			b.Objects[i].Envelope = alterPayload(t, b.Objects[i].Envelope)
		}, []string{"object " + w.child.String()}},
		{"record's signature altered", func(t *testing.T, b *bundle.Bundle) {
			i := objectAt(t, b, w.parent)
			b.Objects[i].Envelope = alterSignature(t, b.Objects[i].Envelope)
		}, []string{"object " + w.parent.String()}},
		{"record removed", func(t *testing.T, b *bundle.Bundle) {
			b.Objects = slices.Delete(b.Objects, objectAt(t, b, w.child), objectAt(t, b, w.child)+1)
		}, []string{w.child.String(), "missing"}},
		{"record repeated", func(t *testing.T, b *bundle.Bundle) {
			b.Objects = append(b.Objects, b.Objects[objectAt(t, b, w.parent)])
		}, []string{"object " + w.parent.String(), "twice"}},
		{"record under another's ID", func(t *testing.T, b *bundle.Bundle) {
			b.Objects[objectAt(t, b, w.child)].Envelope = b.Objects[objectAt(t, b, w.parent)].Envelope
		}, []string{"object " + w.child.String(), "is object " + w.parent.String()}},
		{"claim altered", func(t *testing.T, b *bundle.Bundle) {
			i := objectAt(t, b, w.acknowledged)
			b.Objects[i].Envelope = alterPayload(t, b.Objects[i].Envelope)
		}, []string{"object " + w.acknowledged.String()}},
		{"claim removed", func(t *testing.T, b *bundle.Bundle) {
			b.Objects = slices.Delete(b.Objects, objectAt(t, b, w.acknowledged), objectAt(t, b, w.acknowledged)+1)
		}, []string{"object " + w.acknowledged.String(), "missing"}},
		{"claim about the artifact removed", func(t *testing.T, b *bundle.Bundle) {
			b.Objects = slices.Delete(b.Objects, objectAt(t, b, w.artifactClaim), objectAt(t, b, w.artifactClaim)+1)
		}, []string{"object " + w.artifactClaim.String(), "missing"}},
		{"co-signature altered", func(t *testing.T, b *bundle.Bundle) {
			i := objectAt(t, b, w.mutual)
			b.Objects[i].Envelope = envelopeEdit(t, b.Objects[i].Envelope, func(m map[string]any) {
				for _, s := range m["signatures"].([]any) {
					if s := s.(map[string]any); s["keyid"] == publisher.String() {
						s["sig"] = base64.StdEncoding.EncodeToString(make([]byte, 64))
					}
				}
			})
		}, []string{"object " + w.mutual.String()}},
		{"co-signature removed", func(t *testing.T, b *bundle.Bundle) {
			i := objectAt(t, b, w.acknowledged)
			b.Objects[i].Envelope = dropSignature(t, b.Objects[i].Envelope, publisher)
		}, []string{"answers.attribution.lineage", "signers", "claim " + w.acknowledged.String()}},
		{"endorsement removed", func(t *testing.T, b *bundle.Bundle) {
			b.Objects = slices.Delete(b.Objects, objectAt(t, b, w.endorsement), objectAt(t, b, w.endorsement)+1)
		}, []string{"answers.attribution.lineage", "trust", `"certified"`}},
		{"endorsement altered", func(t *testing.T, b *bundle.Bundle) {
			i := objectAt(t, b, w.endorsement)
			b.Objects[i].Envelope = alterSignature(t, b.Objects[i].Envelope)
		}, []string{"object " + w.endorsement.String()}},
		{"revocation removed", func(t *testing.T, b *bundle.Bundle) {
			for j, p := range b.Objects {
				if o, err := protocol.VerifyObject(p.Envelope); err == nil && o.Kind == protocol.KindRevocation {
					b.Objects = slices.Delete(b.Objects, j, j+1)
					return
				}
			}
			t.Fatal("no revocation in the bundle")
		}, []string{"answers.attribution.lineage", "trust", `"revoked"`}},
		{"derivation removed", func(t *testing.T, b *bundle.Bundle) {
			b.Objects = slices.Delete(b.Objects, objectAt(t, b, w.derivation), objectAt(t, b, w.derivation)+1)
		}, []string{w.derivation.String(), "missing"}},
		{"derivation altered", func(t *testing.T, b *bundle.Bundle) {
			i := objectAt(t, b, w.derivation)
			b.Objects[i].Envelope = alterPayload(t, b.Objects[i].Envelope)
		}, []string{"object " + w.derivation.String()}},
		{"rotation removed", func(t *testing.T, b *bundle.Bundle) {
			b.Objects = slices.Delete(b.Objects, objectAt(t, b, w.rotation), objectAt(t, b, w.rotation)+1)
		}, []string{"answers.attribution.lineage", "trust", `"mutual"`, `"acknowledged"`}},
		{"rotation altered", func(t *testing.T, b *bundle.Bundle) {
			i := objectAt(t, b, w.rotation)
			b.Objects[i].Envelope = alterSignature(t, b.Objects[i].Envelope)
		}, []string{"object " + w.rotation.String()}},
		{"chunk altered", func(t *testing.T, b *bundle.Bundle) {
			b.Chunks[0].Data = append([]byte(nil), b.Chunks[0].Data...)
			b.Chunks[0].Data[len(b.Chunks[0].Data)-1] ^= 1
		}, []string{"chunk " + w.root.String()}},
		{"chunk removed", func(t *testing.T, b *bundle.Bundle) {
			b.Chunks = nil
		}, []string{"chunk " + w.root.String(), "dataset " + w.withManifest.String(), "missing"}},
		{"chunk repeated", func(t *testing.T, b *bundle.Bundle) {
			b.Chunks = append(b.Chunks, b.Chunks[0])
		}, []string{"chunk " + w.root.String(), "twice"}},
		{"governance update altered", func(t *testing.T, b *bundle.Bundle) {
			i := updateAt(t, b, w.flag)
			b.Governance.Updates[i].Envelope = alterSignature(t, b.Governance.Updates[i].Envelope)
		}, []string{"governance update " + w.flag.String()}},
		{"governance update removed, a parent", func(t *testing.T, b *bundle.Bundle) {
			i := updateAt(t, b, w.flag)
			b.Governance.Updates = slices.Delete(b.Governance.Updates, i, i+1)
		}, []string{"governance update " + w.flag.String(), "missing"}},
		{"governance update removed, a head", func(t *testing.T, b *bundle.Bundle) {
			i := updateAt(t, b, w.param)
			b.Governance.Updates = slices.Delete(b.Governance.Updates, i, i+1)
		}, []string{"governance update " + w.param.String(), "missing"}},
		{"governance update repeated", func(t *testing.T, b *bundle.Bundle) {
			b.Governance.Updates = append(b.Governance.Updates, b.Governance.Updates[updateAt(t, b, w.flag)])
		}, []string{"governance update " + w.flag.String(), "twice"}},
		{"governance update of another network", func(t *testing.T, b *bundle.Bundle) {
			u, err := gov.NewUpdate(otherNet, w.steward, []protocol.ID{otherNet.ID()}, day(9),
				&gov.Proposal{Action: gov.ActSetParam, Name: "max-claims", Value: "9", Expires: day(12)}, nil)
			if err != nil {
				t.Fatal(err)
			}
			b.Governance.Updates = append(b.Governance.Updates, bundle.Piece{ID: u.ID, Envelope: u.Encode()})
		}, []string{"governance update ", "network " + otherNet.String()}},
		{"governance state hash altered", func(t *testing.T, b *bundle.Bundle) {
			b.Governance.StateHash = "sha256:" + strings.Repeat("0", 64)
		}, []string{"governance", "state"}},
		{"genesis of another network", func(t *testing.T, b *bundle.Bundle) {
			b.Genesis = otherGenesis
		}, []string{"genesis", otherNet.String()}},
		{"bundle of another network", func(t *testing.T, b *bundle.Bundle) {
			b.Network, b.Genesis = otherNet, otherGenesis
		}, []string{"governance update", "network " + w.network.String()}},
		{"genesis altered", func(t *testing.T, b *bundle.Bundle) {
			b.Genesis = append([]byte(nil), b.Genesis...)
			b.Genesis[len(b.Genesis)-1] = ' '
		}, []string{"genesis"}},
		{"answer raises a trust", func(t *testing.T, b *bundle.Bundle) {
			attr(b).Contributors[0].Trust = protocol.Certified
		}, []string{"answers.attribution.contributors[0].trust", `"certified"`}},
		{"answer names a claim not in the bundle", func(t *testing.T, b *bundle.Bundle) {
			c := attr(b).Contributors[0]
			c.Claim = protocol.ObjectID([]byte("a claim nobody made"))
			attr(b).Contributors = append(attr(b).Contributors, c)
		}, []string{"missing", "the answer names", "contributors[1].claim"}},
		{"answer drops a contributor", func(t *testing.T, b *bundle.Bundle) {
			attr(b).Lineage[0].Contributors = attr(b).Lineage[0].Contributors[1:]
		}, []string{"answers.attribution.lineage[0].contributors"}},
		{"answer of another subject", func(t *testing.T, b *bundle.Bundle) {
			b.Subject = w.child
		}, []string{"answers.attribution"}},
		{"answer hides the standing", func(t *testing.T, b *bundle.Bundle) {
			for i := range attr(b).Lineage {
				attr(b).Lineage[i].Standing = nil
			}
		}, []string{"standing", "object " + w.parent.String(), "the pieces give"}},
		{"answer of credit the pieces do not give", func(t *testing.T, b *bundle.Bundle) {
			b.Answers.Credit.Shares = nil
		}, []string{"answers.credit"}},
		{"answer moves credit to another contributor", func(t *testing.T, b *bundle.Bundle) {
			if len(b.Answers.Credit.Shares) < 2 {
				t.Fatalf("the world's credit has %d shares, want 2 or more", len(b.Answers.Credit.Shares))
			}
			s := b.Answers.Credit.Shares
			s[0].Share, s[1].Share = s[1].Share, s[0].Share
		}, []string{"answers.credit.shares[0].share"}},
		{"answer calls the licences compatible", func(t *testing.T, b *bundle.Bundle) {
			b.Answers.License.Compatible = !b.Answers.License.Compatible
		}, []string{"answers.license.compatible"}},
		{"answer hides an upstream licence", func(t *testing.T, b *bundle.Bundle) {
			if len(b.Answers.License.Upstream) == 0 {
				t.Fatal("the world's subject has no upstream licence")
			}
			b.Answers.License.Upstream = b.Answers.License.Upstream[1:]
		}, []string{"answers.license.upstream"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			bad := edit(t, raw, func(b *bundle.Bundle) { tc.edit(t, b) })
			_, err := verify(bad)
			if err == nil {
				t.Fatal("verified")
			}
			if !protocol.IsKind(err, protocol.Invalid) {
				t.Errorf("kind %v, want invalid: %v", protocol.KindOf(err), err)
			}
			for _, word := range tc.words {
				if !strings.Contains(err.Error(), word) {
					t.Errorf("error %q does not say %q", err, word)
				}
			}
		})
	}
}

// TestVerifyRefusesOtherNetwork: a verifier that names its network
// refuses a sound bundle of another.
func TestVerifyRefusesOtherNetwork(t *testing.T) {
	w := newWorld(t)
	raw := w.build(t, w.child)
	other := protocol.NetworkIDOf(protocoltest.Genesis(t, "another commons", w.steward.DID()))
	_, err := bundle.VerifyWith(raw, bundle.Options{Now: verifyNow, Network: other})
	protocoltest.WantErr(t, err, protocol.Invalid, "network "+w.network.String(), "not "+other.String())
	if _, err := bundle.VerifyWith(raw, bundle.Options{Now: verifyNow, Network: w.network}); err != nil {
		t.Errorf("its own network: %v", err)
	}
}

// TestVerifyRefusesPiecesFromTheFuture: pieces dated ahead of the
// verifier's clock are refused as a node refuses them.
func TestVerifyRefusesPiecesFromTheFuture(t *testing.T) {
	w := newWorld(t)
	raw := w.build(t, w.child)
	_, err := bundle.VerifyWith(raw, bundle.Options{Now: func() time.Time { return day(1) }})
	protocoltest.WantErr(t, err, protocol.Invalid, "governance update", "ahead")
}

// TestDecodeRefusesMalformed: what is not a bundle gets a clear error.
func TestDecodeRefusesMalformed(t *testing.T) {
	w := newWorld(t)
	good := string(w.build(t, w.child))
	cases := []struct {
		name, raw string
		kind      protocol.Kind
		words     []string
	}{
		{"empty", "", protocol.Invalid, []string{"not a bundle"}},
		{"not JSON", "{{", protocol.Invalid, []string{"not a bundle"}},
		{"an array", "[]", protocol.Invalid, []string{"not a bundle"}},
		{"another type", strings.Replace(good, bundle.Type, "https://example.com/bundle", 1), protocol.Invalid, []string{"type"}},
		{"unknown member", strings.Replace(good, `"subject"`, `"extra": 1, "subject"`, 1), protocol.Invalid, []string{"extra"}},
		{"data after", good + "{}", protocol.Invalid, []string{"after the document"}},
		{"no answers", strings.Replace(good, `"attribution": {`, `"attribution": null, "x": {`, 1), protocol.Invalid, []string{"not a bundle"}},
		{"null envelope", strings.Replace(good, `"envelope": {`, `"envelope": null, "x": {`, 1), protocol.Invalid, []string{"not a bundle"}},
		{"bad ID", strings.Replace(good, `"subject": "b`, `"subject": "x`, 1), protocol.Invalid, []string{"not a bundle"}},
		{"bad base64", strings.Replace(good, `"genesis": "`, `"genesis": "!`, 1), protocol.Invalid, []string{"not a bundle"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := bundle.Decode([]byte(tc.raw))
			protocoltest.WantErr(t, err, tc.kind, tc.words...)
			_, err = verify([]byte(tc.raw))
			protocoltest.WantErr(t, err, tc.kind, tc.words...)
		})
	}
}

// TestVerifyNamesFirstBadPieceInBundleOrder: with every envelope of a
// bundle tampered with, or with a claim and a later record tampered with
// (a record is stored before the claims, and its signatures are checked
// first), Verify names the first piece in bundle order, every time,
// whatever the order in which the cores checked them.
func TestVerifyNamesFirstBadPieceInBundleOrder(t *testing.T) {
	w := newWorld(t)
	raw := w.build(t, w.artifact)
	all := edit(t, raw, func(b *bundle.Bundle) {
		for i := range b.Objects {
			b.Objects[i].Envelope = alterSignature(t, b.Objects[i].Envelope)
		}
	})
	var first protocol.ID
	claimThenRecord := edit(t, raw, func(b *bundle.Bundle) {
		first = b.Objects[0].ID
		claim, record := -1, -1
		for i, p := range b.Objects {
			o, err := protocol.VerifyObject(p.Envelope)
			if err != nil {
				t.Fatal(err)
			}
			switch {
			case claim < 0 && o.Kind == protocol.KindAttribution:
				claim = i
			case claim >= 0 && record < 0 && o.Kind == protocol.KindDataset:
				record = i
			}
		}
		if claim < 0 || record < 0 {
			t.Fatal("the bundle has no claim before a record")
		}
		b.Objects[claim].Envelope = alterSignature(t, b.Objects[claim].Envelope)
		b.Objects[record].Envelope = alterSignature(t, b.Objects[record].Envelope)
		first = b.Objects[claim].ID
	})
	for range 20 {
		b, _ := bundle.Decode(all)
		if _, err := verify(all); err == nil || !strings.Contains(err.Error(), "object "+b.Objects[0].ID.String()+" (objects[0])") {
			t.Fatalf("every piece tampered with: %v, want objects[0], %s, named", err, b.Objects[0].ID)
		}
		if _, err := verify(claimThenRecord); err == nil || !strings.Contains(err.Error(), "object "+first.String()) {
			t.Fatalf("a claim and a later record tampered with: %v, want the claim %s named", err, first)
		}
	}
}
