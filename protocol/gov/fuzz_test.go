package gov_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/protocol/gov"
)

// govFuzzSeeds are valid updates of each kind and near misses of them.
func govFuzzSeeds(f *testing.F) [][]byte {
	_, samples := govSamples(f)
	var payloads [][]byte
	for _, u := range samples {
		payloads = append(payloads, u.Envelope.Payload)
	}
	p := samples["revoke-key"].Envelope.Payload
	for _, miss := range [][2]string{
		{`"time":"2026-01-02T00:00:00Z"`, `"time":"2026-01-02T00:00:00.000Z"`},
		{`"time":"2026-01-02T00:00:00Z"`, `"time":"2026-01-02T00:00:00Z","time":"2026-01-02T00:00:00Z"`},
		{`"action":"revoke-key"`, `"Action":"revoke-key"`},
		{`"reason":"key leaked"`, `"reason":" "`},
		{`"reason":"key leaked"`, `"reason":"key leaked","threshold":2`},
		{`"propose":{`, `"vote":null,"propose":{`},
	} {
		payloads = append(payloads, bytes.Replace(p, []byte(miss[0]), []byte(miss[1]), 1))
	}
	r := samples["rotate"].Envelope.Payload
	env := samples["rotate"].Rotate.Envelope.Encode()
	for _, miss := range [][2]string{
		{`"rotate":{`, `"rotate":{"payloadType":"x",`},
		{`"rotate":{`, `"rotate": { `},
		{`"rotate":`, `"vote":null,"rotate":`},
		{`"rotate":`, `"propose":{"action":"set-threshold","threshold":1,"expires":"2026-01-03T00:00:00Z"},"rotate":`},
		{string(env), `"` + base64.StdEncoding.EncodeToString(env) + `"`},
		{string(env), `null`},
		{`"signatures":[{`, `"signatures":[{"keyid":"did:key:z6MkehRgf7yJbgaGfYsdoAsKdBPE3dj2CYhowQdcjqSJgvVd","sig":"AA=="},{`},
	} {
		payloads = append(payloads, bytes.Replace(r, []byte(miss[0]), []byte(miss[1]), 1))
	}
	return payloads
}

// FuzzDecodeGovUpdate: no input panics the decoder; what it refuses is
// Invalid or TooLarge; what it accepts is signed by its author, has the ID
// of its payload, and encodes to bytes that decode to the same update.
func FuzzDecodeGovUpdate(f *testing.F) {
	for _, p := range govFuzzSeeds(f) {
		f.Add(signedGov(p, govKey("A")))
		f.Add(signedGov(p, govKey("B")))
	}
	f.Add(signedGov([]byte(`{}`), govKey("A")))
	f.Add([]byte(`{"payloadType":"application/vnd.commons.governance+json","payload":"e30=","signatures":[]}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		u, err := gov.DecodeUpdate(raw)
		if err != nil {
			if k := protocol.KindOf(err); k != protocol.Invalid && k != protocol.TooLarge {
				t.Fatalf("error of kind %s: %v", k, err)
			}
			return
		}
		if len(u.Envelope.Signatures) != 1 || u.Envelope.Signatures[0].KeyID != u.Author || u.ID != protocol.ObjectID(u.Envelope.Payload) {
			t.Fatalf("accepted %s: signers %v, author %s, id %s", u.Envelope.Payload, u.Envelope.Signers(), u.Author, u.ID)
		}
		again, err := gov.DecodeUpdate(u.Encode())
		if err != nil || !reflect.DeepEqual(again, u) {
			t.Fatalf("round trip: %v\n%+v\n%+v", err, u, again)
		}
	})
}

// FuzzGovUpdatePayload fuzzes the payload, which the target signs with key
// A, so that mutations reach the payload rules rather than die at the
// signature. What is accepted must read the same to a plain JSON reader,
// be made again alike by NewGovUpdate from its fields, and fold without
// trouble on a commons of A.
func FuzzGovUpdatePayload(f *testing.F) {
	for _, p := range govFuzzSeeds(f) {
		f.Add(p)
	}
	n := newGovNet(f, "AB", 1, nil)
	f.Fuzz(func(t *testing.T, payload []byte) {
		u, err := gov.DecodeUpdate(signedGov(payload, govKey("A")))
		if err != nil {
			if k := protocol.KindOf(err); k != protocol.Invalid && k != protocol.TooLarge {
				t.Fatalf("error of kind %s: %v", k, err)
			}
			return
		}
		var plain struct {
			Network string   `json:"network"`
			Author  string   `json:"author"`
			Parents []string `json:"parents"`
			Time    string   `json:"time"`
		}
		if err := json.Unmarshal(payload, &plain); err != nil {
			t.Fatalf("accepted payload is not JSON to a plain reader: %v", err)
		}
		if plain.Network != u.Network.String() || plain.Author != u.Author.String() || plain.Time != u.Time.Format("2006-01-02T15:04:05Z") || len(plain.Parents) != len(u.Parents) {
			t.Fatalf("plain reader sees %+v, decoder %s %s %s %v", plain, u.Network, u.Author, u.Time, u.Parents)
		}
		var made *gov.Update
		if u.Rotate != nil {
			made, err = gov.NewRotation(u.Network, govKey("A"), u.Parents, u.Time, u.Rotate.Envelope)
		} else {
			made, err = gov.NewUpdate(u.Network, govKey("A"), u.Parents, u.Time, u.Propose, u.Vote)
		}
		if err != nil {
			t.Fatalf("NewGovUpdate refuses what DecodeGovUpdate accepted: %v\n%s", err, payload)
		}
		if !reflect.DeepEqual(made.Propose, u.Propose) || !reflect.DeepEqual(made.Vote, u.Vote) || !reflect.DeepEqual(made.Rotate, u.Rotate) || !reflect.DeepEqual(made.Parents, u.Parents) {
			t.Fatalf("made again differently:\n%s\n%s", payload, made.Envelope.Payload)
		}
		s := gov.Fold(n.g, u.Network, []*gov.Update{u, made})
		s.Hash()
		if _, err := json.Marshal(s); err != nil {
			t.Fatal(err)
		}
	})
}
