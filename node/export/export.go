// Package export writes what a node knows of an object's lineage and
// attribution in standard formats that tools outside commons read
// (SPEC.md §6.5): W3C PROV-JSON, MLCommons Croissant 1.0 JSON-LD,
// Graphviz DOT, and the in-toto bundle of the signed envelopes behind the
// answer.
//
// Every export is a function of a store and a governance policy, computed
// from the same attribution answer as GET /v1/attribution (store.Attribution):
// a program with no daemon and no network can call it on an in-memory store.
// The same objects give byte-identical documents on every node: every list
// is written in sorted order. Text that others wrote (names, notes,
// reasons) is only ever written through an encoder of the target format,
// never spliced into it.
//
// It must never ask the network nor change the store.
package export

import (
	"github.com/commons-p2p/commons/node/api"
	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/protocol/manifest"
	"github.com/commons-p2p/commons/store"
)

// Source is what an export is made from.
type Source struct {
	Store  *store.Store
	Policy protocol.Policy // the governance policy trust is judged under; nil: no stewards, no revoked keys
	// Standings gives the status governance gives a dataset, nil when it
	// gives none; a nil Standings gives none to any.
	Standings func(protocol.ID) *api.Standing
	// Chunks reads the chunks of a dataset's manifest (Croissant); nil
	// reads them from Store alone.
	Chunks func(dataset protocol.ID, root manifest.ChunkID) manifest.Fetch
	// Attribution, when not nil, is the attribution of the subject already
	// read from Store under Policy, which the export then does not read
	// again; nil reads it.
	Attribution *store.Attribution
}

// Export writes the lineage and attribution of id in format f.
func Export(src Source, id protocol.ID, f api.ExportFormat) ([]byte, error) {
	switch f {
	case api.ExportPROV:
		return PROV(src, id)
	case api.ExportCroissant:
		return Croissant(src, id)
	case api.ExportDOT:
		return DOT(src, id)
	case api.ExportInToto:
		return InToto(src, id)
	}
	_, err := api.ParseExportFormat(string(f))
	return nil, err
}

// ObjectIRI is the IRI that names an object or artifact in the JSON-LD and
// PROV documents: a name, not a place to fetch it from.
func ObjectIRI(id protocol.ID) string { return objectNS + id.String() }

const (
	objectNS  = "https://commons.network/id/"
	commonsNS = "https://commons.network/ns#"
)
