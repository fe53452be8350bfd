package gov

import (
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/commons-p2p/commons/protocol"
)

// ProposalStatus is where a proposal stands. Every status but open is
// final.
type ProposalStatus string

const (
	ProposalOpen     ProposalStatus = "open"     // taking votes
	ProposalPassed   ProposalStatus = "passed"   // its effect applied where it passed
	ProposalRejected ProposalStatus = "rejected" // no votes put the threshold out of reach
	ProposalExpired  ProposalStatus = "expired"  // a steward's update was dated after its expiry
	ProposalVoid     ProposalStatus = "void"     // it would have changed nothing, or could not be carried out
)

// Revocation is a key revoked by governance: claims it signed at or
// after Effective are revoked.
type Revocation struct {
	DID       protocol.DID
	Effective time.Time
	Reason    string
	Proposal  protocol.ID // the proposal that revoked it
}

// DatasetStanding is the status governance gave a dataset.
type DatasetStanding struct {
	Status   DatasetStatus
	Reason   string
	Proposal protocol.ID // the proposal that set it
}

// ProposalState is a proposal as the fold left it.
type ProposalState struct {
	ID       protocol.ID // of the update that made it
	Proposer protocol.DID
	Time     time.Time // the proposing update's
	Proposal Proposal
	Status   ProposalStatus
	// Yes and No are the stewards whose votes were recorded while it was
	// open, sorted by text: the proposer's is among Yes. A vote counts only
	// while its voter is a steward.
	Yes, No  []protocol.DID
	ClosedBy protocol.ID // the update at whose point it closed; zero while open
	Void     string      // why it is void: one of the Void… codes
}

// Closure is a proposal that closed at a point of the fold.
type Closure struct {
	Proposal protocol.ID    `json:"proposal"`
	Status   ProposalStatus `json:"status"`
}

// State is the state of governance after the updates of a DAG,
// in the fold order: a read-only snapshot, safe for concurrent use. It is
// the Policy that attribution obeys.
type State struct {
	network protocol.NetworkID
	heads   []protocol.ID
	f       *govFold // frozen; its byID is not this snapshot's to read

	hashOnce  sync.Once
	hash      string
	indexOnce sync.Once
	index     map[protocol.ID]int
}

var _ protocol.Policy = (*State)(nil)

// Network returns the network whose governance s is.
func (s *State) Network() protocol.NetworkID { return s.network }

// Heads returns the heads of the DAG the state was folded from, sorted by
// text; the network ID alone when no update is placed.
func (s *State) Heads() []protocol.ID { return slices.Clone(s.heads) }

// IsSteward answers the question of the trust policy (SPEC.md §4.5, §8.7):
// is d a current steward? It is when d holds a seat, and when d is a key
// that rotations retired and whose chain of successors ends at a key that
// holds one: what a steward signed before rotating keeps its weight. A
// revoked key is never a steward. Whether an update counts is another
// question: see IsStewardKey.
func (s *State) IsSteward(d protocol.DID) bool {
	if _, revoked := s.f.revoked.get(d); revoked {
		return false
	}
	_, ok := s.f.stewards.m[s.f.seat(d)]
	return ok
}

// IsStewardKey reports whether d is the key of a current steward: the key
// whose updates the fold applies, and the only one a node may sign
// governance updates with. A retired key is not one.
func (s *State) IsStewardKey(d protocol.DID) bool {
	_, ok := s.f.stewards.m[d]
	return ok
}

// RotationRecord is a steward's key that a rotation retired: From's
// seat passed to To at the update Update.
type RotationRecord struct {
	From, To protocol.DID
	Update   protocol.ID
}

// Rotations returns the keys rotations retired, sorted by the text of From.
func (s *State) Rotations() []RotationRecord {
	out := make([]RotationRecord, 0, len(s.f.rotated.m))
	for from, r := range s.f.rotated.m {
		out = append(out, RotationRecord{From: from, To: r.to, Update: r.update.ID})
	}
	texts := make(map[protocol.DID]string, len(out))
	for _, r := range out {
		texts[r.From] = r.From.String()
	}
	slices.SortFunc(out, func(a, b RotationRecord) int { return strings.Compare(texts[a.From], texts[b.From]) })
	return out
}

// Successor returns the key that a rotation handed d's seat on to, if one
// did.
func (s *State) Successor(d protocol.DID) (protocol.DID, bool) {
	r, ok := s.f.rotated.m[d]
	return r.to, ok
}

// Stewards returns the current stewards, sorted by text.
func (s *State) Stewards() []protocol.DID {
	return sortedDIDs(slices.Collect(maps.Keys(s.f.stewards.m)))
}

// Threshold returns the number of steward votes a proposal needs.
func (s *State) Threshold() int { return s.f.threshold }

// KeyRevokedAt reports the time from which claims signed by d are revoked.
func (s *State) KeyRevokedAt(d protocol.DID) (time.Time, bool) {
	r, ok := s.f.revoked.get(d)
	return r.Effective, ok
}

// Revoked returns the revoked keys, sorted by the text of their DIDs.
func (s *State) Revoked() []Revocation {
	out := s.f.revoked.values()
	texts := make(map[protocol.DID]string, len(out))
	for _, r := range out {
		texts[r.DID] = r.DID.String()
	}
	slices.SortFunc(out, func(a, b Revocation) int { return strings.Compare(texts[a.DID], texts[b.DID]) })
	return out
}

// Dataset returns the status governance gave dataset id, if any.
func (s *State) Dataset(id protocol.ID) (status DatasetStatus, reason string, ok bool) {
	d, ok := s.f.datasets.get(id)
	return d.Status, d.Reason, ok
}

// Datasets returns the status of every dataset that has one.
func (s *State) Datasets() map[protocol.ID]DatasetStanding {
	out := make(map[protocol.ID]DatasetStanding, s.f.datasets.len())
	for _, d := range s.f.datasets.values() {
		out[d.id] = d.DatasetStanding
	}
	return out
}

// Param returns the value of param name, if it is set.
func (s *State) Param(name string) (string, bool) {
	v, ok := s.f.params.m[name]
	return v, ok
}

// Params returns the params: the genesis's, as set-param changed them.
func (s *State) Params() map[string]string { return maps.Clone(s.f.params.m) }

// Time returns the fold's clock: the latest time of an update by a
// steward, or the genesis's created time before any.
func (s *State) Time() time.Time { return time.Unix(s.f.clock, 0).UTC() }

// Updates returns the number of updates applied (not left out).
func (s *State) Updates() int { return s.f.updates }

// Proposals returns every proposal recorded, in fold order.
func (s *State) Proposals() []ProposalState {
	out := make([]ProposalState, s.f.props.len())
	for i := range out {
		out[i] = s.f.props.at(i).state()
	}
	return out
}

// Proposal returns the proposal made by update id, if one was recorded.
func (s *State) Proposal(id protocol.ID) (ProposalState, bool) {
	s.indexOnce.Do(func() {
		s.index = make(map[protocol.ID]int, s.f.props.len())
		for i := range s.f.props.len() {
			s.index[s.f.props.at(i).u.ID] = i
		}
	})
	i, ok := s.index[id]
	if !ok {
		return ProposalState{}, false
	}
	return s.f.props.at(i).state(), true
}

func (r *govProposalRec) state() ProposalState {
	p := ProposalState{
		ID: r.u.ID, Proposer: r.u.Author, Time: r.u.Time, Proposal: *r.u.Propose, Status: r.status,
		Yes: sortedDIDs(slices.Clone(r.yes)), No: sortedDIDs(slices.Clone(r.no)), Void: r.why,
	}
	if r.closedBy != nil {
		p.ClosedBy = r.closedBy.ID
	}
	return p
}

// sortedDIDs sorts ds by text, and returns it.
func sortedDIDs(ds []protocol.DID) []protocol.DID {
	texts := make(map[protocol.DID]string, len(ds))
	for _, d := range ds {
		texts[d] = d.String()
	}
	slices.SortFunc(ds, func(a, b protocol.DID) int { return strings.Compare(texts[a], texts[b]) })
	return ds
}
