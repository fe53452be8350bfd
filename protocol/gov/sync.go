package gov

import (
	"slices"
	"strconv"
	"time"

	"github.com/commons-p2p/commons/protocol"
)

// The decisions of governance sync (SPEC.md §8.2, §8.9): what a node does
// with an update that arrives, by gossip or by fetch, and with the heads a
// peer announces. They read the DAG and return a value; the node that
// calls them holds the DAG's lock, and does what they say: it forwards or
// not, fetches, penalises the sender, announces its heads.

// Admit is the door every update passes before it is placed or stored,
// whatever brings it: it decodes and verifies raw (DecodeUpdate), checks
// that it is the update want names (unless want is zero), that it is of
// network, and that its time is at most MaxClockSkew after now. A refusal
// for time is Transient — refused for now, not forever, and the fault may
// be the clock's of the node that reads it — and returns the update along
// with the error, so that the caller can remember when to try it again;
// any other refusal is Invalid (or TooLarge), and returns no update: the
// peer that sent it is to be penalised.
func Admit(raw []byte, want protocol.ID, network protocol.NetworkID, now time.Time) (*Update, error) {
	const op = "governance update"
	u, err := DecodeUpdate(raw)
	switch {
	case err != nil:
		return nil, err
	case !want.IsZero() && u.ID != want:
		return nil, protocol.E(op, protocol.Invalid, "got %s where %s was asked for", u.ID, want)
	case u.Network != network:
		return nil, protocol.E(op, protocol.Invalid, "update %s is of network %s, not %s", u.ID, u.Network, network)
	case TooEarly(u.Time, now):
		return u, protocol.E(op, protocol.Transient, "update %s is dated %s, more than %v ahead of this node's clock (%s): refused for now",
			u.ID, u.Time.Format(time.RFC3339), protocol.MaxClockSkew, now.UTC().Format(time.RFC3339))
	}
	return u, nil
}

// TooEarly reports whether an update dated t is dated too far ahead of
// now to be admitted: more than MaxClockSkew.
func TooEarly(t, now time.Time) bool { return t.After(now.Add(protocol.MaxClockSkew)) }

// Verdict is what a node does with an update a peer gossiped.
type Verdict uint8

const (
	// Accept: place it and forward it.
	Accept Verdict = iota + 1
	// Hold: place it, where it waits for its parents, and fetch what it
	// misses (AddResult.Missing) from the sender; do not forward it
	// until it can be judged.
	Hold
	// Reject: drop it, do not forward it, penalise the sender.
	Reject
	// Ignore: drop it and do not forward it; the sender did no wrong.
	Ignore
)

var verdictNames = [...]string{Accept: "accept", Hold: "hold", Reject: "reject", Ignore: "ignore"}

func (v Verdict) String() string {
	if int(v) < len(verdictNames) && verdictNames[v] != "" {
		return verdictNames[v]
	}
	return "verdict(" + strconv.Itoa(int(v)) + ")"
}

// Why is the reason of a Verdict other than Accept.
type Why uint8

const (
	// WhyKnown: the update is placed or held already (Ignore).
	WhyKnown Why = iota + 1
	// WhyNeverSteward: every parent of the update is known, and its
	// author was never a steward in that history (Reject).
	WhyNeverSteward
	// WhyHeldFull: its author is not known as a steward, and the sender
	// has as many such updates held as it may (Reject).
	WhyHeldFull
	// WhyStandingUnknown: its author is not known as a steward, but may
	// have become one in parents not seen yet (Hold).
	WhyStandingUnknown
)

var whyNames = [...]string{WhyKnown: "known", WhyNeverSteward: "never a steward", WhyHeldFull: "sender's held updates full", WhyStandingUnknown: "standing unknown"}

func (w Why) String() string {
	if int(w) < len(whyNames) && whyNames[w] != "" {
		return whyNames[w]
	}
	return "why(" + strconv.Itoa(int(w)) + ")"
}

// A Decision is what to do with a gossiped update, and why.
type Decision struct {
	Verdict Verdict
	Why     Why // zero for Accept
}

// DecideUpdate decides on u, an update a peer gossiped that passed the
// door (Admit), by the DAG as it stands (SPEC.md §8.9). senderFull says
// whether the sender has as many updates held here, by authors never
// known as stewards, as it may: the bound is the caller's, who counts.
//
// An update known already is ignored. One whose author was ever a steward
// is accepted. Otherwise, when every parent is known, its author's
// standing can be judged, and it is rejected; when some parent is missing
// the author may have become a steward there, so it is held while the
// node fetches its ancestors — unless the sender is full, and then it is
// rejected.
func DecideUpdate(d *DAG, u *Update, senderFull bool) Decision {
	switch {
	case d.Has(u.ID):
		return Decision{Ignore, WhyKnown}
	case d.EverSteward(u.Author):
		return Decision{Verdict: Accept}
	case !slices.ContainsFunc(u.Parents, func(p protocol.ID) bool { return p != d.network.ID() && !d.Has(p) }):
		return Decision{Reject, WhyNeverSteward}
	case senderFull:
		return Decision{Reject, WhyHeldFull}
	}
	return Decision{Hold, WhyStandingUnknown}
}

// HeadsDecision is what to do with the heads a peer announced.
type HeadsDecision struct {
	// Fetch are the heads not known here: fetch them, and their missing
	// ancestors, from the peer.
	Fetch []protocol.ID
	// Behind is set when every head is known here, and the heads differ
	// from this node's: the peer lacks updates this node has, and an
	// early announcement of this node's heads lets it catch up.
	Behind bool
}

// CompareHeads compares heads, which a peer announced, with the DAG's.
func CompareHeads(d *DAG, heads []protocol.ID) HeadsDecision {
	var unknown []protocol.ID
	for _, h := range heads {
		if !d.Has(h) && h != d.network.ID() {
			unknown = append(unknown, h)
		}
	}
	if len(unknown) > 0 {
		return HeadsDecision{Fetch: unknown}
	}
	return HeadsDecision{Behind: !slices.Equal(heads, d.Heads())}
}

// ToFetch returns the IDs of ids to ask a peer for during one sync: those
// that are not the network's ID, are not known here (placed, or held while
// their own parents are fetched), were not asked for already in this sync
// (asked, which ToFetch marks), and that early does not say were refused
// as dated too far ahead, until their time comes.
func ToFetch(d *DAG, ids []protocol.ID, asked map[protocol.ID]bool, early func(protocol.ID) bool) []protocol.ID {
	var out []protocol.ID
	for _, id := range ids {
		if asked[id] || id == d.network.ID() || early(id) || d.Has(id) {
			continue
		}
		asked[id] = true
		out = append(out, id)
	}
	return out
}
