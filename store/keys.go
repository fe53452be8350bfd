package store

import (
	"strings"

	"github.com/commons-p2p/commons/protocol"
)

// Key families; doc.go describes each.
const (
	famObject      = "o/"
	famMeta        = "m/"
	famDataset     = "d/"
	famSubject     = "s/"
	famContributor = "c/"
	famSigner      = "i/"
	famFile        = "f/"
	famChild       = "p/"
	famLineage     = "l/"
	famGovernance  = "g/" // reserved
	famInternal    = "x/"

	keySchema      = famInternal + "schema"
	keyCountPrefix = famInternal + "count/"
)

func objectKey(id protocol.ID) string  { return famObject + id.String() }
func metaKey(id protocol.ID) string    { return famMeta + id.String() }
func datasetKey(id protocol.ID) string { return famDataset + id.String() }

// claimKey is where the summary of claim about subject lives.
func claimKey(subject, claim protocol.ID) string {
	return famSubject + subject.String() + "/" + claim.String()
}

func claimsPrefix(subject protocol.ID) string { return famSubject + subject.String() + "/" }

func contributorKey(d protocol.DID, id protocol.ID) string {
	return famContributor + d.String() + "/" + id.String()
}

func signerKey(d protocol.DID, id protocol.ID) string {
	return famSigner + d.String() + "/" + id.String()
}

func fileKey(d protocol.Digest, id protocol.ID) string {
	return famFile + d.Hex() + "/" + id.String()
}

func filePrefix(d protocol.Digest) string { return famFile + d.Hex() + "/" }

func childKey(parent, child protocol.ID) string {
	return famChild + parent.String() + "/" + child.String()
}

func lineageKey(child, parent protocol.ID) string {
	return famLineage + child.String() + "/" + parent.String()
}

func countKey(k protocol.ObjectKind) string { return keyCountPrefix + k.String() }

// lastPart returns what follows the last '/' of a key: the ID that a key
// of every family but x/ ends with.
func lastPart(key []byte) string {
	s := string(key)
	return s[strings.LastIndexByte(s, '/')+1:]
}

// idOfKey parses the ID that ends key.
func idOfKey(key []byte) (protocol.ID, error) {
	id, err := protocol.ParseID(lastPart(key))
	if err != nil {
		return protocol.ID{}, corrupt(key, err)
	}
	return id, nil
}

// corrupt reports a key or value that the store itself wrote and cannot
// read back: a bug or a damaged disk, never the fault of a peer. The cause
// is quoted, not wrapped, so that its kind (Invalid, from a decoder) does
// not make a caller blame whoever sent the object being stored.
func corrupt(key []byte, err error) error {
	return protocol.E("read index", protocol.Other, "corrupt entry %q: %v", clipKey(key), err)
}

func clipKey(key []byte) string {
	if len(key) > 200 {
		return string(key[:200]) + "…"
	}
	return string(key)
}
