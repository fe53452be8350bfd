package api

import "github.com/commons-p2p/commons/protocol"

// NoticeContentType is the media type of GET /v1/notice/{id}.
const NoticeContentType = "text/markdown; charset=utf-8"

// DefaultNoticeTrust is the trust level at or above which a notice lists
// contributors when none is asked for (SPEC.md §4.8).
const DefaultNoticeTrust = protocol.Acknowledged

// LicenseReport answers GET /v1/license/{id}: the subject's licence, every
// licence upstream of it along its whole lineage, whether the subject's
// licence keeps their terms, and what they oblige (SPEC.md §4.8).
type LicenseReport struct {
	Subject protocol.ID `json:"subject"`
	// License is the subject's licence expression as its record gives it;
	// empty for a subject with no licence of its own (an artifact, a
	// derivation, a claim, or one not stored here).
	License     string              `json:"license"`
	Properties  []string            `json:"properties"` // of the subject's licence
	Compatible  bool                `json:"compatible"`
	Upstream    []LicenseUpstream   `json:"upstream"`    // by depth, then ID
	Conflicts   []LicenseConflict   `json:"conflicts"`   // in the order of upstream
	Obligations []LicenseObligation `json:"obligations"` // by kind, then licence
	// Standing is the subject's status in the commons, which governance
	// sets (SPEC.md §8).
	Standing *Standing `json:"standing,omitempty"`
}

// LicenseUpstream is one work upstream of the subject whose licence
// counts: a dataset, or an ancestor not stored here (its licence unknown,
// Kind "unknown").
type LicenseUpstream struct {
	ID         protocol.ID  `json:"id"`
	Kind       string       `json:"kind"`
	Name       string       `json:"name,omitempty"`
	License    string       `json:"license"`
	Publisher  protocol.DID `json:"publisher,omitzero"`
	Depth      int          `json:"depth"`
	Properties []string     `json:"properties"`
	Standing   *Standing    `json:"standing,omitempty"` // a delisted dataset's licence binds all the same
}

// LicenseConflict is an upstream licence whose terms the subject's licence
// does not keep, and why. Upstream is the subject itself when its own
// licence cannot hold (two share-alike licences at once).
type LicenseConflict struct {
	Upstream protocol.ID `json:"upstream"`
	Reason   string      `json:"reason"`
}

// LicenseObligation is what one upstream licence asks of whoever shares
// the subject, with the upstream works under it.
type LicenseObligation struct {
	Kind     string        `json:"kind"` // attribution, share-alike, non-commercial, no-derivatives, unknown
	License  string        `json:"license"`
	Upstream []protocol.ID `json:"upstream"`
	Text     string        `json:"text"`
}
