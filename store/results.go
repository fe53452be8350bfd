package store

import (
	"time"

	"github.com/commons-p2p/commons/protocol"
)

// PutResult says what storing one object changed.
type PutResult struct {
	ID      protocol.ID
	Kind    protocol.ObjectKind
	New     bool // the object was not stored before
	Added   int  // signatures added (all of them when New)
	Signers int  // signatures on the stored object now
	// Err is set by PutBatch when this object alone was refused; the rest
	// of the batch is stored all the same.
	Err error
}

// Attribution answers "who contributed to this, at what trust level, and
// where did it come from?" from the local index. The node adds what
// governance says of each dataset and writes it as the HTTP API's
// Attribution.
type Attribution struct {
	Subject      protocol.ID
	Kind         string // dataset, derivation, attribution, …, artifact, or unknown when the subject is not stored
	Name         string
	Publisher    protocol.DID
	Contributors []Contributor
	Endorsements []EndorsementView
	Lineage      []Ancestor
}

// Contributor is one attribution claim about a subject, with its trust.
type Contributor struct {
	DID     protocol.DID
	Role    string
	Weight  float64
	Trust   protocol.Trust
	Claim   protocol.ID
	Issuer  protocol.DID
	Signers []protocol.DID
	Created time.Time
	Note    string
}

// EndorsementView is one endorsement of a subject.
type EndorsementView struct {
	ID        protocol.ID
	Issuer    protocol.DID
	Standard  string
	Level     string
	Steward   bool // the issuer is a current steward
	Withdrawn bool
	Created   time.Time
}

// Ancestor is a dataset (or input) in the lineage of a subject, with its
// own contributors.
type Ancestor struct {
	ID           protocol.ID
	Name         string
	Kind         string      // unknown when the ancestor is not stored here
	Depth        int         // 1 for a parent, 2 for a grandparent, …
	Via          protocol.ID // the child it is an ancestor through
	Contributors []Contributor
}

// Location is a dataset that holds a file with a given digest.
type Location struct {
	Dataset protocol.ID
	Name    string // the dataset's name
	Paths   []string
}
