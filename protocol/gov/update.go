package gov

import (
	"slices"
	"strings"
	"time"

	"github.com/commons-p2p/commons/protocol"
)

// PayloadType is the DSSE payloadType of a governance update. It is not
// the statements' type, so that a signature on an update can never be
// taken for a signature on a statement, nor the other way round.
const PayloadType = "application/vnd.commons.governance+json"

// Limits on governance updates. Changing one changes the protocol: SPEC.md §8.1.
const (
	MaxUpdateSize = 64 << 10            // bytes of an encoded update envelope
	MaxParents    = 64                  // parents of one update
	MaxExpiry     = 30 * 24 * time.Hour // from a proposal's time to its expiry
)

// DefaultExpiry is the expiry NewUpdate gives a proposal that names
// none: a week after its time.
const DefaultExpiry = 7 * 24 * time.Hour

// Action is what a proposal asks for.
type Action string

const (
	ActAddSteward    Action = "add-steward"    // DID becomes a steward
	ActRemoveSteward Action = "remove-steward" // DID stops being one
	ActSetThreshold  Action = "set-threshold"  // proposals need Threshold votes
	ActRevokeKey     Action = "revoke-key"     // claims signed by DID from Effective on are revoked
	ActDatasetStatus Action = "dataset-status" // Dataset has Status, for Reason
	ActSetParam      Action = "set-param"      // param Name has Value ("" removes it)
)

// DatasetStatus is the standing governance gives a dataset.
type DatasetStatus string

const (
	StatusAccepted DatasetStatus = "accepted"
	StatusFlagged  DatasetStatus = "flagged"
	StatusDelisted DatasetStatus = "delisted"
)

// Proposal is the operation of a proposal. Only the fields of its
// action are set; SPEC.md §8.1 says which each action requires.
type Proposal struct {
	Action    Action
	DID       protocol.DID  // add-steward, remove-steward, revoke-key
	Threshold int           // set-threshold
	Effective time.Time     // revoke-key: claims signed by the key at or after it are revoked
	Reason    string        // revoke-key, dataset-status (required for those)
	Dataset   protocol.ID   // dataset-status
	Status    DatasetStatus // dataset-status
	Name      string        // set-param
	Value     string        // set-param; "" removes the param
	Expires   time.Time     // every proposal: after this, votes no longer count
}

// Vote is a steward's vote on the proposal whose update ID is Proposal.
type Vote struct {
	Proposal protocol.ID
	Yes      bool
}

// Update is one node of the governance DAG: a proposal, a vote or the
// rotation of its author's key, signed by its author alone, naming the
// heads its author knew. It is made by NewUpdate, NewRotation or
// DecodeUpdate, which check every field; its fields must not be changed
// afterwards.
type Update struct {
	ID       protocol.ID // the ID of the payload bytes, as for objects (§4.2)
	Envelope *protocol.Envelope
	Network  protocol.NetworkID
	Author   protocol.DID
	// Parents are the heads the author knew: update IDs, or the network ID
	// (standing for the genesis) alone for an update that knew none.
	// 1 to MaxParents, sorted by text, unique.
	Parents []protocol.ID
	Time    time.Time // the author's clock, UTC, to the second
	Propose *Proposal // exactly one of Propose, Vote and Rotate is set
	Vote    *Vote
	// Rotate is a rotation statement (KindRotation, both keys' signatures
	// verified) whose From is Author: the steward hands its seat on to To
	// (SPEC.md §8.4).
	Rotate *protocol.Object

	idText string // ID.String(), the fold's sort key
}

// idString returns the text of u's ID.
func (u *Update) idString() string {
	if u.idText == "" {
		return u.ID.String()
	}
	return u.idText
}

// NewUpdate makes the update by author on network with parents, dated
// t, that proposes p or votes v (exactly one of them non-nil), and signs
// it. Times are taken in UTC and truncated to the second; parents are
// sorted. A proposal without Expires expires DefaultExpiry after t. It
// refuses, with an error of kind Invalid, what DecodeUpdate would refuse.
func NewUpdate(network protocol.NetworkID, author *protocol.Key, parents []protocol.ID, t time.Time, p *Proposal, v *Vote) (*Update, error) {
	return newGovUpdate("new governance update", network, author, parents, t, func(u *Update) error {
		if p != nil {
			q := *p
			if q.Expires.IsZero() {
				q.Expires = u.Time.Add(DefaultExpiry)
			}
			q.Expires = govSecond(q.Expires)
			if !q.Effective.IsZero() {
				q.Effective = govSecond(q.Effective)
			}
			u.Propose = &q
		}
		if v != nil {
			w := *v
			u.Vote = &w
		}
		return nil
	})
}

// NewRotation makes the update by author on network with parents, dated
// t, that hands author's seat on to the successor named by rotation: a
// rotation statement (SPEC.md §3.4) from author's key, signed by both keys.
// The update itself is signed by author alone. It refuses, with an error
// of kind Invalid, what DecodeUpdate would refuse. (The limits of a
// statement keep a rotation far below MaxUpdateSize; an update over it
// would be refused as TooLarge, as the decoder would.)
func NewRotation(network protocol.NetworkID, author *protocol.Key, parents []protocol.ID, t time.Time, rotation *protocol.Envelope) (*Update, error) {
	return newGovUpdate("new governance rotation", network, author, parents, t, func(u *Update) error {
		if rotation == nil {
			return protocol.E("", protocol.Invalid, "rotate: no rotation")
		}
		o, err := decodeGovRotation(rotation.Encode())
		u.Rotate = o
		return err
	})
}

func govSecond(t time.Time) time.Time { return t.UTC().Truncate(time.Second) }

// newGovUpdate makes an update with the common fields, lets set fill in
// what it does, checks it, signs it and reads it back as a receiver would.
func newGovUpdate(op string, network protocol.NetworkID, author *protocol.Key, parents []protocol.ID, t time.Time, set func(*Update) error) (*Update, error) {
	if author == nil {
		return nil, protocol.E(op, protocol.Invalid, "no author key")
	}
	u := &Update{Network: network, Author: author.DID(), Parents: slices.Clone(parents), Time: govSecond(t)}
	slices.SortFunc(u.Parents, func(a, b protocol.ID) int { return strings.Compare(a.String(), b.String()) })
	if err := set(u); err != nil {
		return nil, protocol.E(op, protocol.Invalid, "%w", err)
	}
	if err := u.check(); err != nil {
		return nil, protocol.E(op, protocol.Invalid, "%w", err)
	}
	w := u.wire()
	env := &protocol.Envelope{PayloadType: PayloadType, Payload: w.encode()}
	author.Sign(env)
	if n := len(env.Encode()); n > MaxUpdateSize {
		return nil, protocol.E(op, protocol.TooLarge, "update would be %d bytes, over the limit of %d", n, MaxUpdateSize)
	}
	made, err := parseGovUpdate(env)
	if err != nil {
		return nil, protocol.E(op, protocol.Invalid, "%w", err)
	}
	return made, nil
}

// DecodeUpdate is the door of every governance update: it reads the
// encoded envelope (at most MaxUpdateSize bytes, else TooLarge),
// checks its payloadType, that it carries exactly one signature, by the
// author, that verifies, and reads the payload under the strict rules of
// statements (no unknown, duplicate or miscased member), checking every
// field (SPEC.md §8.1, §8.2). Everything else it refuses is Invalid. It
// does not check the time against a clock, nor that the network is the
// node's: the caller does both.
func DecodeUpdate(raw []byte) (*Update, error) {
	const op = "decode governance update"
	if len(raw) > MaxUpdateSize {
		return nil, protocol.E(op, protocol.TooLarge, "update is %d bytes, over the limit of %d", len(raw), MaxUpdateSize)
	}
	env, err := protocol.DecodeEnvelope(raw)
	if err != nil {
		return nil, protocol.E(op, protocol.Other, "%w", err) // Other: the envelope's kind shows through
	}
	if env.PayloadType != PayloadType {
		return nil, protocol.E(op, protocol.Invalid, "payloadType %q, want %q", protocol.Clip(env.PayloadType), PayloadType)
	}
	if n := len(env.Signatures); n != 1 {
		return nil, protocol.E(op, protocol.Invalid, "%d signatures, want exactly one, the author's", n)
	}
	if err := env.Verify(); err != nil {
		return nil, protocol.E(op, protocol.Other, "%w", err)
	}
	u, err := parseGovUpdate(env)
	if err != nil {
		return nil, protocol.E(op, protocol.Invalid, "%w", err)
	}
	return u, nil
}

// Encode returns the envelope of u as §2.8 encodes it: what is stored,
// gossiped and fetched.
func (u *Update) Encode() []byte { return u.Envelope.Encode() }

// parseGovUpdate reads and checks the payload of a verified envelope that
// is signed by exactly one key.
func parseGovUpdate(env *protocol.Envelope) (*Update, error) {
	var w wireGovUpdate
	if err := protocol.DecodeStrict("update", env.Payload, &w); err != nil {
		return nil, protocol.E("", protocol.Invalid, "malformed update JSON: %v", err)
	}
	u, err := w.update()
	if err != nil {
		return nil, err
	}
	if signer := env.Signatures[0].KeyID; signer != u.Author {
		return nil, protocol.E("", protocol.Invalid, "signed by %s, not by its author %s", signer, u.Author)
	}
	u.ID, u.Envelope = env.ID(), env
	u.idText = govIDText(u.ID)
	return u, nil
}

// check refuses an update whose fields break SPEC.md §8.1.
func (u *Update) check() error {
	if u.Network.IsZero() {
		return protocol.E("", protocol.Invalid, "missing network")
	}
	if u.Author.IsZero() {
		return protocol.E("", protocol.Invalid, "missing author")
	}
	if err := checkGovParents(u.Network, u.Parents); err != nil {
		return err
	}
	if err := checkGovTime("time", u.Time, true); err != nil {
		return err
	}
	var present []string
	for _, m := range []struct {
		name string
		set  bool
	}{{"propose", u.Propose != nil}, {"vote", u.Vote != nil}, {"rotate", u.Rotate != nil}} {
		if m.set {
			present = append(present, m.name)
		}
	}
	switch {
	case len(present) == 0:
		return protocol.E("", protocol.Invalid, "none of propose, vote and rotate: an update is exactly one of them")
	case len(present) > 1:
		return protocol.E("", protocol.Invalid, "%s together: an update is exactly one of propose, vote and rotate", strings.Join(present, " and "))
	case u.Vote != nil:
		return checkGovVote(u.Network, u.Vote)
	case u.Rotate != nil:
		if from := u.Rotate.Rotation.From; from != u.Author {
			return protocol.E("", protocol.Invalid, "rotate: the rotation retires %s, not the update's author %s: a steward rotates only its own key", from, u.Author)
		}
		return nil
	}
	return u.Propose.check(u.Time)
}

// decodeGovRotation reads the rotate member of an update: a DSSE envelope
// as the JSON object of §2.1, checked as every envelope (§2.1–§2.6), that
// must hold a valid rotation statement (§3.4), signed by both its keys.
// Every refusal is Invalid: the update is what was sent.
func decodeGovRotation(raw []byte) (*protocol.Object, error) {
	env, err := protocol.DecodeEnvelope(raw)
	if err == nil {
		err = env.Verify()
	}
	if err != nil {
		return nil, protocol.E("", protocol.Invalid, "rotate: %w", err)
	}
	o, err := protocol.ParseObject(env)
	if err != nil {
		return nil, protocol.E("", protocol.Invalid, "rotate: %w", err)
	}
	if o.Kind != protocol.KindRotation {
		return nil, protocol.E("", protocol.Invalid, "rotate: a statement of kind %s, want a rotation (%s)", o.Kind, protocol.PredicateRotation)
	}
	return o, nil
}

func checkGovParents(network protocol.NetworkID, parents []protocol.ID) error {
	if len(parents) == 0 {
		return protocol.E("", protocol.Invalid, "no parents: name the heads known, or the network ID for none")
	}
	if len(parents) > MaxParents {
		return protocol.E("", protocol.Invalid, "%d parents, over %d", len(parents), MaxParents)
	}
	prev := ""
	for i, p := range parents {
		if !p.IsObject() {
			return protocol.E("", protocol.Invalid, "parents[%d]: %s is not an update ID", i, p)
		}
		if p == network.ID() && len(parents) > 1 {
			return protocol.E("", protocol.Invalid, "parents[%d]: the network ID stands for the genesis, and is only a parent alone", i)
		}
		text := p.String()
		if i > 0 && text <= prev {
			return protocol.E("", protocol.Invalid, "parents[%d]: %s is not after %s: parents are sorted by text, each once", i, text, prev)
		}
		prev = text
	}
	return nil
}

func checkGovVote(network protocol.NetworkID, v *Vote) error {
	if v.Proposal.IsZero() {
		return protocol.E("", protocol.Invalid, "vote: missing proposal")
	}
	if !v.Proposal.IsObject() || v.Proposal == network.ID() {
		return protocol.E("", protocol.Invalid, "vote: %s is not the ID of a proposal", v.Proposal)
	}
	return nil
}

// check refuses a proposal, made at time t, whose fields do not fit its
// action: a missing field it needs, or a field it does not use.
func (p *Proposal) check(t time.Time) error {
	a := p.Action
	op := opOf(a)
	if op == nil {
		return protocol.E("", protocol.Invalid, "propose: unknown action %q (want one of %s)", protocol.Clip(string(a)), govActionList())
	}
	for _, f := range govFields {
		switch set, used := f.set(p), op.uses(f.field); {
		case set && !used:
			return protocol.E("", protocol.Invalid, "propose %s: %s is not a field of this action", a, f.name)
		case !set && used && f.field != fieldValue:
			return protocol.E("", protocol.Invalid, "propose %s: missing %s", a, f.name)
		}
	}
	for _, err := range []error{checkGovTime("effective", p.Effective, false), checkGovTime("expires", p.Expires, true)} {
		if err != nil {
			return protocol.E("", protocol.Invalid, "propose %s: %w", a, err)
		}
	}
	if op.check != nil {
		if err := op.check(p); err != nil {
			return protocol.E("", protocol.Invalid, "propose %s: %w", a, err)
		}
	}
	switch {
	case !p.Expires.After(t):
		return protocol.E("", protocol.Invalid, "propose %s: expires %s is not after the update's time %s", a, formatGovTime(p.Expires), formatGovTime(t))
	case p.Expires.Sub(t) > MaxExpiry:
		return protocol.E("", protocol.Invalid, "propose %s: expires %s is more than %s after the update's time %s", a, formatGovTime(p.Expires), MaxExpiry, formatGovTime(t))
	}
	return nil
}

// checkGovTime refuses a time that an update cannot spell: before 2000,
// after 9999, or not to the second.
func checkGovTime(field string, t time.Time, required bool) error {
	switch {
	case t.IsZero() && required:
		return protocol.E("", protocol.Invalid, "missing %s", field)
	case t.IsZero():
		return nil
	case t.UTC().Year() < protocol.MinCreatedYear:
		return protocol.E("", protocol.Invalid, "%s %s is before %d", field, t.UTC().Format(time.RFC3339), protocol.MinCreatedYear)
	case t.UTC().Year() > 9999:
		return protocol.E("", protocol.Invalid, "%s %s is after the year 9999", field, t.UTC().Format(time.RFC3339))
	case t.Nanosecond() != 0:
		return protocol.E("", protocol.Invalid, "%s %s is not to the second", field, t.UTC().Format(time.RFC3339Nano))
	}
	return nil
}

func govActionList() string {
	names := make([]string, len(govOps))
	for i, op := range govOps {
		names[i] = string(op.action)
	}
	return strings.Join(names, ", ")
}
