package protocol

import (
	"maps"
	"slices"
	"strings"
	"sync"
	"time"
)

// GovProposalStatus is where a proposal stands. Every status but open is
// final.
type GovProposalStatus string

const (
	ProposalOpen     GovProposalStatus = "open"     // taking votes
	ProposalPassed   GovProposalStatus = "passed"   // its effect applied where it passed
	ProposalRejected GovProposalStatus = "rejected" // no votes put the threshold out of reach
	ProposalExpired  GovProposalStatus = "expired"  // a steward's update was dated after its expiry
	ProposalVoid     GovProposalStatus = "void"     // it would have changed nothing, or could not be carried out
)

// GovRevocation is a key revoked by governance: claims it signed at or
// after Effective are revoked.
type GovRevocation struct {
	DID       DID
	Effective time.Time
	Reason    string
	Proposal  ID // the proposal that revoked it
}

// GovDatasetStanding is the status governance gave a dataset.
type GovDatasetStanding struct {
	Status   DatasetStatus
	Reason   string
	Proposal ID // the proposal that set it
}

// GovProposalState is a proposal as the fold left it.
type GovProposalState struct {
	ID       ID // of the update that made it
	Proposer DID
	Time     time.Time // the proposing update's
	Proposal GovProposal
	Status   GovProposalStatus
	// Yes and No are the stewards whose votes were recorded while it was
	// open, sorted by text: the proposer's is among Yes. A vote counts only
	// while its voter is a steward.
	Yes, No  []DID
	ClosedBy ID     // the update at whose point it closed; zero while open
	Void     string // why it is void: one of the Void… codes
}

// GovClosure is a proposal that closed at a point of the fold.
type GovClosure struct {
	Proposal ID                `json:"proposal"`
	Status   GovProposalStatus `json:"status"`
}

// GovState is the state of governance after the updates of a Governance,
// in the fold order: a read-only snapshot, safe for concurrent use. It is
// the Policy that attribution obeys.
type GovState struct {
	network NetworkID
	heads   []ID
	f       *govFold // frozen; its byID is not this snapshot's to read

	hashOnce  sync.Once
	hash      string
	indexOnce sync.Once
	index     map[ID]int
}

var _ Policy = (*GovState)(nil)

// Network returns the network whose governance s is.
func (s *GovState) Network() NetworkID { return s.network }

// Heads returns the heads of the DAG the state was folded from, sorted by
// text; the network ID alone when no update is placed.
func (s *GovState) Heads() []ID { return slices.Clone(s.heads) }

// IsSteward answers the question of the trust policy (SPEC.md §4.5, §8.7):
// is d a current steward? It is when d holds a seat, and when d is a key
// that rotations retired and whose chain of successors ends at a key that
// holds one: what a steward signed before rotating keeps its weight. A
// revoked key is never a steward. Whether an update counts is another
// question: see IsStewardKey.
func (s *GovState) IsSteward(d DID) bool {
	if _, revoked := s.f.revoked.get(d); revoked {
		return false
	}
	_, ok := s.f.stewards.m[s.f.seat(d)]
	return ok
}

// IsStewardKey reports whether d is the key of a current steward: the key
// whose updates the fold applies, and the only one a node may sign
// governance updates with. A retired key is not one.
func (s *GovState) IsStewardKey(d DID) bool {
	_, ok := s.f.stewards.m[d]
	return ok
}

// GovRotationRecord is a steward's key that a rotation retired: From's
// seat passed to To at the update Update.
type GovRotationRecord struct {
	From, To DID
	Update   ID
}

// Rotations returns the keys rotations retired, sorted by the text of From.
func (s *GovState) Rotations() []GovRotationRecord {
	out := make([]GovRotationRecord, 0, len(s.f.rotated.m))
	for from, r := range s.f.rotated.m {
		out = append(out, GovRotationRecord{From: from, To: r.to, Update: r.update.ID})
	}
	texts := make(map[DID]string, len(out))
	for _, r := range out {
		texts[r.From] = r.From.String()
	}
	slices.SortFunc(out, func(a, b GovRotationRecord) int { return strings.Compare(texts[a.From], texts[b.From]) })
	return out
}

// Successor returns the key that a rotation handed d's seat on to, if one
// did.
func (s *GovState) Successor(d DID) (DID, bool) {
	r, ok := s.f.rotated.m[d]
	return r.to, ok
}

// Stewards returns the current stewards, sorted by text.
func (s *GovState) Stewards() []DID { return sortedDIDs(slices.Collect(maps.Keys(s.f.stewards.m))) }

// Threshold returns the number of steward votes a proposal needs.
func (s *GovState) Threshold() int { return s.f.threshold }

// KeyRevokedAt reports the time from which claims signed by d are revoked.
func (s *GovState) KeyRevokedAt(d DID) (time.Time, bool) {
	r, ok := s.f.revoked.get(d)
	return r.Effective, ok
}

// Revoked returns the revoked keys, sorted by the text of their DIDs.
func (s *GovState) Revoked() []GovRevocation {
	out := s.f.revoked.values()
	texts := make(map[DID]string, len(out))
	for _, r := range out {
		texts[r.DID] = r.DID.String()
	}
	slices.SortFunc(out, func(a, b GovRevocation) int { return strings.Compare(texts[a.DID], texts[b.DID]) })
	return out
}

// Dataset returns the status governance gave dataset id, if any.
func (s *GovState) Dataset(id ID) (status DatasetStatus, reason string, ok bool) {
	d, ok := s.f.datasets.get(id)
	return d.Status, d.Reason, ok
}

// Datasets returns the status of every dataset that has one.
func (s *GovState) Datasets() map[ID]GovDatasetStanding {
	out := make(map[ID]GovDatasetStanding, s.f.datasets.len())
	for _, d := range s.f.datasets.values() {
		out[d.id] = d.GovDatasetStanding
	}
	return out
}

// Param returns the value of param name, if it is set.
func (s *GovState) Param(name string) (string, bool) {
	v, ok := s.f.params.m[name]
	return v, ok
}

// Params returns the params: the genesis's, as set-param changed them.
func (s *GovState) Params() map[string]string { return maps.Clone(s.f.params.m) }

// Time returns the fold's clock: the latest time of an update by a
// steward, or the genesis's created time before any.
func (s *GovState) Time() time.Time { return time.Unix(s.f.clock, 0).UTC() }

// Updates returns the number of updates applied (not left out).
func (s *GovState) Updates() int { return s.f.updates }

// Proposals returns every proposal recorded, in fold order.
func (s *GovState) Proposals() []GovProposalState {
	out := make([]GovProposalState, s.f.props.len())
	for i := range out {
		out[i] = s.f.props.at(i).state()
	}
	return out
}

// Proposal returns the proposal made by update id, if one was recorded.
func (s *GovState) Proposal(id ID) (GovProposalState, bool) {
	s.indexOnce.Do(func() {
		s.index = make(map[ID]int, s.f.props.len())
		for i := range s.f.props.len() {
			s.index[s.f.props.at(i).u.ID] = i
		}
	})
	i, ok := s.index[id]
	if !ok {
		return GovProposalState{}, false
	}
	return s.f.props.at(i).state(), true
}

func (r *govProposalRec) state() GovProposalState {
	p := GovProposalState{
		ID: r.u.ID, Proposer: r.u.Author, Time: r.u.Time, Proposal: *r.u.Propose, Status: r.status,
		Yes: sortedDIDs(slices.Clone(r.yes)), No: sortedDIDs(slices.Clone(r.no)), Void: r.why,
	}
	if r.closedBy != nil {
		p.ClosedBy = r.closedBy.ID
	}
	return p
}

// sortedDIDs sorts ds by text, and returns it.
func sortedDIDs(ds []DID) []DID {
	texts := make(map[DID]string, len(ds))
	for _, d := range ds {
		texts[d] = d.String()
	}
	slices.SortFunc(ds, func(a, b DID) int { return strings.Compare(texts[a], texts[b]) })
	return ds
}
