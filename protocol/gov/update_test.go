package gov_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/protocol/gov"
)

// govSamples returns a valid update of each kind on a commons of A and B.
func govSamples(t testing.TB) (govNet, map[string]*gov.Update) {
	n := newGovNet(t, "AB", 2, nil)
	exp := hour(72)
	prop := n.propose(t, "A", n.genesis(), hour(0), gov.Proposal{Action: gov.ActAddSteward, DID: govKey("C").DID(), Expires: exp})
	return n, map[string]*gov.Update{
		"add-steward":    prop,
		"remove-steward": n.propose(t, "A", n.genesis(), hour(0), gov.Proposal{Action: gov.ActRemoveSteward, DID: govKey("B").DID(), Expires: exp}),
		"set-threshold":  n.propose(t, "A", n.genesis(), hour(0), gov.Proposal{Action: gov.ActSetThreshold, Threshold: 1, Expires: exp}),
		"revoke-key": n.propose(t, "A", n.genesis(), hour(0), gov.Proposal{Action: gov.ActRevokeKey, DID: govKey("D").DID(),
			Effective: day(1), Reason: "key leaked", Expires: exp}),
		"dataset-status": n.propose(t, "A", n.genesis(), hour(0), gov.Proposal{Action: gov.ActDatasetStatus,
			Dataset: protocol.MustParseID(vectorDatasetID), Status: gov.StatusDelisted, Reason: "licence breach <& \"quoted\">", Expires: exp}),
		"set-param":       n.propose(t, "A", n.genesis(), hour(0), gov.Proposal{Action: gov.ActSetParam, Name: "max-claims", Value: "200", Expires: exp}),
		"set-param-empty": n.propose(t, "A", n.genesis(), hour(0), gov.Proposal{Action: gov.ActSetParam, Name: "max-claims", Expires: exp}),
		"vote-yes":        n.vote(t, "B", ids(prop), hour(1), prop.ID, true),
		"vote-no":         n.vote(t, "B", ids(prop), hour(1), prop.ID, false),
		"rotate":          n.rotate(t, "A", ids(prop), hour(1), "C"),
	}
}

func TestGovUpdateRoundTrip(t *testing.T) {
	_, samples := govSamples(t)
	for name, u := range samples {
		t.Run(name, func(t *testing.T) {
			raw := u.Encode()
			got, err := gov.DecodeUpdate(raw)
			if err != nil {
				t.Fatalf("%v\n%s", err, u.Envelope.Payload)
			}
			if !reflect.DeepEqual(got, u) {
				t.Errorf("decoded %+v, made %+v", got, u)
			}
			if !bytes.Equal(got.Encode(), raw) {
				t.Errorf("re-encoding changed the bytes")
			}
			if got.ID != protocol.ObjectID(got.Envelope.Payload) || got.Envelope.PayloadType != gov.PayloadType {
				t.Errorf("id %s, payloadType %q", got.ID, got.Envelope.PayloadType)
			}
		})
	}
}

// TestNewGovUpdateNormalises: times in UTC to the second, parents sorted,
// a default expiry.
func TestNewGovUpdateNormalises(t *testing.T) {
	n := newGovNet(t, "AB", 1, nil)
	p1 := n.propose(t, "A", n.genesis(), hour(0), gov.Proposal{Action: gov.ActSetThreshold, Threshold: 2, Expires: hour(9)})
	p2 := n.propose(t, "B", n.genesis(), hour(0), gov.Proposal{Action: gov.ActSetThreshold, Threshold: 2, Expires: hour(8)})
	zone := time.FixedZone("X", 5*3600)
	at := hour(3).In(zone).Add(999 * time.Millisecond)
	u, err := gov.NewUpdate(n.net, govKey("A"), []protocol.ID{p2.ID, p1.ID}, at, &gov.Proposal{Action: gov.ActAddSteward, DID: govKey("C").DID()}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !u.Time.Equal(hour(3)) || u.Time.Location() != time.UTC {
		t.Errorf("time %v, want %v", u.Time, hour(3))
	}
	if !u.Propose.Expires.Equal(hour(3).Add(gov.DefaultExpiry)) {
		t.Errorf("expires %v, want the default %v later", u.Propose.Expires, gov.DefaultExpiry)
	}
	if a, b := u.Parents[0].String(), u.Parents[1].String(); a >= b {
		t.Errorf("parents not sorted: %s %s", a, b)
	}
	if !strings.Contains(string(u.Envelope.Payload), `"time":"2026-01-02T03:00:00Z"`) {
		t.Errorf("payload %s", u.Envelope.Payload)
	}
}

// signedGov returns payload as a governance envelope signed by keys.
func signedGov(payload []byte, keys ...*protocol.Key) []byte {
	env := &protocol.Envelope{PayloadType: gov.PayloadType, Payload: payload}
	for _, k := range keys {
		k.Sign(env)
	}
	return env.Encode()
}

func TestDecodeGovUpdateRefuses(t *testing.T) {
	n, samples := govSamples(t)
	prop, vote := samples["add-steward"], samples["vote-yes"]
	A := govKey("A")
	reSign := func(payload []byte) []byte { return signedGov(payload, A) }
	editProp := func(f func(m, p map[string]any)) []byte {
		return reSign(edit(t, prop.Envelope.Payload, func(m map[string]any) { f(m, m["propose"].(map[string]any)) }))
	}
	replace := func(old, new string) []byte {
		if !bytes.Contains(prop.Envelope.Payload, []byte(old)) {
			t.Fatalf("%q is not in the payload", old)
		}
		return reSign(bytes.Replace(prop.Envelope.Payload, []byte(old), []byte(new), 1))
	}
	manyParents := func() []any {
		var ps []string
		for i := range gov.MaxParents + 1 {
			ps = append(ps, protocol.ObjectID([]byte{byte(i)}).String())
		}
		sortStrings(ps)
		out := make([]any, len(ps))
		for i, p := range ps {
			out[i] = p
		}
		return out
	}
	badSig := func() []byte {
		env := *prop.Envelope
		env.Signatures = []protocol.Signature{{KeyID: A.DID(), Sig: bytes.Clone(env.Signatures[0].Sig)}}
		env.Signatures[0].Sig[7] ^= 1
		return env.Encode()
	}
	statementType := func() []byte {
		env := &protocol.Envelope{PayloadType: protocol.PayloadTypeInToto, Payload: prop.Envelope.Payload}
		A.Sign(env)
		return env.Encode()
	}
	far := strings.Repeat("x", gov.MaxUpdateSize)
	for _, tc := range []struct {
		name  string
		raw   []byte
		kind  protocol.Kind
		words []string
	}{
		{"oversized", reSign(edit(t, prop.Envelope.Payload, func(m map[string]any) { m["pad"] = far })), protocol.TooLarge, []string{"over the limit of 65536"}},
		{"not json", []byte(`{"payloadType":`), protocol.Invalid, []string{"malformed JSON"}},
		{"bad signature", badSig(), protocol.Invalid, []string{"does not verify"}},
		{"two signatures", signedGov(prop.Envelope.Payload, A, govKey("B")), protocol.Invalid, []string{"2 signatures", "exactly one"}},
		{"signer not the author", signedGov(prop.Envelope.Payload, govKey("B")), protocol.Invalid, []string{"not by its author", A.DID().String()}},
		{"statement payload type", statementType(), protocol.Invalid, []string{"payloadType", gov.PayloadType}},
		{"unknown field", editProp(func(m, p map[string]any) { m["comment"] = "hi" }), protocol.Invalid, []string{`unknown field "comment"`}},
		{"unknown field in propose", editProp(func(m, p map[string]any) { p["urgent"] = true }), protocol.Invalid, []string{`unknown field "urgent"`, "propose"}},
		{"miscased field", replace(`"time":`, `"Time":`), protocol.Invalid, []string{`unknown field "Time"`}},
		{"duplicate field", replace(`"time":"2026-01-02T00:00:00Z"`, `"time":"2026-01-02T00:00:00Z","time":"2026-01-03T00:00:00Z"`), protocol.Invalid, []string{`"time" appears twice`}},
		{"duplicate field in propose", replace(`"action":"add-steward"`, `"action":"add-steward","action":"add-steward"`), protocol.Invalid, []string{`"action" appears twice`}},
		{"missing time", editProp(func(m, p map[string]any) { delete(m, "time") }), protocol.Invalid, []string{`missing field "time"`}},
		{"missing expires", editProp(func(m, p map[string]any) { delete(p, "expires") }), protocol.Invalid, []string{`missing field "expires"`}},
		{"bad action", editProp(func(m, p map[string]any) { p["action"] = "make-coffee" }), protocol.Invalid, []string{`unknown action "make-coffee"`}},
		{"neither", editProp(func(m, p map[string]any) { delete(m, "propose") }), protocol.Invalid, []string{"none of propose, vote and rotate"}},
		{"both", editProp(func(m, p map[string]any) { m["vote"] = map[string]any{"proposal": prop.ID.String(), "yes": true} }), protocol.Invalid, []string{"propose and vote together"}},
		{"vote without yes", reSign(edit(t, vote.Envelope.Payload, func(m map[string]any) { delete(m["vote"].(map[string]any), "yes") })), protocol.Invalid, []string{`missing field "yes"`}},
		{"vote on the genesis", reSign(edit(t, vote.Envelope.Payload, func(m map[string]any) {
			m["author"] = A.DID().String()
			m["vote"].(map[string]any)["proposal"] = n.net.String()
		})), protocol.Invalid, []string{"is not the ID of a proposal"}},
		{"no parents", editProp(func(m, p map[string]any) { m["parents"] = []any{} }), protocol.Invalid, []string{"no parents"}},
		{"too many parents", editProp(func(m, p map[string]any) { m["parents"] = manyParents() }), protocol.Invalid, []string{"65 parents, over 64"}},
		{"unsorted parents", editProp(func(m, p map[string]any) {
			a, b := sortedPair(prop.ID, vote.ID)
			m["parents"] = []any{b, a}
		}), protocol.Invalid, []string{"sorted by text"}},
		{"duplicate parents", editProp(func(m, p map[string]any) { m["parents"] = []any{prop.ID.String(), prop.ID.String()} }), protocol.Invalid, []string{"sorted by text, each once"}},
		{"genesis and more", editProp(func(m, p map[string]any) {
			a, b := sortedPair(n.net.ID(), vote.ID)
			m["parents"] = []any{a, b}
		}), protocol.Invalid, []string{"only a parent alone"}},
		{"artifact parent", editProp(func(m, p map[string]any) { m["parents"] = []any{vectorArtifactID} }), protocol.Invalid, []string{"not an update ID"}},
		{"parent not canonical", editProp(func(m, p map[string]any) { m["parents"] = []any{mustBase58(vectorDatasetID)} }), protocol.Invalid, []string{"canonical form"}},
		{"artifact network", editProp(func(m, p map[string]any) { m["network"] = vectorArtifactID }), protocol.Invalid, []string{"artifact ID"}},
		{"bad author", editProp(func(m, p map[string]any) { m["author"] = "did:web:example.com" }), protocol.Invalid, []string{"author"}},
		{"time with fraction", replace(`"time":"2026-01-02T00:00:00Z"`, `"time":"2026-01-02T00:00:00.5Z"`), protocol.Invalid, []string{"UTC time to the second"}},
		{"time with offset", replace(`"time":"2026-01-02T00:00:00Z"`, `"time":"2026-01-02T01:00:00+01:00"`), protocol.Invalid, []string{"UTC time to the second"}},
		{"time before 2000", replace(`"time":"2026-01-02T00:00:00Z"`, `"time":"1999-12-31T23:59:59Z"`), protocol.Invalid, []string{"before 2000"}},
		{"time out of range", replace(`"time":"2026-01-02T00:00:00Z"`, `"time":"2026-02-30T00:00:00Z"`), protocol.Invalid, []string{"day out of range"}},
		{"expires at time", editProp(func(m, p map[string]any) { p["expires"] = m["time"] }), protocol.Invalid, []string{"is not after the update's time"}},
		{"expires too late", editProp(func(m, p map[string]any) { p["expires"] = "2026-02-01T00:00:01Z" }), protocol.Invalid, []string{"more than 720h0m0s after"}},
		{"field of another action", editProp(func(m, p map[string]any) { p["threshold"] = 2 }), protocol.Invalid, []string{"threshold is not a field of this action"}},
		{"value of another action", editProp(func(m, p map[string]any) { p["value"] = "x" }), protocol.Invalid, []string{"value is not a field of this action"}},
		{"missing did", editProp(func(m, p map[string]any) { delete(p, "did") }), protocol.Invalid, []string{"add-steward: missing did"}},
		{"missing revoke reason", editProp(func(m, p map[string]any) {
			p["action"], p["effective"] = "revoke-key", "2026-01-01T00:00:00Z"
		}), protocol.Invalid, []string{"revoke-key: missing reason"}},
		{"blank revoke reason", editProp(func(m, p map[string]any) {
			p["action"], p["effective"], p["reason"] = "revoke-key", "2026-01-01T00:00:00Z", " \t"
		}), protocol.Invalid, []string{"revoke-key: missing reason"}},
		{"missing effective", editProp(func(m, p map[string]any) { p["action"], p["reason"] = "revoke-key", "leak" }), protocol.Invalid, []string{"revoke-key: missing effective"}},
		{"missing dataset reason", editProp(func(m, p map[string]any) {
			delete(p, "did")
			p["action"], p["dataset"], p["status"] = "dataset-status", vectorDatasetID, "flagged"
		}), protocol.Invalid, []string{"dataset-status: missing reason"}},
		{"bad dataset status", editProp(func(m, p map[string]any) {
			delete(p, "did")
			p["action"], p["dataset"], p["status"], p["reason"] = "dataset-status", vectorDatasetID, "banned", "x"
		}), protocol.Invalid, []string{`status "banned"`}},
		{"artifact dataset", editProp(func(m, p map[string]any) {
			delete(p, "did")
			p["action"], p["dataset"], p["status"], p["reason"] = "dataset-status", vectorArtifactID, "flagged", "x"
		}), protocol.Invalid, []string{"is an artifact"}},
		{"threshold 0", editProp(func(m, p map[string]any) { delete(p, "did"); p["action"], p["threshold"] = "set-threshold", 0 }), protocol.Invalid, []string{"set-threshold: missing threshold"}},
		{"threshold too high", editProp(func(m, p map[string]any) { delete(p, "did"); p["action"], p["threshold"] = "set-threshold", 257 }), protocol.Invalid, []string{"threshold 257 is outside [1, 256]"}},
		{"threshold not an integer", editProp(func(m, p map[string]any) { delete(p, "did"); p["action"], p["threshold"] = "set-threshold", 1.5 }), protocol.Invalid, []string{"threshold"}},
		{"param name", editProp(func(m, p map[string]any) { delete(p, "did"); p["action"], p["name"] = "set-param", "Max Claims" }), protocol.Invalid, []string{"name", "lowercase"}},
		{"param value too long", editProp(func(m, p map[string]any) {
			delete(p, "did")
			p["action"], p["name"], p["value"] = "set-param", "x", strings.Repeat("v", protocol.MaxParamValueLen+1)
		}), protocol.Invalid, []string{"value is 1025 bytes, over 1024"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			u, err := gov.DecodeUpdate(tc.raw)
			if err == nil {
				t.Fatalf("accepted %s", u.Envelope.Payload)
			}
			wantErr(t, err, tc.kind, tc.words...)
		})
	}
}

// TestDecodeGovUpdateTimeIsData: the decoder reads no clock. An update
// dated far in the future is well formed; the node's door refuses it for
// now, and the fold takes its time as data.
func TestDecodeGovUpdateTimeIsData(t *testing.T) {
	n := newGovNet(t, "A", 1, nil)
	future := time.Date(2999, 1, 1, 0, 0, 0, 0, time.UTC)
	u := n.propose(t, "A", n.genesis(), future, gov.Proposal{Action: gov.ActSetParam, Name: "x", Value: "1"})
	if _, err := gov.DecodeUpdate(u.Encode()); err != nil {
		t.Fatal(err)
	}
}

// TestNewGovUpdateRefuses: what DecodeGovUpdate refuses, NewGovUpdate does
// not make.
func TestNewGovUpdateRefuses(t *testing.T) {
	n := newGovNet(t, "A", 1, nil)
	A := govKey("A")
	for _, tc := range []struct {
		name    string
		parents []protocol.ID
		p       *gov.Proposal
		v       *gov.Vote
		words   []string
	}{
		{"neither", n.genesis(), nil, nil, []string{"none of propose, vote and rotate"}},
		{"no parents", nil, &gov.Proposal{Action: gov.ActSetThreshold, Threshold: 1}, nil, []string{"no parents"}},
		{"duplicate parents", []protocol.ID{protocol.ObjectID(nil), protocol.ObjectID(nil)}, &gov.Proposal{Action: gov.ActSetThreshold, Threshold: 1}, nil, []string{"each once"}},
		{"unknown action", n.genesis(), &gov.Proposal{Action: "abdicate"}, nil, []string{`unknown action "abdicate"`}},
		{"expires before time", n.genesis(), &gov.Proposal{Action: gov.ActSetThreshold, Threshold: 1, Expires: hour(-1)}, nil, []string{"not after"}},
		{"effective before 2000", n.genesis(), &gov.Proposal{Action: gov.ActRevokeKey, DID: A.DID(), Reason: "x", Effective: time.Date(1999, 1, 1, 0, 0, 0, 0, time.UTC)}, nil, []string{"effective", "before 2000"}},
		{"vote on nothing", n.genesis(), nil, &gov.Vote{Yes: true}, []string{"vote: missing proposal"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := gov.NewUpdate(n.net, A, tc.parents, hour(0), tc.p, tc.v)
			wantErr(t, err, protocol.Invalid, tc.words...)
		})
	}
	if _, err := gov.NewUpdate(n.net, nil, n.genesis(), hour(0), &gov.Proposal{Action: gov.ActSetThreshold, Threshold: 1}, nil); err == nil {
		t.Error("made an update without a key")
	}
}

// TestDecodeGovUpdateRefusesRotate: the rotate member holds an envelope
// under every rule of §2.1–§2.6, of a rotation signed by both its keys,
// whose old key is the update's author; an update is one thing at a time
// and stays within MaxGovUpdateSize (SPEC.md §8.1).
func TestDecodeGovUpdateRefusesRotate(t *testing.T) {
	n, samples := govSamples(t)
	rot, prop := samples["rotate"], samples["add-steward"]
	A := govKey("A")
	envObject := func(env *protocol.Envelope) any {
		var m map[string]any
		if err := json.Unmarshal(env.Encode(), &m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	withRotate := func(rotate any) []byte {
		return signedGov(edit(t, rot.Envelope.Payload, func(m map[string]any) { m["rotate"] = rotate }), A)
	}
	oneKey := mustEnvelope(protocol.KindRotation, protocol.KeySubject(A.DID()), protocol.Rotation{From: A.DID(), To: govKey("C").DID(), Created: hour(1)}, A)
	badSig := rotation("A", "C", hour(1))
	badSig.Signatures[1].Sig = bytes.Clone(badSig.Signatures[1].Sig)
	badSig.Signatures[1].Sig[0] ^= 1
	update := &protocol.Envelope{PayloadType: gov.PayloadType, Payload: prop.Envelope.Payload}
	A.Sign(update)
	padded := bytes.Replace(rot.Envelope.Payload, []byte(`"rotate":{`), []byte(`"rotate":`+strings.Repeat(" ", gov.MaxUpdateSize)+`{`), 1)
	for _, tc := range []struct {
		name  string
		raw   []byte
		kind  protocol.Kind
		words []string
	}{
		{"rotate and propose", signedGov(edit(t, rot.Envelope.Payload, func(m map[string]any) {
			m["propose"] = map[string]any{"action": "set-threshold", "threshold": 1, "expires": "2026-01-03T00:00:00Z"}
		}), A), protocol.Invalid, []string{"propose and rotate together", "exactly one of propose, vote and rotate"}},
		{"rotate and vote", signedGov(edit(t, rot.Envelope.Payload, func(m map[string]any) {
			m["vote"] = map[string]any{"proposal": prop.ID.String(), "yes": true}
		}), A), protocol.Invalid, []string{"vote and rotate together"}},
		{"rotation of another key", withRotate(envObject(rotation("B", "C", hour(1)))), protocol.Invalid,
			[]string{"rotate: the rotation retires " + govKey("B").DID().String() + ", not the update's author " + A.DID().String()}},
		{"rotation signed by the old key only", withRotate(envObject(oneKey)), protocol.Invalid,
			[]string{"rotate:", "new key " + govKey("C").DID().String() + " did not sign it"}},
		{"rotation with a bad signature", withRotate(envObject(badSig)), protocol.Invalid, []string{"rotate:", "does not verify"}},
		{"a dataset, not a rotation", withRotate(envObject(vectorByName(t, "dataset"))), protocol.Invalid,
			[]string{"rotate: a statement of kind dataset, want a rotation"}},
		{"an update, not a statement", withRotate(envObject(update)), protocol.Invalid, []string{"rotate:", "payloadType", protocol.PayloadTypeInToto}},
		{"the envelope in base64", withRotate(base64.StdEncoding.EncodeToString(rotation("A", "C", hour(1)).Encode())), protocol.Invalid, []string{"rotate:", "malformed JSON"}},
		{"an envelope with an unknown member", withRotate(func() any {
			m := envObject(rotation("A", "C", hour(1))).(map[string]any)
			m["note"] = "x"
			return m
		}()), protocol.Invalid, []string{"rotate:", `unknown field "note"`}},
		{"an envelope without signatures", withRotate(func() any {
			m := envObject(rotation("A", "C", hour(1))).(map[string]any)
			m["signatures"] = []any{}
			return m
		}()), protocol.Invalid, []string{"rotate:", "no signatures"}},
		{"oversized", signedGov(padded, A), protocol.TooLarge, []string{"over the limit of 65536"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			u, err := gov.DecodeUpdate(tc.raw)
			if err == nil {
				t.Fatalf("accepted %s", u.Envelope.Payload)
			}
			wantErr(t, err, tc.kind, tc.words...)
		})
	}
	for _, tc := range []struct {
		name  string
		env   *protocol.Envelope
		words []string
	}{
		{"no rotation", nil, []string{"rotate: no rotation"}},
		{"rotation of another key", rotation("B", "C", hour(1)), []string{"retires " + govKey("B").DID().String()}},
		{"rotation signed by the old key only", oneKey, []string{"did not sign it"}},
		{"a dataset", vectorByName(t, "dataset"), []string{"want a rotation"}},
	} {
		t.Run("new "+tc.name, func(t *testing.T) {
			_, err := gov.NewRotation(n.net, A, n.genesis(), hour(1), tc.env)
			wantErr(t, err, protocol.Invalid, tc.words...)
		})
	}
}

// TestGovRotateWire: the rotate member is the envelope's JSON object, not
// a string, and a rotate of null is absent.
func TestGovRotateWire(t *testing.T) {
	_, samples := govSamples(t)
	u := samples["rotate"]
	if !bytes.Contains(u.Envelope.Payload, append([]byte(`"rotate":`), u.Rotate.Envelope.Encode()...)) {
		t.Errorf("payload %s does not hold the rotation's envelope as an object", u.Envelope.Payload)
	}
	if u.Rotate.Kind != protocol.KindRotation || u.Rotate.Rotation.From != u.Author || u.Rotate.Rotation.To != govKey("C").DID() {
		t.Errorf("rotate %+v", u.Rotate.Rotation)
	}
	prop := samples["add-steward"]
	withNull := bytes.Replace(prop.Envelope.Payload, []byte(`"propose":`), []byte(`"rotate":null,"propose":`), 1)
	got, err := gov.DecodeUpdate(signedGov(withNull, govKey("A")))
	if err != nil || got.Rotate != nil || got.Propose == nil {
		t.Errorf("rotate null: %v, %+v", err, got)
	}
}

func sortedPair(a, b protocol.ID) (string, string) {
	x, y := a.String(), b.String()
	if x > y {
		x, y = y, x
	}
	return x, y
}

func sortStrings(s []string) { slices.Sort(s) }
