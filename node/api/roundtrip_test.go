package api

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/protocol/gov"
)

// TestTypesReadBack: every request and response type of the contract
// decodes what it encodes, to an equal value that encodes to the same
// bytes: trust levels and governance enums included.
func TestTypesReadBack(t *testing.T) {
	did := testDID(t)
	id := protocol.ObjectID([]byte(`{"x":1}`))
	other := protocol.ObjectID([]byte(`{"x":2}`))
	network := protocol.NetworkIDOf([]byte(`{"genesis":1}`))
	at := time.Date(2026, 11, 1, 12, 30, 0, 0, time.UTC)
	standing := &Standing{Status: gov.StatusFlagged, Reason: "unclear license", Proposal: other}
	var contributors []Contributor
	for tr := protocol.Asserted; tr <= protocol.Revoked; tr++ {
		contributors = append(contributors, Contributor{DID: did, Role: "author", Weight: 0.5, Trust: tr, Claim: id, Issuer: did, Signers: []protocol.DID{did}, Created: at, Note: "n"})
	}
	value, empty := "14", ""
	var proposals []GovProposal
	for _, s := range []gov.ProposalStatus{gov.ProposalOpen, gov.ProposalPassed, gov.ProposalRejected, gov.ProposalExpired, gov.ProposalVoid} {
		proposals = append(proposals, GovProposal{ID: id, Action: gov.ActAddSteward, Status: s, Proposer: did, Time: at, Expires: at.Add(time.Hour), DID: did, Yes: []protocol.DID{did}, No: []protocol.DID{}})
	}
	proposals = append(proposals,
		GovProposal{ID: id, Action: gov.ActRemoveSteward, Status: gov.ProposalVoid, Proposer: did, Time: at, Expires: at, DID: did, Yes: []protocol.DID{}, No: []protocol.DID{did}, ClosedBy: other, Void: "only-steward"},
		GovProposal{ID: id, Action: gov.ActSetThreshold, Status: gov.ProposalOpen, Proposer: did, Time: at, Expires: at, Threshold: 2, Yes: []protocol.DID{}, No: []protocol.DID{}},
		GovProposal{ID: id, Action: gov.ActRevokeKey, Status: gov.ProposalOpen, Proposer: did, Time: at, Expires: at, DID: did, Effective: at, Reason: "lost", Yes: []protocol.DID{}, No: []protocol.DID{}},
		GovProposal{ID: id, Action: gov.ActSetParam, Status: gov.ProposalOpen, Proposer: did, Time: at, Expires: at, Name: "review-days", Value: &value, Yes: []protocol.DID{}, No: []protocol.DID{}},
		GovProposal{ID: id, Action: gov.ActSetParam, Status: gov.ProposalOpen, Proposer: did, Time: at, Expires: at, Name: "motto", Value: &empty, Yes: []protocol.DID{}, No: []protocol.DID{}},
	)
	for _, d := range []gov.DatasetStatus{gov.StatusAccepted, gov.StatusFlagged, gov.StatusDelisted} {
		proposals = append(proposals, GovProposal{ID: id, Action: gov.ActDatasetStatus, Status: gov.ProposalPassed, Proposer: did, Time: at, Expires: at, Dataset: other, DatasetStatus: d, Reason: "r", Yes: []protocol.DID{did}, No: []protocol.DID{}})
	}
	summary := &BulkSummary{Lines: 3, Stored: 1, Merged: 1, Refused: 1, Error: "cut", Kind: "transient"}

	values := []any{
		IDInfo{DID: did, PeerID: "12D3", Network: network.String(), Addrs: []string{"/ip4/127.0.0.1/tcp/4780/p2p/12D3"}, Repo: "/r", Version: "v"},
		ConnectRequest{Addr: "/ip4/127.0.0.1/tcp/4780/p2p/12D3"},
		[]PeerInfo{{PeerID: "a", Addrs: []string{"/ip4/10.0.0.1/tcp/1"}, Score: -2.5, Credit: 1.5}},
		[]KeyInfo{{Name: "node", DID: did}, {Name: "old", DID: did, Retired: true}},
		NewKeyRequest{Name: "alice"},
		AddDatasetRequest{Name: "d", Description: "x", License: "MIT", Version: "1", Parents: []protocol.ID{id}, Files: []FileEntry{{Name: "a", SHA256: "ab", Size: 4}}, As: "alice", AllowUnknownParents: true},
		AddClaimRequest{Subject: id, Contributor: "bob", Role: "author", Weight: 0.5, Note: "n", As: "alice"},
		CosignRequest{As: "alice"},
		RevokeRequest{Reason: "wrong", As: "alice"},
		EndorseRequest{Subject: id, Standard: "s", Level: "gold", Note: "n", As: "alice"},
		DeriveRequest{Digest: protocol.SumDigest([]byte("f")), Name: "m", Size: 3, Inputs: []protocol.ID{id}, Activity: "trained-on", Note: "n", As: "alice", AllowUnknownInputs: true},
		Published{ID: id, Kind: "dataset", Signer: did, New: true, Files: 2, Bytes: 10, Signers: 1},
		PutResult{ID: id, Kind: "attribution", New: true, Added: 1, Signers: 1},
		BulkResult{Line: 3, PutResult: PutResult{Error: "line 3: invalid"}},
		BulkLine{BulkResult: BulkResult{Line: 1, PutResult: PutResult{ID: id, Kind: "dataset", New: true, Added: 1, Signers: 1}}},
		BulkLine{Summary: summary},
		*summary,
		DatasetView{ID: id, Name: "d", Description: "x", License: "MIT", Version: "1", Publisher: did, Created: at, Parents: []protocol.ID{other}, Children: []protocol.ID{}, Signers: []protocol.DID{did}, Files: []FileView{{Name: "a", SHA256: "ab", Size: -1}}, Bytes: 4, Standing: standing},
		[]DatasetSummary{{ID: id, Name: "d", License: "MIT", Publisher: did, Created: at, Files: 1, Bytes: 4}},
		LocateResult{SHA256: "ab", Datasets: []LocatedEntry{{ID: id, Name: "d", Path: "a/b"}}},
		ErrorBody{Error: "no object", Kind: "not found"},
		GovProposeRequest{Action: "revoke-key", DID: did.String(), Effective: "2026-11-01T00:00:00Z", Reason: "lost", Expires: "72h", As: "alice"},
		GovVoteRequest{Proposal: id, Vote: "yes", As: "alice"},
		GovPublished{ID: id, Kind: "proposal", Author: did, Proposal: id, Status: "open", StateHash: "abc"},
		Attribution{Subject: id, Kind: "dataset", Name: "d", Publisher: did, Contributors: contributors,
			Endorsements: []EndorsementView{{ID: other, Issuer: did, Standard: "s", Level: "gold", Steward: true, Withdrawn: true, Created: at}},
			Lineage:      []Ancestor{{ID: other, Name: "p", Kind: "dataset", Depth: 1, Via: id, Contributors: contributors, Standing: standing}},
			Standing:     standing},
		Attribution{Subject: id, Kind: "unknown", Contributors: []Contributor{}, Endorsements: []EndorsementView{}, Lineage: []Ancestor{}},
		GovState{Network: network, StateHash: "abc", Time: at, Updates: 9, Heads: []protocol.ID{id, other}, Stewards: []protocol.DID{did}, Threshold: 1,
			Revoked:   []GovRevoked{{DID: did, Effective: at, Reason: "lost", Proposal: id}},
			Rotated:   []GovRotated{{From: did, To: did, Update: other}},
			Datasets:  map[protocol.ID]GovStanding{other: {Status: gov.StatusDelisted, Reason: "r", Proposal: id}},
			Params:    map[string]string{"review-days": "7"},
			Proposals: proposals},
		[]GovLogEntry{
			{ID: id, Network: network.ID(), Author: did, Parents: []protocol.ID{network.ID()}, Time: at, Depth: 1, Result: "applied",
				Propose: &GovOp{Action: gov.ActDatasetStatus, Dataset: other, Status: gov.StatusAccepted, Reason: "r", Expires: at},
				Closed:  []GovClosure{{Proposal: id, Status: gov.ProposalPassed}, {Proposal: other, Status: gov.ProposalExpired}}},
			{ID: other, Network: network.ID(), Author: did, Parents: []protocol.ID{id}, Time: at, Depth: 2, Result: "ignored", Why: "not-steward",
				Vote: &GovVote{Proposal: id, Yes: true}},
			{ID: other, Network: network.ID(), Author: did, Parents: []protocol.ID{id}, Time: at, Depth: 3, Result: "applied",
				Propose: &GovOp{Action: gov.ActRevokeKey, DID: did, Effective: at, Reason: "lost", Expires: at}},
			{ID: other, Network: network.ID(), Author: did, Parents: []protocol.ID{id}, Time: at, Depth: 4, Result: "applied",
				Rotate: json.RawMessage(`{"payloadType":"t","payload":"eA==","signatures":[]}`)},
		},
	}
	for _, v := range values {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatalf("%T: %v", v, err)
		}
		back := reflect.New(reflect.TypeOf(v))
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields()
		if err := dec.Decode(back.Interface()); err != nil {
			t.Errorf("%T does not read back %s: %v", v, b, err)
			continue
		}
		if got := back.Elem().Interface(); !reflect.DeepEqual(got, v) {
			t.Errorf("%T read back as\n%+v\nwant\n%+v", v, got, v)
		}
		again, err := json.Marshal(back.Elem().Interface())
		if err != nil || !bytes.Equal(again, b) {
			t.Errorf("%T written again as\n%s\nwant\n%s", v, again, b)
		}
	}
}
