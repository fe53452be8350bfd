package store

import (
	"bytes"

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

// idOfKey parses the ID that ends key, after its last '/'. Queries parse
// thousands of these per call, so the spelling the store writes (multibase
// 'b': lowercase base32, no padding) is decoded here without allocating;
// anything else goes through protocol.ParseID.
func idOfKey(key []byte) (protocol.ID, error) {
	return idOfKeyScratch(key, new(idScratch))
}

// idScratch is room to decode an ID in; a loop that decodes many reuses
// one.
type idScratch [48]byte

func idOfKeyScratch(key []byte, buf *idScratch) (protocol.ID, error) {
	part := key[bytes.LastIndexByte(key, '/')+1:]
	if len(part) > 1 && part[0] == 'b' {
		if n, ok := decodeBase32Lower(buf[:], part[1:]); ok {
			if id, err := protocol.IDFromBytes(buf[:n]); err == nil {
				return id, nil
			}
		}
	}
	id, err := protocol.ParseID(string(part))
	if err != nil {
		return protocol.ID{}, corrupt(key, err)
	}
	return id, nil
}

// base32Values maps each byte to its value in the alphabet
// "abcdefghijklmnopqrstuvwxyz234567" (RFC 4648 base32, lowercase), or 0xff.
var base32Values = func() (t [256]byte) {
	for i := range t {
		t[i] = 0xff
	}
	for i, c := range "abcdefghijklmnopqrstuvwxyz234567" {
		t[c] = byte(i)
	}
	return t
}()

// decodeBase32Lower decodes unpadded lowercase base32 into dst. It refuses
// a character outside the alphabet, output longer than dst, and leftover
// bits that are not zero (a spelling no encoder writes).
func decodeBase32Lower(dst, src []byte) (int, bool) {
	var acc uint64
	var bits uint
	n := 0
	for _, c := range src {
		v := base32Values[c]
		if v == 0xff {
			return 0, false
		}
		acc = acc<<5 | uint64(v)
		bits += 5
		if bits >= 8 {
			bits -= 8
			if n == len(dst) {
				return 0, false
			}
			dst[n] = byte(acc >> bits)
			n++
		}
	}
	return n, acc&(1<<bits-1) == 0
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
