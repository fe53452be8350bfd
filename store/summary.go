package store

import (
	"bytes"
	"slices"
	"time"

	"github.com/commons-p2p/commons/protocol"
)

// summary is what s/<subject>/<claim> holds about a claim: everything the
// attribution query needs, so that it reads one prefix and decodes no
// envelope. Fields that a kind does not have are zero.
type summary struct {
	Kind        protocol.ObjectKind // attribution, endorsement or revocation
	Withdrawn   bool                // attribution, endorsement: a revocation by the issuer is stored
	Created     time.Time
	Issuer      protocol.DID
	Contributor protocol.DID // attribution
	Weight      float64      // attribution
	Role        string       // attribution
	Standard    string       // endorsement
	Level       string       // endorsement
	Note        string       // attribution, endorsement; a revocation's reason
	Signers     []protocol.DID
	Endorsers   []protocol.DID // attribution: issuers of endorsements of it that are not withdrawn
}

// summaryVersion is the first byte of every summary.
const summaryVersion = 1

// summaryContributorAt is the offset of the contributor's public key in
// an encoded summary, which the attribution query reads in place.
const summaryContributorAt = 3 + 12 + didSize

const flagWithdrawn = 1 << 0

func summaryOf(o *protocol.Object) summary {
	s := summary{Kind: o.Kind, Created: o.Created(), Issuer: o.Issuer(), Signers: o.Envelope.Signers()}
	switch o.Kind {
	case protocol.KindAttribution:
		a := o.Attribution
		s.Contributor, s.Weight, s.Role, s.Note = a.Contributor, a.Weight, a.Role, a.Note
	case protocol.KindEndorsement:
		e := o.Endorsement
		s.Standard, s.Level, s.Note = e.Standard, e.Level, e.Note
	case protocol.KindRevocation:
		s.Note = o.Revocation.Reason
	}
	return s
}

// encodeSummary writes a summary:
//
//	u8      version (1)
//	u8      kind
//	u8      flags: bit 0 withdrawn; other bits zero
//	time    created
//	did     issuer
//	did     contributor
//	f64     weight
//	string  role
//	string  standard
//	string  level
//	string  note
//	dids    signers
//	dids    endorsers
func encodeSummary(s summary) []byte {
	n := 3 + 12 + 2*didSize + 8 + len(s.Role) + len(s.Standard) + len(s.Level) + len(s.Note) + 8 +
		didSize*(len(s.Signers)+len(s.Endorsers))
	b := make([]byte, 0, n)
	var flags byte
	if s.Withdrawn {
		flags |= flagWithdrawn
	}
	b = append(b, summaryVersion, byte(s.Kind), flags)
	b = appendTime(b, s.Created)
	b = appendDID(b, s.Issuer)
	b = appendDID(b, s.Contributor)
	b = appendFloat(b, s.Weight)
	b = appendString(b, s.Role)
	b = appendString(b, s.Standard)
	b = appendString(b, s.Level)
	b = appendString(b, s.Note)
	b = appendDIDs(b, s.Signers)
	return appendDIDs(b, s.Endorsers)
}

// decodeSummary reads a summary. Any error is of kind Invalid.
func decodeSummary(b []byte) (summary, error) { return decodeSummaryInterning(b, nil) }

// decodeSummaryInterning is decodeSummary with its strings interned in
// strs (see decoder.strs).
func decodeSummaryInterning(b []byte, strs map[string]string) (summary, error) {
	d := decoder{what: "summary", b: b, strs: strs}
	if v := d.u8(); d.err == nil && v != summaryVersion {
		d.fail("version %d, want %d", v, summaryVersion)
	}
	var s summary
	s.Kind = protocol.ObjectKind(d.u8())
	if d.err == nil && !isClaim(s.Kind) {
		d.fail("kind %s has no summary", s.Kind)
	}
	flags := d.u8()
	if d.err == nil && flags&^flagWithdrawn != 0 {
		d.fail("unknown flags 0x%02x", flags)
	}
	s.Withdrawn = flags&flagWithdrawn != 0
	s.Created = d.time()
	s.Issuer = d.did()
	s.Contributor = d.did()
	s.Weight = d.float()
	s.Role = d.string()
	s.Standard = d.string()
	s.Level = d.string()
	s.Note = d.string()
	s.Signers = d.dids()
	s.Endorsers = d.dids()
	if err := d.finish(); err != nil {
		return summary{}, err
	}
	return s, nil
}

// sortDIDs sorts ds by public key bytes and drops repeats.
func sortDIDs(ds []protocol.DID) []protocol.DID {
	slices.SortFunc(ds, compareDIDs)
	return slices.Compact(ds)
}

func compareDIDs(a, b protocol.DID) int {
	return bytes.Compare(a.PublicKey(), b.PublicKey())
}
