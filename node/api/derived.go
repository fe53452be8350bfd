package api

import (
	"time"

	"github.com/commons-p2p/commons/protocol"
)

// Derived answers GET /v1/derived/{id}: what was made from a subject —
// the datasets that name it among their parents, the derivations (models,
// artifacts) that name it among their inputs, and what was made from
// those in turn (SPEC.md §7.5).
type Derived struct {
	Subject protocol.ID `json:"subject"`
	// Derived is sorted by depth, then by the text of the IDs.
	Derived []DerivedItem `json:"derived"`
}

// DerivedItem is one dataset or derivation made from the subject.
type DerivedItem struct {
	ID   protocol.ID `json:"id"`
	Kind string      `json:"kind"` // dataset or derivation
	// Name is a dataset's name, or the name a derivation gives its
	// artifact.
	Name      string       `json:"name,omitempty"`
	Activity  string       `json:"activity,omitempty"` // a derivation's: trained-on, filtered-from, …
	Artifact  protocol.ID  `json:"artifact,omitzero"`  // the artifact a derivation made
	Publisher protocol.DID `json:"publisher"`
	Created   time.Time    `json:"created"`
	Depth     int          `json:"depth"` // 1 for what names the subject itself, 2 for what names one of those, …
	Via       protocol.ID  `json:"via"`   // the parent or input it names, through which it was found
}
