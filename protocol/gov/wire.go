package gov

import (
	"bytes"
	"encoding/json"
	"time"

	"github.com/commons-p2p/commons/protocol"
)

// wireGovUpdate is the JSON form of a governance update's payload
// (SPEC.md §8.1). Times are strings so that they have one spelling: UTC,
// to the second. A member that a proposal's action does not use is left
// out (omitzero); the strict decoder reads omitempty as "optional".
type wireGovUpdate struct {
	Network protocol.ID      `json:"network"`
	Author  protocol.DID     `json:"author"`
	Parents []protocol.ID    `json:"parents"`
	Time    string           `json:"time"`
	Propose *wireGovProposal `json:"propose,omitempty"`
	Vote    *wireGovVote     `json:"vote,omitempty"`
	// Rotate is a rotation's envelope as its JSON object (§2.1), kept as
	// written: the update's ID is the hash of these bytes.
	Rotate json.RawMessage `json:"rotate,omitempty"`
}

type wireGovProposal struct {
	Action    string       `json:"action"`
	DID       protocol.DID `json:"did,omitempty,omitzero"`
	Dataset   protocol.ID  `json:"dataset,omitempty,omitzero"`
	Name      string       `json:"name,omitempty"`
	Threshold int          `json:"threshold,omitempty"`
	Effective string       `json:"effective,omitempty"`
	Status    string       `json:"status,omitempty"`
	Value     string       `json:"value,omitempty"`
	Reason    string       `json:"reason,omitempty"`
	Expires   string       `json:"expires"`
}

type wireGovVote struct {
	Proposal protocol.ID `json:"proposal"`
	Yes      bool        `json:"yes"`
}

// govTimeLayout is the one spelling of a time in an update.
const govTimeLayout = "2006-01-02T15:04:05Z"

func formatGovTime(t time.Time) string { return t.UTC().Format(govTimeLayout) }

// formatOptionalTime is formatGovTime, or "" for no time.
func formatOptionalTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return formatGovTime(t)
}

// parseGovTime reads a time of an update: 2006-01-02T15:04:05Z exactly.
// An empty string is no time. check refuses years before 2000.
func parseGovTime(field, s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if len(s) != len(govTimeLayout) || s[len(s)-1] != 'Z' || protocol.CheckTimeText([]byte(s), field) != nil {
		return time.Time{}, protocol.E("", protocol.Invalid, "%s %q is not a UTC time to the second, of the form %s", field, protocol.Clip(s), govTimeLayout)
	}
	t, err := time.Parse(govTimeLayout, s)
	if err != nil {
		return time.Time{}, protocol.E("", protocol.Invalid, "%s %q: %v", field, s, err)
	}
	return t, nil
}

func wireProposalOf(p *Proposal) *wireGovProposal {
	return &wireGovProposal{
		Action:    string(p.Action),
		DID:       p.DID,
		Dataset:   p.Dataset,
		Name:      p.Name,
		Threshold: p.Threshold,
		Effective: formatOptionalTime(p.Effective),
		Status:    string(p.Status),
		Value:     p.Value,
		Reason:    p.Reason,
		Expires:   formatOptionalTime(p.Expires),
	}
}

// encode returns the payload bytes: compact JSON, members in the order of
// the struct, no HTML escaping.
func (w *wireGovUpdate) encode() []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(w); err != nil {
		panic(err) // unreachable: strings, numbers and types that encode themselves
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n"))
}

// update reads the fields of w and checks them.
func (w *wireGovUpdate) update() (*Update, error) {
	if !w.Network.IsZero() && !w.Network.IsObject() {
		return nil, protocol.E("", protocol.Invalid, "network %s is an artifact ID, want the ID of a genesis", w.Network)
	}
	u := &Update{Network: protocol.NetworkIDFromID(w.Network), Author: w.Author, Parents: w.Parents}
	var err error
	if u.Time, err = parseGovTime("time", w.Time); err != nil {
		return nil, err
	}
	if w.Vote != nil {
		u.Vote = &Vote{Proposal: w.Vote.Proposal, Yes: w.Vote.Yes}
	}
	if len(w.Rotate) > 0 && string(w.Rotate) != "null" { // null is absent, as for every member
		if u.Rotate, err = decodeGovRotation(w.Rotate); err != nil {
			return nil, err
		}
	}
	if p := w.Propose; p != nil {
		u.Propose = &Proposal{
			Action: Action(p.Action), DID: p.DID, Threshold: p.Threshold, Reason: p.Reason,
			Dataset: p.Dataset, Status: DatasetStatus(p.Status), Name: p.Name, Value: p.Value,
		}
		if u.Propose.Effective, err = parseGovTime("propose: effective", p.Effective); err != nil {
			return nil, err
		}
		if u.Propose.Expires, err = parseGovTime("propose: expires", p.Expires); err != nil {
			return nil, err
		}
		if u.Propose.Expires.IsZero() {
			return nil, protocol.E("", protocol.Invalid, "propose %s: missing expires", u.Propose.Action)
		}
	}
	if err := u.check(); err != nil {
		return nil, err
	}
	return u, nil
}

// wire returns the JSON form of u's payload.
func (u *Update) wire() wireGovUpdate {
	w := wireGovUpdate{Network: u.Network.ID(), Author: u.Author, Parents: u.Parents, Time: formatGovTime(u.Time)}
	if u.Propose != nil {
		w.Propose = wireProposalOf(u.Propose)
	}
	if u.Vote != nil {
		w.Vote = &wireGovVote{Proposal: u.Vote.Proposal, Yes: u.Vote.Yes}
	}
	if u.Rotate != nil {
		w.Rotate = u.Rotate.Envelope.Encode()
	}
	return w
}

// MarshalJSON writes u as its payload reads, with its ID first:
// {"id", "network", "author", "parents", "time", "propose" | "vote" |
// "rotate"}.
func (u *Update) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		ID protocol.ID `json:"id"`
		wireGovUpdate
	}{u.ID, u.wire()})
}
