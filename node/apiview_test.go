package node

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/commons-p2p/commons/node/api"
	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/protocol/gov"
	"github.com/commons-p2p/commons/store"
)

// TestAttributionViewEmptyNotNull: what the store answers of a subject it
// knows nothing of is written with empty lists, not null, and no publisher.
func TestAttributionViewEmptyNotNull(t *testing.T) {
	s, err := store.Open(store.Options{InMemory: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	a, err := s.Attribution(protocol.ObjectID([]byte("elsewhere")), protocol.Stewards{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(apiAttribution(a, func(protocol.ID) *api.Standing { return nil }))
	if err != nil {
		t.Fatal(err)
	}
	j := string(b)
	for _, field := range []string{`"contributors":[]`, `"endorsements":[]`, `"lineage":[]`} {
		if !strings.Contains(j, field) {
			t.Errorf("JSON %s lacks %s", j, field)
		}
	}
	if strings.Contains(j, "publisher") || strings.Contains(j, "standing") {
		t.Errorf("JSON %s has a publisher or a standing for an unknown subject", j)
	}
}

// TestAPIGovMatchesProtocol: the API's governance state and log write
// what protocol's JSON forms write, byte for byte, for a history with
// every action, votes, an ignored update, a void proposal and a rotation;
// and the API's types read that JSON back, knowing every member.
func TestAPIGovMatchesProtocol(t *testing.T) {
	keys := make([]*protocol.Key, 4)
	for i := range keys {
		k, err := protocol.KeyFromSeed(bytes.Repeat([]byte{byte(i + 1)}, 32))
		if err != nil {
			t.Fatal(err)
		}
		keys[i] = k
	}
	steward, second, outsider, heir := keys[0], keys[1], keys[2], keys[3]
	start := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	network := protocol.NetworkIDOf([]byte("a test genesis"))
	dag := gov.New(&protocol.Genesis{Name: "test", Stewards: []protocol.DID{steward.DID()}, Threshold: 1, Params: map[string]string{"review-days": "7"}, Created: start}, network)
	dataset := protocol.ObjectID([]byte(`{"dataset":1}`))
	step := 0
	at := func() time.Time { step++; return start.Add(time.Duration(step) * time.Minute) }
	place := func(u *gov.Update, err error) protocol.ID {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := dag.Add(u); err != nil {
			t.Fatal(err)
		}
		return u.ID
	}
	add := func(k *protocol.Key, p *gov.Proposal, v *gov.Vote) protocol.ID {
		t.Helper()
		now := at()
		if p != nil {
			p.Expires = now.Add(time.Hour)
		}
		return place(gov.NewUpdate(network, k, dag.Parents(), now, p, v))
	}
	add(steward, &gov.Proposal{Action: gov.ActAddSteward, DID: second.DID()}, nil)
	add(steward, &gov.Proposal{Action: gov.ActSetThreshold, Threshold: 2}, nil)
	delist := add(steward, &gov.Proposal{Action: gov.ActDatasetStatus, Dataset: dataset, Status: gov.StatusDelisted, Reason: "license withdrawn"}, nil)
	add(second, nil, &gov.Vote{Proposal: delist, Yes: true})
	revoke := add(steward, &gov.Proposal{Action: gov.ActRevokeKey, DID: outsider.DID(), Effective: start, Reason: "laptop stolen"}, nil)
	add(second, nil, &gov.Vote{Proposal: revoke, Yes: true})
	add(second, &gov.Proposal{Action: gov.ActSetParam, Name: "review-days", Value: ""}, nil)
	add(steward, &gov.Proposal{Action: gov.ActRemoveSteward, DID: outsider.DID()}, nil)
	add(outsider, &gov.Proposal{Action: gov.ActAddSteward, DID: outsider.DID()}, nil)
	now := at()
	rot, err := protocol.NewEnvelope(protocol.KindRotation, protocol.KeySubject(steward.DID()),
		protocol.Rotation{From: steward.DID(), To: heir.DID(), Created: now})
	if err != nil {
		t.Fatal(err)
	}
	steward.Sign(rot)
	heir.Sign(rot)
	place(gov.NewRotation(network, steward, dag.Parents(), now, rot))

	s := dag.State()
	if len(s.Rotations()) == 0 || len(s.Revoked()) == 0 || len(s.Datasets()) == 0 {
		t.Fatalf("the history lacks a rotation, a revoked key or a dataset status: %+v", s)
	}
	sameJSON(t, "state", s, apiGovState(s), new(api.GovState))
	sameJSON(t, "log", dag.Log(), apiGovLog(dag.Log()), new([]api.GovLogEntry))
}

// sameJSON checks that view encodes as want does, and that the JSON of
// want decodes into back, refusing unknown members, and encodes again the
// same.
func sameJSON(t *testing.T, what string, want, view, back any) {
	t.Helper()
	w, err := json.Marshal(want)
	if err != nil {
		t.Fatal(err)
	}
	v, err := json.Marshal(view)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(v, w) {
		t.Errorf("%s: the API writes\n%s\nprotocol writes\n%s", what, v, w)
	}
	dec := json.NewDecoder(bytes.NewReader(w))
	dec.DisallowUnknownFields()
	if err := dec.Decode(back); err != nil {
		t.Fatalf("%s: the API's type cannot read protocol's JSON: %v", what, err)
	}
	again, err := json.Marshal(back)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(again, w) {
		t.Errorf("%s: read back and written again\n%s\nwant\n%s", what, again, w)
	}
}
