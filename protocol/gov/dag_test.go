package gov_test

import (
	"encoding/json"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/protocol/gov"
)

// TestGovHeldUntilParentsArrive: an update whose parent is unknown is held
// and its parent reported missing; when the parent comes, both are placed,
// in fold order, with their descendants.
func TestGovHeldUntilParentsArrive(t *testing.T) {
	n := newGovNet(t, "AB", 2, nil)
	p := n.propose(t, "A", n.genesis(), hour(0), gov.Proposal{Action: gov.ActAddSteward, DID: govKey("C").DID()})
	v := n.vote(t, "B", ids(p), hour(1), p.ID, true)
	w := n.propose(t, "B", ids(v), hour(2), gov.Proposal{Action: gov.ActSetThreshold, Threshold: 3})
	dag := gov.New(n.g, n.net)

	res, err := dag.Add(w)
	if err != nil || !res.New || len(res.Placed) != 0 || !slices.Equal(res.Missing, ids(v)) {
		t.Fatalf("add w = %+v, %v; want held, missing v", res, err)
	}
	res, _ = dag.Add(v)
	if len(res.Placed) != 0 || !slices.Equal(res.Missing, ids(p)) {
		t.Fatalf("add v = %+v; want held, missing p (v's parent; w waits on v)", res)
	}
	if !dag.Has(w.ID) || !dag.Has(v.ID) || dag.Has(p.ID) {
		t.Errorf("Has: w %v v %v p %v", dag.Has(w.ID), dag.Has(v.ID), dag.Has(p.ID))
	}
	if got, ok := dag.Update(w.ID); !ok || got != w {
		t.Errorf("Update(w) of a held update = %v, %v", got, ok)
	}
	if got := dag.Missing(); !slices.Equal(got, ids(p)) {
		t.Errorf("Missing = %v, want p", got)
	}
	if !slices.Equal(dag.Heads(), n.genesis()) || dag.State().Updates() != 0 {
		t.Errorf("heads %v, updates %d before anything is placed", dag.Heads(), dag.State().Updates())
	}

	res, _ = dag.Add(p)
	if !slices.Equal(res.Placed, ids(p, v, w)) || len(res.Missing) != 0 {
		t.Fatalf("add p = %+v; want p, v, w placed", res)
	}
	s := dag.State()
	if pw, _ := s.Proposal(w.ID); !s.IsSteward(govKey("C").DID()) || pw.Status != gov.ProposalOpen || s.Updates() != 3 {
		t.Errorf("stewards %v, w %s, updates %d; want C a steward, w open (one vote of 2)", s.Stewards(), pw.Status, s.Updates())
	}
	if !slices.Equal(s.Heads(), ids(w)) || len(dag.Held()) != 0 || len(dag.Missing()) != 0 {
		t.Errorf("heads %v held %d missing %v", s.Heads(), len(dag.Held()), dag.Missing())
	}
	if want := gov.Fold(n.g, n.net, []*gov.Update{w, p, v}).Hash(); s.Hash() != want {
		t.Errorf("hash %s, Fold says %s", s.Hash(), want)
	}
}

// TestGovReplay: updates already placed or held change nothing.
func TestGovReplay(t *testing.T) {
	n := newGovNet(t, "AB", 2, nil)
	p := n.propose(t, "A", n.genesis(), hour(0), gov.Proposal{Action: gov.ActAddSteward, DID: govKey("C").DID()})
	v := n.vote(t, "B", ids(p), hour(1), p.ID, true)
	orphan := n.vote(t, "B", ids(n.propose(t, "A", n.genesis(), hour(3), gov.Proposal{Action: gov.ActSetThreshold, Threshold: 1})), hour(4), p.ID, true)
	dag := gov.New(n.g, n.net)
	addAll(t, dag, p, v, orphan)
	before, log := dag.State(), dag.Log()
	for _, u := range []*gov.Update{p, v, orphan, p} {
		again, err := gov.DecodeUpdate(u.Encode()) // a peer sends it again
		if err != nil {
			t.Fatal(err)
		}
		res, err := dag.Add(again)
		if err != nil || res.New || len(res.Placed) != 0 {
			t.Errorf("replay of %s = %+v, %v", u.ID, res, err)
		}
	}
	if dag.State() != before || dag.State().Hash() != before.Hash() || len(dag.Log()) != len(log) {
		t.Errorf("a replay changed the state")
	}
	res, err := dag.AddAll([]*gov.Update{v, v, p})
	if err != nil || res.New {
		t.Errorf("AddAll of known updates = %+v, %v", res, err)
	}
}

// TestGovForeignNetwork: an update of another commons is refused, and
// AddAll with one among others adds none.
func TestGovForeignNetwork(t *testing.T) {
	n := newGovNet(t, "AB", 2, nil)
	other := newGovNet(t, "AB", 1, nil)
	mine := n.propose(t, "A", n.genesis(), hour(0), gov.Proposal{Action: gov.ActSetThreshold, Threshold: 1})
	theirs := other.propose(t, "A", other.genesis(), hour(0), gov.Proposal{Action: gov.ActSetThreshold, Threshold: 2})
	dag := gov.New(n.g, n.net)
	_, err := dag.Add(theirs)
	wantErr(t, err, protocol.Invalid, other.net.String(), n.net.String())
	_, err = dag.AddAll([]*gov.Update{mine, theirs})
	wantErr(t, err, protocol.Invalid, "not "+n.net.String())
	if dag.Has(mine.ID) || dag.Placed() != 0 {
		t.Errorf("AddAll added some of a batch it refused")
	}
	if s := gov.Fold(n.g, n.net, []*gov.Update{mine, theirs}); s.Updates() != 1 {
		t.Errorf("Fold applied %d updates, want mine alone", s.Updates())
	}
}

// TestGovNonStewardOldParents: an update by someone who was never a
// steward, naming the genesis as parent, lands at the start of the order;
// it is logged as ignored and changes nothing, and neither do later
// updates by stewards lose their place.
func TestGovNonStewardOldParents(t *testing.T) {
	n := newGovNet(t, "AB", 1, nil)
	dag := gov.New(n.g, n.net)
	var last []protocol.ID = n.genesis()
	for i := range 40 {
		u := n.propose(t, "AB"[i%2:i%2+1], last, hour(i), gov.Proposal{Action: gov.ActSetParam, Name: "p", Value: time.Duration(i).String()})
		addAll(t, dag, u)
		last = ids(u)
	}
	before := dag.State().Hash()
	intruder := n.propose(t, "E", n.genesis(), hour(50), gov.Proposal{Action: gov.ActAddSteward, DID: govKey("E").DID()})
	addAll(t, dag, intruder)
	if got := dag.State().Hash(); got != before {
		t.Errorf("a non-steward's update changed the hash")
	}
	log := dag.Log()
	i := slices.IndexFunc(log, func(e gov.LogEntry) bool { return e.Update.ID == intruder.ID })
	if i < 0 || i > 1 || log[i].Ignored != gov.IgnoredNotSteward || log[i].Depth != 1 {
		t.Errorf("intruder at %d of the log: %+v", i, log[max(i, 0)])
	}
	if dag.EverSteward(govKey("E").DID()) {
		t.Error("E is an ever-steward")
	}
	// The state after the intruder is the state a fold from scratch gives.
	next := n.propose(t, "A", dag.Heads(), hour(60), gov.Proposal{Action: gov.ActSetParam, Name: "p", Value: "last"})
	addAll(t, dag, next)
	all := []*gov.Update{intruder, next}
	for _, e := range log {
		all = append(all, e.Update)
	}
	if got, want := dag.State().Hash(), gov.Fold(n.g, n.net, all).Hash(); got != want {
		t.Errorf("hash %s, Fold says %s", got, want)
	}
}

// TestGovHeldBound: past the bound, the updates held longest are dropped
// and reported; a dropped update is unknown again.
func TestGovHeldBound(t *testing.T) {
	defer gov.SetHeldMax(3)()
	n := newGovNet(t, "A", 1, nil)
	missing := n.propose(t, "A", n.genesis(), hour(0), gov.Proposal{Action: gov.ActSetThreshold, Threshold: 1})
	dag := gov.New(n.g, n.net)
	var held []*gov.Update
	for i := range 5 {
		u := n.vote(t, "A", ids(missing), hour(1+i), missing.ID, true)
		held = append(held, u)
		res, err := dag.Add(u)
		if err != nil {
			t.Fatal(err)
		}
		if want := max(0, i-2); len(res.Dropped) != min(1, want) || (want > 0 && res.Dropped[0] != held[want-1].ID) {
			t.Errorf("add %d: dropped %v", i, res.Dropped)
		}
	}
	if len(dag.Held()) != 3 || dag.Has(held[0].ID) || dag.Has(held[1].ID) || !dag.Has(held[4].ID) {
		t.Errorf("held %d; has the oldest: %v", len(dag.Held()), dag.Has(held[0].ID))
	}
	res, _ := dag.Add(missing)
	if len(res.Placed) != 4 {
		t.Errorf("placed %v, want the missing parent and the three held", res.Placed)
	}
}

// TestGovParentsBounded: more heads than an update may name.
func TestGovParentsBounded(t *testing.T) {
	n := newGovNet(t, "A", 1, nil)
	dag := gov.New(n.g, n.net)
	for i := range gov.MaxParents + 6 {
		addAll(t, dag, n.vote(t, "A", n.genesis(), hour(i), protocol.ObjectID([]byte{byte(i)}), true))
	}
	heads, parents := dag.Heads(), dag.Parents()
	if len(heads) != gov.MaxParents+6 || len(parents) != gov.MaxParents {
		t.Fatalf("%d heads, %d parents", len(heads), len(parents))
	}
	if _, err := gov.NewUpdate(n.net, govKey("A"), parents, hour(100), &gov.Proposal{Action: gov.ActSetParam, Name: "x", Value: "y"}, nil); err != nil {
		t.Fatalf("Parents are not valid parents: %v", err)
	}
}

// TestGovStatePolicy: the state answers attribution's questions, and
// `gov state --json` has the members the API promises.
func TestGovStatePolicy(t *testing.T) {
	n := newGovNet(t, "AB", 1, map[string]string{"max-claims": "100", "blank": ""})
	ds := protocol.MustParseID(vectorDatasetID)
	r := n.propose(t, "A", n.genesis(), hour(0), gov.Proposal{Action: gov.ActRevokeKey, DID: govKey("B").DID(), Effective: day(1), Reason: "lost laptop"})
	d := n.propose(t, "A", ids(r), hour(1), gov.Proposal{Action: gov.ActDatasetStatus, Dataset: ds, Status: gov.StatusFlagged, Reason: "disputed licence"})
	p := n.propose(t, "A", ids(d), hour(2), gov.Proposal{Action: gov.ActSetParam, Name: "max-claims", Value: "7"})
	dag := gov.New(n.g, n.net)
	addAll(t, dag, r, d, p)
	s := dag.State()
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
	if st, reason, ok := s.Dataset(ds); !ok || st != gov.StatusFlagged || reason != "disputed licence" {
		t.Errorf("Dataset = %v %q %v", st, reason, ok)
	}
	if v, ok := s.Param("max-claims"); !ok || v != "7" {
		t.Errorf("max-claims = %q", v)
	}
	if _, ok := s.Param("blank"); ok {
		t.Error("a genesis param with an empty value is a param")
	}
	if pr, ok := s.Proposal(d.ID); !ok || pr.Status != gov.ProposalPassed || pr.ClosedBy != d.ID {
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
	dag := gov.New(gen.n.g, gen.n.net)
	snaps := make(chan *gov.State, len(us))
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
		addAll(t, dag, us[i])
		snaps <- dag.State()
	}
	close(snaps)
	wg.Wait()
}
