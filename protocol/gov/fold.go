package gov

import (
	"math"
	"slices"

	"github.com/commons-p2p/commons/protocol"
)

// govFold is the state of governance at a point of the fold order, and the
// step that moves it past one more update (SPEC.md §8.4–§8.6). It reads
// nothing but the update and itself: no clock, no I/O, no randomness.
type govFold struct {
	epoch     uint64                              // see govcow.go
	stewards  cowMap[protocol.DID, struct{}]      // current stewards
	ever      cowMap[protocol.DID, struct{}]      // stewards at any point so far
	threshold int                                 // in [1, len(stewards)]
	revoked   cowShards[protocol.DID, Revocation] // revoked keys
	rotated   cowMap[protocol.DID, govRotation]   // retired keys: from → its successor
	datasets  cowShards[protocol.ID, govDataset]
	params    cowMap[string, string]
	props     recVec  // every proposal recorded, in fold order
	open      cowInts // indexes into props of the open ones, ascending
	clock     int64   // Unix seconds: the latest time of a steward's update, or the genesis's
	updates   int     // updates applied

	// nextExpiry is at most the earliest expiry of an open proposal, so
	// that the fold looks for expired proposals only when one may be.
	nextExpiry int64

	// byID finds a proposal in props by its ID. It is shared by a live
	// state and its checkpoints, and only ever written by the live one:
	// an entry counts only if props holds that proposal at that index,
	// which entries left by a discarded future of a refold do not.
	byID map[protocol.ID]int
}

// govProposalRec is a proposal as the fold records it. A record that a
// snapshot may hold is never changed: the fold replaces it with a copy.
type govProposalRec struct {
	u        *Update // that made it
	expires  int64   // u.Propose.Expires in Unix seconds
	status   ProposalStatus
	yes, no  []protocol.DID // votes recorded while open, first vote of each steward, in fold order
	closedBy *Update        // at whose point it closed
	why      string         // void: why
	canon    *canonOnce     // the canonical form, once closed (govhash.go)
}

// govRotation is a steward's key that a rotation retired: its successor,
// and the update that carried the rotation.
type govRotation struct {
	to     protocol.DID
	update *Update
}

// govDataset is a dataset's standing as the fold keeps it: with the texts
// that the canonical form spells.
type govDataset struct {
	DatasetStanding
	id       protocol.ID
	text     string  // of id
	proposal *Update // that set it
}

// govVerdict is what the fold did with one update.
type govVerdict struct {
	ignored string    // why the update was left out; "" when applied
	closed  []Closure // proposals closed at this point, in the order they closed
}

// Why the fold leaves an update out: LogEntry.Ignored (SPEC.md §8.4).
const (
	IgnoredNotSteward      = "not-steward"      // the author is not a steward at that point
	IgnoredUnknownProposal = "unknown-proposal" // no proposal with that ID was recorded before that point
	IgnoredClosedProposal  = "closed-proposal"  // the proposal is no longer open
	IgnoredDuplicateVote   = "duplicate-vote"   // the author's first vote on the proposal counts
	IgnoredAlreadySteward  = "already-steward"  // rotate: the successor is a steward already
	IgnoredKeyRevoked      = "key-revoked"      // rotate: the successor is a revoked key
	IgnoredKeyRotated      = "key-rotated"      // rotate: the successor is a key a rotation retired
)

// Why a proposal is void: ProposalState.Void (SPEC.md §8.5).
const (
	VoidNoChange         = "no-change"          // its effect would leave the state as it is
	VoidOnlySteward      = "only-steward"       // it would leave no steward
	VoidKeyRevoked       = "key-revoked"        // add-steward of a revoked key
	VoidTooManyStewards  = "too-many-stewards"  // add-steward past MaxStewards
	VoidThresholdTooHigh = "threshold-too-high" // set-threshold above the number of stewards
	VoidTooManyParams    = "too-many-params"    // set-param of a new param past MaxParams
	VoidKeyRotated       = "key-rotated"        // add-steward of a key a rotation retired
)

// newGovFold returns the state the genesis founds.
func newGovFold(g *protocol.Genesis, epoch uint64) *govFold {
	s := &govFold{
		epoch:      epoch,
		stewards:   newCowMap[protocol.DID, struct{}](epoch),
		ever:       newCowMap[protocol.DID, struct{}](epoch),
		threshold:  g.Threshold,
		revoked:    newCowShards[protocol.DID, Revocation](epoch, shardOfDID),
		rotated:    newCowMap[protocol.DID, govRotation](epoch),
		datasets:   newCowShards[protocol.ID, govDataset](epoch, shardOfID),
		params:     newCowMap[string, string](epoch),
		props:      recVec{epoch: epoch},
		open:       cowInts{epoch: epoch},
		clock:      g.Created.Unix(),
		nextExpiry: math.MaxInt64,
		byID:       make(map[protocol.ID]int),
	}
	for _, d := range g.Stewards {
		s.stewards.m[d] = struct{}{}
		s.ever.m[d] = struct{}{}
	}
	for k, v := range g.Params {
		if v != "" { // an empty value is no param, as set-param "" removes one
			s.params.m[k] = v
		}
	}
	return s
}

// freeze returns a copy of s that is never written again; s goes on with
// a new epoch.
func (s *govFold) freeze(epoch uint64) *govFold {
	frozen := *s
	s.epoch = epoch
	return &frozen
}

// thaw returns a live state that starts from the frozen s.
func (s *govFold) thaw(epoch uint64) *govFold {
	live := *s
	live.epoch = epoch
	return &live
}

// apply moves the state past u, the next update in fold order.
func (s *govFold) apply(u *Update) (v govVerdict) {
	if _, ok := s.stewards.m[u.Author]; !ok {
		return govVerdict{ignored: IgnoredNotSteward}
	}
	s.advanceClock(u, &v)
	switch {
	case u.Propose != nil:
		s.propose(u, &v)
	case u.Vote != nil:
		s.vote(u, &v)
	default:
		s.rotate(u, &v)
	}
	if v.ignored == "" {
		s.updates++
	}
	return v
}

// advanceClock moves the clock to u's time if that is later, and expires
// the open proposals whose expiry is then past, in proposal order.
func (s *govFold) advanceClock(u *Update, v *govVerdict) {
	t := u.Time.Unix()
	if t <= s.clock {
		return
	}
	s.clock = t
	if t <= s.nextExpiry {
		return
	}
	s.nextExpiry = math.MaxInt64
	for _, i := range slices.Clone(s.open.s) {
		if r := s.props.at(i); r.expires < t {
			s.close(i, ProposalExpired, u, "", v)
		} else {
			s.nextExpiry = min(s.nextExpiry, r.expires)
		}
	}
}

func (s *govFold) propose(u *Update, v *govVerdict) {
	p := u.Propose
	r := &govProposalRec{u: u, expires: p.Expires.Unix(), status: ProposalOpen}
	i := s.props.push(s.epoch, r)
	s.byID[u.ID] = i
	if why := s.voidReason(p); why != "" {
		r.status, r.why, r.closedBy, r.canon = ProposalVoid, why, u, new(canonOnce)
		v.closed = append(v.closed, Closure{Proposal: u.ID, Status: ProposalVoid})
		return
	}
	if r.expires < s.clock {
		r.status, r.closedBy, r.canon = ProposalExpired, u, new(canonOnce)
		v.closed = append(v.closed, Closure{Proposal: u.ID, Status: ProposalExpired})
		return
	}
	r.yes = []protocol.DID{u.Author}
	open := s.open.mut(s.epoch)
	*open = append(*open, i)
	s.nextExpiry = min(s.nextExpiry, r.expires)
	s.settle(i, u, v)
}

func (s *govFold) vote(u *Update, v *govVerdict) {
	i, ok := s.lookup(u.Vote.Proposal)
	if !ok {
		v.ignored = IgnoredUnknownProposal
		return
	}
	r := s.props.at(i)
	if r.status != ProposalOpen {
		v.ignored = IgnoredClosedProposal
		return
	}
	if slices.Contains(r.yes, u.Author) || slices.Contains(r.no, u.Author) {
		v.ignored = IgnoredDuplicateVote
		return
	}
	r = s.modify(i)
	if u.Vote.Yes {
		r.yes = append(slices.Clip(r.yes), u.Author)
	} else {
		r.no = append(slices.Clip(r.no), u.Author)
	}
	s.settle(i, u, v)
}

// rotate hands the seat of u's author, a steward, on to the successor its
// rotation names, unless that key may not hold a seat: it is a steward
// already, revoked, or retired by an earlier rotation. The successor takes
// the author's votes on open proposals, so the seat's voice is unchanged:
// one vote, by whichever key holds the seat.
func (s *govFold) rotate(u *Update, v *govVerdict) {
	from, to := u.Author, u.Rotate.Rotation.To
	_, steward := s.stewards.m[to]
	_, revoked := s.revoked.get(to)
	_, retired := s.rotated.m[to]
	switch {
	case steward:
		v.ignored = IgnoredAlreadySteward
		return
	case revoked:
		v.ignored = IgnoredKeyRevoked
		return
	case retired:
		v.ignored = IgnoredKeyRotated
		return
	}
	s.stewards.del(s.epoch, from)
	s.stewards.set(s.epoch, to, struct{}{})
	if _, ok := s.ever.m[to]; !ok {
		s.ever.set(s.epoch, to, struct{}{})
	}
	s.rotated.set(s.epoch, from, govRotation{to: to, update: u})
	for _, i := range s.open.s {
		r := s.props.at(i)
		voted := slices.Contains(r.yes, from) || slices.Contains(r.no, from)
		if !voted || slices.Contains(r.yes, to) || slices.Contains(r.no, to) {
			continue
		}
		r = s.modify(i)
		r.yes, r.no = replaceDID(r.yes, from, to), replaceDID(r.no, from, to)
	}
	s.sweep(u, v)
}

// replaceDID returns ds with from replaced by to, as a new slice when it
// holds from (a record's slices may be shared with a snapshot).
func replaceDID(ds []protocol.DID, from, to protocol.DID) []protocol.DID {
	k := slices.Index(ds, from)
	if k < 0 {
		return ds
	}
	ds = slices.Clone(ds)
	ds[k] = to
	return ds
}

// seat returns the key that holds d's seat now: d, or the key its chain
// of rotations ends at. The chain has no cycle (a rotation's successor is
// never a retired key) and is followed at most once per rotation.
func (s *govFold) seat(d protocol.DID) protocol.DID {
	for range len(s.rotated.m) {
		r, ok := s.rotated.m[d]
		if !ok {
			break
		}
		d = r.to
	}
	return d
}

// lookup finds the proposal with ID id.
func (s *govFold) lookup(id protocol.ID) (int, bool) {
	i, ok := s.byID[id]
	return i, ok && i < s.props.len() && s.props.at(i).u.ID == id
}

// modify replaces proposal i with a copy, and returns the copy to change.
func (s *govFold) modify(i int) *govProposalRec {
	r := *s.props.at(i)
	s.props.set(s.epoch, i, &r)
	return &r
}

// settle decides proposal i after a vote on it (the proposer's counts) and,
// when that changes the stewards or the threshold, every open proposal.
func (s *govFold) settle(i int, at *Update, v *govVerdict) {
	if s.decide(i, at, v) {
		s.sweep(at, v)
	}
}

// sweep decides the open proposals in proposal order after the stewards
// or the threshold changed, starting again from the first whenever one
// that passes changes them again. Each round closes a proposal, so it ends.
func (s *govFold) sweep(at *Update, v *govVerdict) {
	for again := true; again; {
		again = false
		for _, i := range slices.Clone(s.open.s) {
			if s.props.at(i).status == ProposalOpen && s.decide(i, at, v) {
				again = true
				break
			}
		}
	}
}

// decide closes open proposal i if the yes votes of current stewards reach
// the threshold (passed) or their no votes leave it out of reach
// (rejected). It reports whether the stewards or the threshold changed.
func (s *govFold) decide(i int, at *Update, v *govVerdict) bool {
	r := s.props.at(i)
	yes, no := s.count(r.yes), s.count(r.no)
	switch {
	case yes >= s.threshold:
		if why := s.voidReason(r.u.Propose); why != "" {
			s.close(i, ProposalVoid, at, why, v)
			return false
		}
		s.close(i, ProposalPassed, at, "", v)
		return s.effect(r.u.Propose, r.u)
	case len(s.stewards.m)-no < s.threshold:
		s.close(i, ProposalRejected, at, "", v)
	}
	return false
}

// count returns how many of voters are current stewards.
func (s *govFold) count(voters []protocol.DID) int {
	n := 0
	for _, d := range voters {
		if _, ok := s.stewards.m[d]; ok {
			n++
		}
	}
	return n
}

// close gives open proposal i its final status at update at.
func (s *govFold) close(i int, status ProposalStatus, at *Update, why string, v *govVerdict) {
	r := s.modify(i)
	r.status, r.closedBy, r.why, r.canon = status, at, why, new(canonOnce)
	open := s.open.mut(s.epoch)
	if k, found := slices.BinarySearch(*open, i); found {
		*open = slices.Delete(*open, k, k+1)
	}
	v.closed = append(v.closed, Closure{Proposal: r.u.ID, Status: status})
}

// voidReason says why p would change nothing, or could not be carried
// out, in the current state; "" when it can (SPEC.md §8.5).
func (s *govFold) voidReason(p *Proposal) string { return opOf(p.Action).void(s, p) }

// effect carries out passed proposal p, made by update u, and reports
// whether the stewards or the threshold changed.
func (s *govFold) effect(p *Proposal, u *Update) bool { return opOf(p.Action).effect(s, p, u) }

// removeSteward removes d, lowering the threshold to the number of
// stewards left if it was more.
func (s *govFold) removeSteward(d protocol.DID) {
	s.stewards.del(s.epoch, d)
	s.threshold = min(s.threshold, len(s.stewards.m))
}
