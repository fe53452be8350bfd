package gov

import (
	"crypto/sha256"
	"encoding/base32"
	"encoding/hex"
	"hash"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/commons-p2p/commons/protocol"
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
//	 "rotated": [{"from", "to", "update"}, …],  only when not empty
//	 "stewards": [DID, …],
//	 "threshold": N,
//	 "time": TIME,
//	 "updates": N}

// Hash returns the state hash, "sha256:" and 64 hex digits: the SHA-256
// of the canonical form. Two states with equal hashes are equal. It is
// computed once per snapshot, in time linear in the size of the state.
func (s *State) Hash() string {
	s.hashOnce.Do(func() {
		h := sha256.New()
		w := canonWriter{out: h, dids: make(map[protocol.DID]string), buf: make([]byte, 0, 40<<10)}
		w.state(s)
		h.Write(w.buf)
		s.hash = "sha256:" + hex.EncodeToString(h.Sum(nil))
	})
	return s.hash
}

// Canonical returns the canonical form of s, the bytes Hash hashes.
func (s *State) Canonical() []byte {
	w := canonWriter{dids: make(map[protocol.DID]string), buf: make([]byte, 0, 512*(1+s.f.props.len()))}
	w.state(s)
	return w.buf
}

// canonWriter writes a canonical form into buf, passing it on to out (when
// set) in pieces. It remembers the text of each DID it writes: the same few
// stewards recur, and base58 is dear.
type canonWriter struct {
	buf   []byte
	out   hash.Hash
	dids  map[protocol.DID]string
	texts []string // scratch for didList
}

// flush passes buf on to out, when there is an out and buf holds enough.
func (w *canonWriter) flush() {
	if w.out != nil && len(w.buf) >= 32<<10 {
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

// time writes t as "2006-01-02T15:04:05Z", in UTC.
func (w *canonWriter) time(t time.Time) {
	t = t.UTC()
	y, mo, d := t.Date()
	h, mi, s := t.Clock()
	w.buf = append(w.buf, '"')
	w.buf = appendDigits(w.buf, y, 4)
	w.buf = append(w.buf, '-')
	w.buf = appendDigits(w.buf, int(mo), 2)
	w.buf = append(w.buf, '-')
	w.buf = appendDigits(w.buf, d, 2)
	w.buf = append(w.buf, 'T')
	w.buf = appendDigits(w.buf, h, 2)
	w.buf = append(w.buf, ':')
	w.buf = appendDigits(w.buf, mi, 2)
	w.buf = append(w.buf, ':')
	w.buf = appendDigits(w.buf, s, 2)
	w.buf = append(w.buf, 'Z', '"')
}

// appendDigits appends n, in [0, 10^width), in width decimal digits.
func appendDigits(b []byte, n, width int) []byte {
	for i := width - 1; i >= 0; i-- {
		d := n
		for range i {
			d /= 10
		}
		b = append(b, byte('0'+d%10))
	}
	return b
}

// plain writes a string that needs no escape: an ID or a DID.
func (w *canonWriter) plain(s string) {
	w.buf = append(w.buf, '"')
	w.buf = append(w.buf, s...)
	w.buf = append(w.buf, '"')
}

func (w *canonWriter) id(id protocol.ID) { w.plain(govIDText(id)) }

func (w *canonWriter) did(d protocol.DID) { w.plain(w.didText(d)) }

func (w *canonWriter) didText(d protocol.DID) string {
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
	plain := 0 // s[plain:i] is yet to be written
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		w.buf = append(w.buf, s[plain:i]...)
		plain = i + 1
		switch {
		case c == '"' || c == '\\':
			w.buf = append(w.buf, '\\', c)
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
	w.buf = append(w.buf, s[plain:]...)
	w.buf = append(w.buf, '"')
}

func (w *canonWriter) state(s *State) {
	f := s.f
	w.raw(`{"datasets":{`)
	datasets := f.datasets.values()
	slices.SortFunc(datasets, func(a, b govDataset) int { return strings.Compare(a.text, b.text) })
	for i, d := range datasets {
		if i > 0 {
			w.raw(",")
		}
		w.plain(d.text)
		w.raw(`:{"proposal":`)
		w.plain(d.proposal.idString())
		w.raw(`,"reason":`)
		w.str(d.Reason)
		w.raw(`,"status":`)
		w.str(string(d.Status))
		w.raw(`}`)
		w.flush()
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
		w.flush()
	}
	w.raw(`],"revoked":[`)
	revoked := f.revoked.values()
	slices.SortFunc(revoked, func(a, b Revocation) int { return strings.Compare(w.didText(a.DID), w.didText(b.DID)) })
	for i, r := range revoked {
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
	w.raw(`]`)
	if len(f.rotated.m) > 0 { // absent otherwise: a state without rotations keeps its hash
		w.raw(`,"rotated":[`)
		for i, r := range s.Rotations() {
			if i > 0 {
				w.raw(",")
			}
			w.raw(`{"from":`)
			w.did(r.From)
			w.raw(`,"to":`)
			w.did(r.To)
			w.raw(`,"update":`)
			w.id(r.Update)
			w.raw(`}`)
		}
		w.raw(`]`)
	}
	w.raw(`,"stewards":`)
	w.didList(slices.Collect(maps.Keys(f.stewards.m)))
	w.raw(`,"threshold":`)
	w.int(f.threshold)
	w.raw(`,"time":`)
	w.time(s.Time())
	w.raw(`,"updates":`)
	w.int(f.updates)
	w.raw(`}`)
}

// canonOnce holds the canonical form of a closed proposal, which never
// changes: written once, by whichever snapshot's hash needs it first, and
// then copied. It makes a hash after the first cost little more than the
// SHA-256 of its bytes.
type canonOnce struct {
	once sync.Once
	b    []byte
}

// proposal writes a proposal: from its cache when it is closed.
func (w *canonWriter) proposal(r *govProposalRec) {
	if r.canon == nil {
		w.proposalFields(r)
		return
	}
	r.canon.once.Do(func() {
		start := len(w.buf)
		w.proposalFields(r)
		r.canon.b = slices.Clone(w.buf[start:])
		w.buf = w.buf[:start]
	})
	w.buf = append(w.buf, r.canon.b...)
}

// proposalFields writes a proposal's members in sorted order: those of
// every proposal, and those its action uses.
func (w *canonWriter) proposalFields(r *govProposalRec) {
	p := r.u.Propose
	op := opOf(p.Action)
	w.raw(`{"action":`)
	w.str(string(p.Action))
	if r.status != ProposalOpen {
		w.raw(`,"closed_by":`)
		w.plain(r.closedBy.idString())
	}
	if op.uses(fieldDataset) {
		w.raw(`,"dataset":`)
		w.id(p.Dataset)
	}
	if op.uses(fieldStatus) {
		w.raw(`,"dataset_status":`)
		w.str(string(p.Status))
	}
	if op.uses(fieldDID) {
		w.raw(`,"did":`)
		w.did(p.DID)
	}
	if op.uses(fieldEffective) {
		w.raw(`,"effective":`)
		w.time(p.Effective)
	}
	w.raw(`,"expires":`)
	w.time(p.Expires)
	w.raw(`,"id":`)
	w.plain(r.u.idString())
	if op.uses(fieldName) {
		w.raw(`,"name":`)
		w.str(p.Name)
	}
	w.raw(`,"no":`)
	w.didList(r.no)
	w.raw(`,"proposer":`)
	w.did(r.u.Author)
	if op.uses(fieldReason) {
		w.raw(`,"reason":`)
		w.str(p.Reason)
	}
	w.raw(`,"status":`)
	w.str(string(r.status))
	if op.uses(fieldThreshold) {
		w.raw(`,"threshold":`)
		w.int(p.Threshold)
	}
	w.raw(`,"time":`)
	w.time(r.u.Time)
	if op.uses(fieldValue) {
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
func (w *canonWriter) didList(ds []protocol.DID) {
	texts := w.texts[:0]
	for _, d := range ds {
		texts = append(texts, w.didText(d))
	}
	slices.Sort(texts)
	w.texts = texts
	w.raw("[")
	for i, t := range texts {
		if i > 0 {
			w.raw(",")
		}
		w.plain(t)
	}
	w.raw("]")
}

// base32Lower is the alphabet of multibase "b", without padding.
var base32Lower = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// govIDText is id.String() for the IDs of governance, which are all CIDv1
// in base32: "b" and the base32 of the binary CID, made without going
// through multibase, as a state hash spells thousands of them.
func govIDText(id protocol.ID) string {
	if id.IsZero() {
		return ""
	}
	bin := id.Cid().KeyString()
	out := make([]byte, 1+base32Lower.EncodedLen(len(bin)))
	out[0] = 'b'
	base32Lower.Encode(out[1:], []byte(bin))
	return string(out)
}
