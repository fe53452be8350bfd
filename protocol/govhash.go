package protocol

import (
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The canonical form of a state (SPEC.md §8.7) is the JSON object below,
// serialised as RFC 8785 (JCS) does: members sorted by name, no white
// space, strings with the fewest escapes, integers in decimal. Its SHA-256
// is the state hash. The writer spells the members in sorted order by
// hand; TestGovCanonicalIsJCS checks that a JCS serialiser agrees.
//
//	{"datasets": {ID: {"proposal", "reason", "status"}},
//	 "network": ID,
//	 "params": {NAME: VALUE},
//	 "proposals": [{"action", "closed_by"?, "dataset"?, "dataset_status"?,
//	                "did"?, "effective"?, "expires", "id", "name"?, "no",
//	                "proposer", "reason"?, "status", "threshold"?, "time",
//	                "value"?, "void"?, "yes"}, …],
//	 "revoked": [{"did", "effective", "proposal", "reason"}, …],
//	 "stewards": [DID, …],
//	 "threshold": N,
//	 "time": TIME,
//	 "updates": N}

// Hash returns the state hash, "sha256:" and 64 hex digits: the SHA-256
// of the canonical form. Two states with equal hashes are equal. It is
// computed once per snapshot, in time linear in the size of the state.
func (s *GovState) Hash() string {
	s.hashOnce.Do(func() {
		h := sha256.New()
		w := canonWriter{out: h, dids: make(map[DID]string)}
		w.state(s)
		w.flush()
		s.hash = "sha256:" + hex.EncodeToString(h.Sum(nil))
	})
	return s.hash
}

// Canonical returns the canonical form of s, the bytes Hash hashes.
func (s *GovState) Canonical() []byte {
	w := canonWriter{dids: make(map[DID]string)}
	w.state(s)
	return w.buf
}

// canonWriter writes a canonical form into buf, passing it on to out (when
// set) in pieces. It remembers the text of each DID it writes: the same few
// stewards recur, and base58 is dear.
type canonWriter struct {
	buf  []byte
	out  hash.Hash
	dids map[DID]string
}

func (w *canonWriter) flush() {
	if w.out != nil {
		w.out.Write(w.buf)
		w.buf = w.buf[:0]
	}
}

func (w *canonWriter) raw(s string) { w.buf = append(w.buf, s...) }

// key writes ,"name": — or "name": at the start of an object, where
// first is set.
func (w *canonWriter) key(name string, first bool) {
	if !first {
		w.buf = append(w.buf, ',')
	}
	w.str(name)
	w.buf = append(w.buf, ':')
}

func (w *canonWriter) int(n int) { w.buf = strconv.AppendInt(w.buf, int64(n), 10) }

func (w *canonWriter) time(t time.Time) { w.str(formatGovTime(t)) }

func (w *canonWriter) id(id ID) { w.str(govIDText(id)) }

func (w *canonWriter) did(d DID) { w.str(w.didText(d)) }

func (w *canonWriter) didText(d DID) string {
	text, ok := w.dids[d]
	if !ok {
		text = d.String()
		w.dids[d] = text
	}
	return text
}

// str writes s as JCS does (RFC 8785 §3.2.2.2): \" \\ \b \f \n \r \t,
// other control characters as \u00xx, everything else as itself. s is
// UTF-8: the decoders refuse anything else.
func (w *canonWriter) str(s string) {
	const hexDigits = "0123456789abcdef"
	w.buf = append(w.buf, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			w.buf = append(w.buf, '\\', c)
		case c >= 0x20:
			w.buf = append(w.buf, c)
		case c == '\b':
			w.buf = append(w.buf, '\\', 'b')
		case c == '\f':
			w.buf = append(w.buf, '\\', 'f')
		case c == '\n':
			w.buf = append(w.buf, '\\', 'n')
		case c == '\r':
			w.buf = append(w.buf, '\\', 'r')
		case c == '\t':
			w.buf = append(w.buf, '\\', 't')
		default:
			w.buf = append(w.buf, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
		}
	}
	w.buf = append(w.buf, '"')
	if len(w.buf) >= 32<<10 {
		w.flush()
	}
}

func (w *canonWriter) state(s *GovState) {
	f := s.f
	w.raw(`{"datasets":{`)
	dsIDs := slices.Collect(maps.Keys(f.datasets.m))
	dsTexts := make(map[ID]string, len(dsIDs))
	for _, id := range dsIDs {
		dsTexts[id] = govIDText(id)
	}
	slices.SortFunc(dsIDs, func(a, b ID) int { return strings.Compare(dsTexts[a], dsTexts[b]) })
	for i, id := range dsIDs {
		d := f.datasets.m[id]
		w.key(dsTexts[id], i == 0)
		w.raw(`{"proposal":`)
		w.id(d.Proposal)
		w.raw(`,"reason":`)
		w.str(d.Reason)
		w.raw(`,"status":`)
		w.str(string(d.Status))
		w.raw(`}`)
	}
	w.raw(`},"network":`)
	w.id(s.network.ID())
	w.raw(`,"params":{`)
	for i, name := range slices.Sorted(maps.Keys(f.params.m)) {
		w.key(name, i == 0)
		w.str(f.params.m[name])
	}
	w.raw(`},"proposals":[`)
	for i := range f.props.len() {
		if i > 0 {
			w.raw(",")
		}
		w.proposal(f.props.at(i))
	}
	w.raw(`],"revoked":[`)
	for i, r := range s.Revoked() {
		if i > 0 {
			w.raw(",")
		}
		w.raw(`{"did":`)
		w.did(r.DID)
		w.raw(`,"effective":`)
		w.time(r.Effective)
		w.raw(`,"proposal":`)
		w.id(r.Proposal)
		w.raw(`,"reason":`)
		w.str(r.Reason)
		w.raw(`}`)
	}
	w.raw(`],"stewards":`)
	w.didList(slices.Collect(maps.Keys(f.stewards.m)))
	w.raw(`,"threshold":`)
	w.int(f.threshold)
	w.raw(`,"time":`)
	w.time(s.Time())
	w.raw(`,"updates":`)
	w.int(f.updates)
	w.raw(`}`)
}

// proposal writes a proposal's members in sorted order: those of every
// proposal, and those its action uses.
func (w *canonWriter) proposal(r *govProposalRec) {
	p := r.p
	a := p.Action
	w.raw(`{"action":`)
	w.str(string(a))
	if r.status != ProposalOpen {
		w.raw(`,"closed_by":`)
		w.id(r.closedBy)
	}
	if a == ActDatasetStatus {
		w.raw(`,"dataset":`)
		w.id(p.Dataset)
		w.raw(`,"dataset_status":`)
		w.str(string(p.Status))
	}
	if a == ActAddSteward || a == ActRemoveSteward || a == ActRevokeKey {
		w.raw(`,"did":`)
		w.did(p.DID)
	}
	if a == ActRevokeKey {
		w.raw(`,"effective":`)
		w.time(p.Effective)
	}
	w.raw(`,"expires":`)
	w.time(p.Expires)
	w.raw(`,"id":`)
	w.id(r.id)
	if a == ActSetParam {
		w.raw(`,"name":`)
		w.str(p.Name)
	}
	w.raw(`,"no":`)
	w.didList(r.no)
	w.raw(`,"proposer":`)
	w.did(r.proposer)
	if a == ActRevokeKey || a == ActDatasetStatus {
		w.raw(`,"reason":`)
		w.str(p.Reason)
	}
	w.raw(`,"status":`)
	w.str(string(r.status))
	if a == ActSetThreshold {
		w.raw(`,"threshold":`)
		w.int(p.Threshold)
	}
	w.raw(`,"time":`)
	w.time(r.time)
	if a == ActSetParam {
		w.raw(`,"value":`)
		w.str(p.Value)
	}
	if r.status == ProposalVoid {
		w.raw(`,"void":`)
		w.str(r.why)
	}
	w.raw(`,"yes":`)
	w.didList(r.yes)
	w.raw(`}`)
}

// didList writes DIDs as an array sorted by text.
func (w *canonWriter) didList(ds []DID) {
	texts := make([]string, len(ds))
	for i, d := range ds {
		texts[i] = w.didText(d)
	}
	slices.Sort(texts)
	w.raw("[")
	for i, t := range texts {
		if i > 0 {
			w.raw(",")
		}
		w.str(t)
	}
	w.raw("]")
}

// govIDText is id.String() for the IDs of governance, which are all CIDv1
// in base32: "b" and the base32 of the binary CID, made without going
// through multibase, as a state hash spells thousands of them.
func govIDText(id ID) string {
	if id.IsZero() {
		return ""
	}
	bin := id.c.KeyString()
	out := make([]byte, 1+base32Lower.EncodedLen(len(bin)))
	out[0] = 'b'
	base32Lower.Encode(out[1:], []byte(bin))
	return string(out)
}
