package protocol_test

import (
	"encoding/json"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/commons-p2p/commons/protocol"
)

// TestGovHeldUntilParentsArrive: an update whose parent is unknown is held
// and its parent reported missing; when the parent comes, both are placed,
// in fold order, with their descendants.
func TestGovHeldUntilParentsArrive(t *testing.T) {
	n := newGovNet(t, "AB", 2, nil)
	p := n.propose(t, "A", n.genesis(), hour(0), protocol.GovProposal{Action: protocol.ActAddSteward, DID: govKey("C").DID()})
	v := n.vote(t, "B", ids(p), hour(1), p.ID, true)
	w := n.propose(t, "B", ids(v), hour(2), protocol.GovProposal{Action: protocol.ActSetThreshold, Threshold: 3})
	gov := protocol.NewGovernance(n.g, n.net)

	res, err := gov.Add(w)
	if err != nil || !res.New || len(res.Placed) != 0 || !slices.Equal(res.Missing, ids(v)) {
		t.Fatalf("add w = %+v, %v; want held, missing v", res, err)
	}
	res, _ = gov.Add(v)
	if len(res.Placed) != 0 || !slices.Equal(res.Missing, ids(p)) {
		t.Fatalf("add v = %+v; want held, missing p (v's parent; w waits on v)", res)
	}
	if !gov.Has(w.ID) || !gov.Has(v.ID) || gov.Has(p.ID) {
		t.Errorf("Has: w %v v %v p %v", gov.Has(w.ID), gov.Has(v.ID), gov.Has(p.ID))
	}
	if got, ok := gov.Update(w.ID); !ok || got != w {
		t.Errorf("Update(w) of a held update = %v, %v", got, ok)
	}
	if got := gov.Missing(); !slices.Equal(got, ids(p)) {
		t.Errorf("Missing = %v, want p", got)
	}
	if !slices.Equal(gov.Heads(), n.genesis()) || gov.State().Updates() != 0 {
		t.Errorf("heads %v, updates %d before anything is placed", gov.Heads(), gov.State().Updates())
	}

	res, _ = gov.Add(p)
	if !slices.Equal(res.Placed, ids(p, v, w)) || len(res.Missing) != 0 {
		t.Fatalf("add p = %+v; want p, v, w placed", res)
	}
	s := gov.State()
	if pw, _ := s.Proposal(w.ID); !s.IsSteward(govKey("C").DID()) || pw.Status != protocol.ProposalOpen || s.Updates() != 3 {
		t.Errorf("stewards %v, w %s, updates %d; want C a steward, w open (one vote of 2)", s.Stewards(), pw.Status, s.Updates())
	}
	if !slices.Equal(s.Heads(), ids(w)) || len(gov.Held()) != 0 || len(gov.Missing()) != 0 {
		t.Errorf("heads %v held %d missing %v", s.Heads(), len(gov.Held()), gov.Missing())
	}
	if want := protocol.Fold(n.g, n.net, []*protocol.GovUpdate{w, p, v}).Hash(); s.Hash() != want {
		t.Errorf("hash %s, Fold says %s", s.Hash(), want)
	}
}

// TestGovReplay: updates already placed or held change nothing.
func TestGovReplay(t *testing.T) {
	n := newGovNet(t, "AB", 2, nil)
	p := n.propose(t, "A", n.genesis(), hour(0), protocol.GovProposal{Action: protocol.ActAddSteward, DID: govKey("C").DID()})
	v := n.vote(t, "B", ids(p), hour(1), p.ID, true)
	orphan := n.vote(t, "B", ids(n.propose(t, "A", n.genesis(), hour(3), protocol.GovProposal{Action: protocol.ActSetThreshold, Threshold: 1})), hour(4), p.ID, true)
	gov := protocol.NewGovernance(n.g, n.net)
	addAll(t, gov, p, v, orphan)
	before, log := gov.State(), gov.Log()
	for _, u := range []*protocol.GovUpdate{p, v, orphan, p} {
		again, err := protocol.DecodeGovUpdate(u.Encode()) // a peer sends it again
		if err != nil {
			t.Fatal(err)
		}
		res, err := gov.Add(again)
		if err != nil || res.New || len(res.Placed) != 0 {
			t.Errorf("replay of %s = %+v, %v", u.ID, res, err)
		}
	}
	if gov.State() != before || gov.State().Hash() != before.Hash() || len(gov.Log()) != len(log) {
		t.Errorf("a replay changed the state")
	}
	res, err := gov.AddAll([]*protocol.GovUpdate{v, v, p})
	if err != nil || res.New {
		t.Errorf("AddAll of known updates = %+v, %v", res, err)
	}
}

// TestGovForeignNetwork: an update of another commons is refused, and
// AddAll with one among others adds none.
func TestGovForeignNetwork(t *testing.T) {
	n := newGovNet(t, "AB", 2, nil)
	other := newGovNet(t, "AB", 1, nil)
	mine := n.propose(t, "A", n.genesis(), hour(0), protocol.GovProposal{Action: protocol.ActSetThreshold, Threshold: 1})
	theirs := other.propose(t, "A", other.genesis(), hour(0), protocol.GovProposal{Action: protocol.ActSetThreshold, Threshold: 2})
	gov := protocol.NewGovernance(n.g, n.net)
	_, err := gov.Add(theirs)
	wantErr(t, err, protocol.Invalid, other.net.String(), n.net.String())
	_, err = gov.AddAll([]*protocol.GovUpdate{mine, theirs})
	wantErr(t, err, protocol.Invalid, "not "+n.net.String())
	if gov.Has(mine.ID) || gov.Placed() != 0 {
		t.Errorf("AddAll added some of a batch it refused")
	}
	if s := protocol.Fold(n.g, n.net, []*protocol.GovUpdate{mine, theirs}); s.Updates() != 1 {
		t.Errorf("Fold applied %d updates, want mine alone", s.Updates())
	}
}

// TestGovNonStewardOldParents: an update by someone who was never a
// steward, naming the genesis as parent, lands at the start of the order;
// it is logged as ignored and changes nothing, and neither do later
// updates by stewards lose their place.
func TestGovNonStewardOldParents(t *testing.T) {
	n := newGovNet(t, "AB", 1, nil)
	gov := protocol.NewGovernance(n.g, n.net)
	var last []protocol.ID = n.genesis()
	for i := range 40 {
		u := n.propose(t, "AB"[i%2:i%2+1], last, hour(i), protocol.GovProposal{Action: protocol.ActSetParam, Name: "p", Value: time.Duration(i).String()})
		addAll(t, gov, u)
		last = ids(u)
	}
	before := gov.State().Hash()
	intruder := n.propose(t, "E", n.genesis(), hour(50), protocol.GovProposal{Action: protocol.ActAddSteward, DID: govKey("E").DID()})
	addAll(t, gov, intruder)
	if got := gov.State().Hash(); got != before {
		t.Errorf("a non-steward's update changed the hash")
	}
	log := gov.Log()
	i := slices.IndexFunc(log, func(e protocol.GovLogEntry) bool { return e.Update.ID == intruder.ID })
	if i < 0 || i > 1 || log[i].Ignored != protocol.IgnoredNotSteward || log[i].Depth != 1 {
		t.Errorf("intruder at %d of the log: %+v", i, log[max(i, 0)])
	}
	if gov.EverSteward(govKey("E").DID()) {
		t.Error("E is an ever-steward")
	}
	// The state after the intruder is the state a fold from scratch gives.
	next := n.propose(t, "A", gov.Heads(), hour(60), protocol.GovProposal{Action: protocol.ActSetParam, Name: "p", Value: "last"})
	addAll(t, gov, next)
	all := []*protocol.GovUpdate{intruder, next}
	for _, e := range log {
		all = append(all, e.Update)
	}
	if got, want := gov.State().Hash(), protocol.Fold(n.g, n.net, all).Hash(); got != want {
		t.Errorf("hash %s, Fold says %s", got, want)
	}
}

// TestGovHeldBound: past the bound, the updates held longest are dropped
// and reported; a dropped update is unknown again.
func TestGovHeldBound(t *testing.T) {
	defer protocol.SetGovHeldMax(3)()
	n := newGovNet(t, "A", 1, nil)
	missing := n.propose(t, "A", n.genesis(), hour(0), protocol.GovProposal{Action: protocol.ActSetThreshold, Threshold: 1})
	gov := protocol.NewGovernance(n.g, n.net)
	var held []*protocol.GovUpdate
	for i := range 5 {
		u := n.vote(t, "A", ids(missing), hour(1+i), missing.ID, true)
		held = append(held, u)
		res, err := gov.Add(u)
		if err != nil {
			t.Fatal(err)
		}
		if want := max(0, i-2); len(res.Dropped) != min(1, want) || (want > 0 && res.Dropped[0] != held[want-1].ID) {
			t.Errorf("add %d: dropped %v", i, res.Dropped)
		}
	}
	if len(gov.Held()) != 3 || gov.Has(held[0].ID) || gov.Has(held[1].ID) || !gov.Has(held[4].ID) {
		t.Errorf("held %d; has the oldest: %v", len(gov.Held()), gov.Has(held[0].ID))
	}
	res, _ := gov.Add(missing)
	if len(res.Placed) != 4 {
		t.Errorf("placed %v, want the missing parent and the three held", res.Placed)
	}
}

// TestGovParentsBounded: more heads than an update may name.
func TestGovParentsBounded(t *testing.T) {
	n := newGovNet(t, "A", 1, nil)
	gov := protocol.NewGovernance(n.g, n.net)
	for i := range protocol.MaxGovParents + 6 {
		addAll(t, gov, n.vote(t, "A", n.genesis(), hour(i), protocol.ObjectID([]byte{byte(i)}), true))
	}
	heads, parents := gov.Heads(), gov.Parents()
	if len(heads) != protocol.MaxGovParents+6 || len(parents) != protocol.MaxGovParents {
		t.Fatalf("%d heads, %d parents", len(heads), len(parents))
	}
	if _, err := protocol.NewGovUpdate(n.net, govKey("A"), parents, hour(100), &protocol.GovProposal{Action: protocol.ActSetParam, Name: "x", Value: "y"}, nil); err != nil {
		t.Fatalf("Parents are not valid parents: %v", err)
	}
}

// TestGovStatePolicy: the state answers attribution's questions, and
// `gov state --json` has the members the API promises.
func TestGovStatePolicy(t *testing.T) {
	n := newGovNet(t, "AB", 1, map[string]string{"max-claims": "100", "blank": ""})
	ds := protocol.MustParseID(vectorDatasetID)
	r := n.propose(t, "A", n.genesis(), hour(0), protocol.GovProposal{Action: protocol.ActRevokeKey, DID: govKey("B").DID(), Effective: day(1), Reason: "lost laptop"})
	d := n.propose(t, "A", ids(r), hour(1), protocol.GovProposal{Action: protocol.ActDatasetStatus, Dataset: ds, Status: protocol.StatusFlagged, Reason: "disputed licence"})
	p := n.propose(t, "A", ids(d), hour(2), protocol.GovProposal{Action: protocol.ActSetParam, Name: "max-claims", Value: "7"})
	gov := protocol.NewGovernance(n.g, n.net)
	addAll(t, gov, r, d, p)
	s := gov.State()
	var policy protocol.Policy = s
	if policy.IsSteward(govKey("B").DID()) || !policy.IsSteward(govKey("A").DID()) {
		t.Errorf("stewards %v: B's key is revoked, so B is no steward", s.Stewards())
	}
	if at, ok := policy.KeyRevokedAt(govKey("B").DID()); !ok || !at.Equal(day(1)) {
		t.Errorf("KeyRevokedAt(B) = %v, %v", at, ok)
	}
	if _, ok := policy.KeyRevokedAt(govKey("A").DID()); ok {
		t.Error("A's key revoked")
	}
	if st, reason, ok := s.Dataset(ds); !ok || st != protocol.StatusFlagged || reason != "disputed licence" {
		t.Errorf("Dataset = %v %q %v", st, reason, ok)
	}
	if v, ok := s.Param("max-claims"); !ok || v != "7" {
		t.Errorf("max-claims = %q", v)
	}
	if _, ok := s.Param("blank"); ok {
		t.Error("a genesis param with an empty value is a param")
	}
	if pr, ok := s.Proposal(d.ID); !ok || pr.Status != protocol.ProposalPassed || pr.ClosedBy != d.ID {
		t.Errorf("Proposal(d) = %+v, %v", pr, ok)
	}
	certified := protocol.TrustOf(protocol.ClaimFacts{Issuer: govKey("C").DID(), Created: day(3), Signers: []protocol.DID{govKey("C").DID()}, Endorsers: []protocol.DID{govKey("A").DID()}}, s)
	revoked := protocol.TrustOf(protocol.ClaimFacts{Issuer: govKey("B").DID(), Created: day(3), Signers: []protocol.DID{govKey("B").DID()}}, s)
	if certified != protocol.Certified || revoked != protocol.Revoked {
		t.Errorf("trust %s and %s, want certified and revoked", certified, revoked)
	}

	raw, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	var js map[string]any
	if err := json.Unmarshal(raw, &js); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"network", "state_hash", "heads", "stewards", "threshold", "revoked", "datasets", "params", "proposals", "updates", "time"} {
		if _, ok := js[k]; !ok {
			t.Errorf("gov state JSON lacks %q: %s", k, raw)
		}
	}
	if js["state_hash"] != s.Hash() || js["network"] != n.net.String() {
		t.Errorf("state_hash %v network %v", js["state_hash"], js["network"])
	}
	prop := js["proposals"].([]any)[0].(map[string]any)
	for _, k := range []string{"id", "action", "status", "yes", "no", "proposer", "expires", "did", "effective", "reason"} {
		if _, ok := prop[k]; !ok {
			t.Errorf("proposal JSON lacks %q: %v", k, prop)
		}
	}
	if rv := js["revoked"].([]any)[0].(map[string]any); rv["did"] != govKey("B").DID().String() || rv["proposal"] != r.ID.String() {
		t.Errorf("revoked %v", rv)
	}
	if dj := js["datasets"].(map[string]any)[vectorDatasetID].(map[string]any); dj["status"] != "flagged" {
		t.Errorf("datasets %v", js["datasets"])
	}
}

// TestGovSnapshotsConcurrent reads snapshots while updates are added: run
// with -race.
func TestGovSnapshotsConcurrent(t *testing.T) {
	gen := newGovGen(t, 77)
	us := gen.set(80)
	gov := protocol.NewGovernance(gen.n.g, gen.n.net)
	snaps := make(chan *protocol.GovState, len(us))
	var wg sync.WaitGroup
	wg.Go(func() {
		for s := range snaps {
			s.Hash()
			s.Proposals()
			s.IsSteward(govKey("A").DID())
			json.Marshal(s)
		}
	})
	for _, i := range gen.r.Perm(len(us)) {
		addAll(t, gov, us[i])
		snaps <- gov.State()
	}
	close(snaps)
	wg.Wait()
}
