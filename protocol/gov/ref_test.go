package gov_test

import (
	"bytes"
	"encoding/json"
	"slices"
	"sort"
	"time"

	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/protocol/gov"
)

// refFold is the fold of SPEC.md §8 written as plainly as it can be, to
// check gov.Fold and gov.DAG against: no incremental
// anything, no indexes, every rule read off the text. After every update
// it looks at every open proposal, and it finds proposals by walking the
// list. Slow and obviously right is the point.
func refFold(g *protocol.Genesis, net protocol.NetworkID, updates []*gov.Update) refResult {
	order := refOrder(net, updates)
	s := refState{
		stewards:  map[protocol.DID]bool{},
		threshold: g.Threshold,
		revoked:   map[protocol.DID]refRevoked{},
		rotated:   map[protocol.DID]refRotated{},
		datasets:  map[protocol.ID]refDataset{},
		params:    map[string]string{},
		clock:     g.Created.UTC().Truncate(time.Second),
		verdicts:  map[protocol.ID]refVerdict{},
	}
	for _, d := range g.Stewards {
		s.stewards[d] = true
	}
	for k, v := range g.Params {
		if v != "" {
			s.params[k] = v
		}
	}
	for _, u := range order {
		s.verdicts[u.ID] = s.apply(u)
	}
	return refResult{order: order, verdicts: s.verdicts, canonical: s.canonical(net)}
}

type refResult struct {
	order     []*gov.Update
	verdicts  map[protocol.ID]refVerdict
	canonical []byte // the canonical form, as encoding/json writes a map
}

type refVerdict struct {
	ignored string
	closed  []gov.Closure
}

// refOrder places what can be placed — an update whose parents are all
// placed, the network ID standing for the genesis at depth 0 — over and
// over until nothing changes, and sorts by depth, then ID text.
func refOrder(net protocol.NetworkID, updates []*gov.Update) []*gov.Update {
	depth := map[protocol.ID]int{net.ID(): 0}
	byID := map[protocol.ID]*gov.Update{}
	for _, u := range updates {
		if u.Network == net {
			byID[u.ID] = u
		}
	}
	for changed := true; changed; {
		changed = false
		for id, u := range byID {
			if _, done := depth[id]; done {
				continue
			}
			d, ok := 0, true
			for _, p := range u.Parents {
				pd, placed := depth[p]
				ok = ok && placed
				d = max(d, pd+1)
			}
			if ok {
				depth[id], changed = d, true
			}
		}
	}
	var order []*gov.Update
	for id, u := range byID {
		if _, ok := depth[id]; ok {
			order = append(order, u)
		}
	}
	sort.Slice(order, func(i, j int) bool {
		a, b := order[i], order[j]
		if depth[a.ID] != depth[b.ID] {
			return depth[a.ID] < depth[b.ID]
		}
		return a.ID.String() < b.ID.String()
	})
	return order
}

type refState struct {
	stewards  map[protocol.DID]bool
	threshold int
	revoked   map[protocol.DID]refRevoked
	rotated   map[protocol.DID]refRotated // retired key → its successor
	datasets  map[protocol.ID]refDataset
	params    map[string]string
	proposals []*refProposal
	clock     time.Time
	updates   int
	verdicts  map[protocol.ID]refVerdict
}

type refRevoked struct {
	effective time.Time
	reason    string
	proposal  protocol.ID
}

type refRotated struct {
	to     protocol.DID
	update protocol.ID
}

type refDataset struct {
	status   gov.DatasetStatus
	reason   string
	proposal protocol.ID
}

type refProposal struct {
	u        *gov.Update
	status   gov.ProposalStatus
	yes, no  []protocol.DID
	closedBy protocol.ID
	void     string
}

func (s *refState) apply(u *gov.Update) refVerdict {
	var v refVerdict
	if !s.stewards[u.Author] {
		return refVerdict{ignored: gov.IgnoredNotSteward}
	}
	if u.Time.After(s.clock) {
		s.clock = u.Time
	}
	for _, p := range s.proposals {
		if p.status == gov.ProposalOpen && s.clock.After(p.u.Propose.Expires) {
			s.close(p, gov.ProposalExpired, u.ID, "", &v)
		}
	}
	if u.Rotate != nil {
		from, to := u.Author, u.Rotate.Rotation.To
		_, revoked := s.revoked[to]
		_, retired := s.rotated[to]
		switch {
		case s.stewards[to]:
			return refVerdict{ignored: gov.IgnoredAlreadySteward, closed: v.closed}
		case revoked:
			return refVerdict{ignored: gov.IgnoredKeyRevoked, closed: v.closed}
		case retired:
			return refVerdict{ignored: gov.IgnoredKeyRotated, closed: v.closed}
		}
		delete(s.stewards, from)
		s.stewards[to] = true
		s.rotated[from] = refRotated{to, u.ID}
		for _, p := range s.proposals {
			voted := func(d protocol.DID) bool { return slices.Contains(p.yes, d) || slices.Contains(p.no, d) }
			if p.status != gov.ProposalOpen || !voted(from) || voted(to) {
				continue
			}
			for _, list := range []*[]protocol.DID{&p.yes, &p.no} {
				if k := slices.Index(*list, from); k >= 0 {
					(*list)[k] = to
				}
			}
		}
	} else if u.Propose != nil {
		p := &refProposal{u: u, status: gov.ProposalOpen}
		s.proposals = append(s.proposals, p)
		if why := s.void(u.Propose); why != "" {
			s.close(p, gov.ProposalVoid, u.ID, why, &v)
		} else if s.clock.After(u.Propose.Expires) {
			s.close(p, gov.ProposalExpired, u.ID, "", &v)
		} else {
			p.yes = []protocol.DID{u.Author}
		}
	} else {
		var p *refProposal
		for _, q := range s.proposals {
			if q.u.ID == u.Vote.Proposal {
				p = q
			}
		}
		switch {
		case p == nil:
			return refVerdict{ignored: gov.IgnoredUnknownProposal, closed: v.closed}
		case p.status != gov.ProposalOpen:
			return refVerdict{ignored: gov.IgnoredClosedProposal, closed: v.closed}
		case slices.Contains(p.yes, u.Author) || slices.Contains(p.no, u.Author):
			return refVerdict{ignored: gov.IgnoredDuplicateVote, closed: v.closed}
		case u.Vote.Yes:
			p.yes = append(p.yes, u.Author)
		default:
			p.no = append(p.no, u.Author)
		}
	}
	s.updates++
	s.settle(u.ID, &v)
	return v
}

// settle closes, while there is one, the first open proposal (in the order
// proposals were recorded) that has passed or been rejected.
func (s *refState) settle(at protocol.ID, v *refVerdict) {
	for {
		var next *refProposal
		var status gov.ProposalStatus
		for _, p := range s.proposals {
			if p.status != gov.ProposalOpen {
				continue
			}
			yes, no := s.current(p.yes), s.current(p.no)
			if yes >= s.threshold {
				next, status = p, gov.ProposalPassed
				break
			}
			if len(s.stewards)-no < s.threshold {
				next, status = p, gov.ProposalRejected
				break
			}
		}
		if next == nil {
			return
		}
		if status == gov.ProposalPassed {
			if why := s.void(next.u.Propose); why != "" {
				s.close(next, gov.ProposalVoid, at, why, v)
				continue
			}
			s.effect(next)
		}
		s.close(next, status, at, "", v)
	}
}

func (s *refState) current(voters []protocol.DID) int {
	n := 0
	for _, d := range voters {
		if s.stewards[d] {
			n++
		}
	}
	return n
}

func (s *refState) close(p *refProposal, status gov.ProposalStatus, at protocol.ID, why string, v *refVerdict) {
	p.status, p.closedBy, p.void = status, at, why
	v.closed = append(v.closed, gov.Closure{Proposal: p.u.ID, Status: status})
}

func (s *refState) void(p *gov.Proposal) string {
	switch p.Action {
	case gov.ActAddSteward:
		if s.stewards[p.DID] {
			return gov.VoidNoChange
		}
		if _, ok := s.revoked[p.DID]; ok {
			return gov.VoidKeyRevoked
		}
		if _, ok := s.rotated[p.DID]; ok {
			return gov.VoidKeyRotated
		}
		if len(s.stewards) >= protocol.MaxStewards {
			return gov.VoidTooManyStewards
		}
	case gov.ActRemoveSteward:
		if !s.stewards[s.seat(p.DID)] {
			return gov.VoidNoChange
		}
		if len(s.stewards) == 1 {
			return gov.VoidOnlySteward
		}
	case gov.ActSetThreshold:
		if p.Threshold > len(s.stewards) {
			return gov.VoidThresholdTooHigh
		}
		if p.Threshold == s.threshold {
			return gov.VoidNoChange
		}
	case gov.ActRevokeKey:
		if r, ok := s.revoked[p.DID]; ok && r.effective.Equal(p.Effective) && r.reason == p.Reason {
			return gov.VoidNoChange
		}
		if s.stewards[p.DID] && len(s.stewards) == 1 {
			return gov.VoidOnlySteward
		}
	case gov.ActDatasetStatus:
		if d, ok := s.datasets[p.Dataset]; ok && d.status == p.Status && d.reason == p.Reason {
			return gov.VoidNoChange
		}
	case gov.ActSetParam:
		if s.params[p.Name] == p.Value {
			return gov.VoidNoChange
		}
		if _, ok := s.params[p.Name]; !ok && len(s.params) >= protocol.MaxParams {
			return gov.VoidTooManyParams
		}
	}
	return ""
}

// seat follows d's rotations to the key that holds its seat now.
func (s *refState) seat(d protocol.DID) protocol.DID {
	for {
		r, ok := s.rotated[d]
		if !ok {
			return d
		}
		d = r.to
	}
}

func (s *refState) effect(p *refProposal) {
	q := p.u.Propose
	remove := func(d protocol.DID) {
		delete(s.stewards, d)
		if s.threshold > len(s.stewards) {
			s.threshold = len(s.stewards)
		}
	}
	switch q.Action {
	case gov.ActAddSteward:
		s.stewards[q.DID] = true
	case gov.ActRemoveSteward:
		remove(s.seat(q.DID))
	case gov.ActSetThreshold:
		s.threshold = q.Threshold
	case gov.ActRevokeKey:
		s.revoked[q.DID] = refRevoked{q.Effective, q.Reason, p.u.ID}
		if s.stewards[q.DID] {
			remove(q.DID)
		}
	case gov.ActDatasetStatus:
		s.datasets[q.Dataset] = refDataset{q.Status, q.Reason, p.u.ID}
	case gov.ActSetParam:
		if q.Value == "" {
			delete(s.params, q.Name)
		} else {
			s.params[q.Name] = q.Value
		}
	}
}

// canonical writes the state as SPEC.md §8.7 describes it, with
// encoding/json: maps come out with sorted keys, which for the ASCII names
// and strings of these tests is what RFC 8785 writes.
func (s *refState) canonical(net protocol.NetworkID) []byte {
	tm := func(t time.Time) string { return t.UTC().Format(time.RFC3339) }
	dids := func(ds []protocol.DID) []string {
		out := []string{}
		for _, d := range ds {
			out = append(out, d.String())
		}
		slices.Sort(out)
		return out
	}
	datasets := map[string]any{}
	for id, d := range s.datasets {
		datasets[id.String()] = map[string]any{"proposal": d.proposal.String(), "reason": d.reason, "status": string(d.status)}
	}
	params := map[string]any{}
	for k, v := range s.params {
		params[k] = v
	}
	proposals := []any{}
	for _, p := range s.proposals {
		q := p.u.Propose
		m := map[string]any{
			"action": string(q.Action), "expires": tm(q.Expires), "id": p.u.ID.String(), "no": dids(p.no),
			"proposer": p.u.Author.String(), "status": string(p.status), "time": tm(p.u.Time), "yes": dids(p.yes),
		}
		if p.status != gov.ProposalOpen {
			m["closed_by"] = p.closedBy.String()
		}
		if p.status == gov.ProposalVoid {
			m["void"] = p.void
		}
		switch q.Action {
		case gov.ActAddSteward, gov.ActRemoveSteward:
			m["did"] = q.DID.String()
		case gov.ActSetThreshold:
			m["threshold"] = q.Threshold
		case gov.ActRevokeKey:
			m["did"], m["effective"], m["reason"] = q.DID.String(), tm(q.Effective), q.Reason
		case gov.ActDatasetStatus:
			m["dataset"], m["dataset_status"], m["reason"] = q.Dataset.String(), string(q.Status), q.Reason
		case gov.ActSetParam:
			m["name"], m["value"] = q.Name, q.Value
		}
		proposals = append(proposals, m)
	}
	var revokedDIDs []protocol.DID
	for d := range s.revoked {
		revokedDIDs = append(revokedDIDs, d)
	}
	revoked := []any{}
	for _, d := range dids(revokedDIDs) {
		r := s.revoked[protocol.MustParseDID(d)]
		revoked = append(revoked, map[string]any{"did": d, "effective": tm(r.effective), "proposal": r.proposal.String(), "reason": r.reason})
	}
	var stewards []protocol.DID
	for d := range s.stewards {
		stewards = append(stewards, d)
	}
	state := map[string]any{
		"datasets": datasets, "network": net.String(), "params": params, "proposals": proposals,
		"revoked": revoked, "stewards": dids(stewards), "threshold": s.threshold, "time": tm(s.clock), "updates": s.updates,
	}
	if len(s.rotated) > 0 {
		var from []protocol.DID
		for d := range s.rotated {
			from = append(from, d)
		}
		rotated := []any{}
		for _, d := range dids(from) {
			r := s.rotated[protocol.MustParseDID(d)]
			rotated = append(rotated, map[string]any{"from": d, "to": r.to.String(), "update": r.update.String()})
		}
		state["rotated"] = rotated
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(state); err != nil {
		panic(err)
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n"))
}
