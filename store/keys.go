package store

import (
	"bytes"

	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/protocol/manifest"
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
	famRotation    = "r/"
	famGovernance  = "g/" // reserved
	famChunk       = "k/"
	famWhole       = "w/"
	famInternal    = "x/"

	keySchema      = famInternal + "schema"
	keyCountPrefix = famInternal + "count/"
	keyChunkCount  = keyCountPrefix + "chunk"
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

// chunkKey is where the bytes of manifest chunk id live.
func chunkKey(id manifest.ChunkID) []byte { return []byte(famChunk + id.String()) }

// wholeKey marks dataset id whose manifest is held whole and indexed.
func wholeKey(id protocol.ID) []byte { return []byte(famWhole + id.String()) }

func countKey(k protocol.ObjectKind) string { return keyCountPrefix + k.String() }

// keyBuf builds the writer's keys: the layouts above, spelled into one
// buffer per transaction (Badger keeps every key until the commit) from
// names that each transaction computes once. TestKeyBufLayouts checks
// that both spellings agree.
type keyBuf struct {
	names
	buf []byte
}

// keyBufChunk is the size of each buffer that keys are cut from.
const keyBufChunk = 64 << 10

// join returns family, then parts, as a new key.
func (k *keyBuf) join(family string, parts ...string) []byte {
	n := len(family)
	for _, p := range parts {
		n += len(p)
	}
	if cap(k.buf)-len(k.buf) < n {
		k.buf = make([]byte, 0, max(n, keyBufChunk))
	}
	start := len(k.buf)
	k.buf = append(k.buf, family...)
	for _, p := range parts {
		k.buf = append(k.buf, p...)
	}
	return k.buf[start:len(k.buf):len(k.buf)]
}

func (k *keyBuf) object(id protocol.ID) []byte  { return k.join(famObject, k.id(id)) }
func (k *keyBuf) meta(id protocol.ID) []byte    { return k.join(famMeta, k.id(id)) }
func (k *keyBuf) dataset(id protocol.ID) []byte { return k.join(famDataset, k.id(id)) }

func (k *keyBuf) claim(subject, claim protocol.ID) []byte {
	return k.join(famSubject, k.id(subject), "/", k.id(claim))
}

func (k *keyBuf) claimsPrefix(subject protocol.ID) []byte {
	return k.join(famSubject, k.id(subject), "/")
}

func (k *keyBuf) contributor(d protocol.DID, id protocol.ID) []byte {
	return k.join(famContributor, k.did(d), "/", k.id(id))
}

func (k *keyBuf) signer(d protocol.DID, id protocol.ID) []byte {
	return k.join(famSigner, k.did(d), "/", k.id(id))
}

func (k *keyBuf) file(d protocol.Digest, id protocol.ID) []byte {
	return k.join(famFile, d.Hex(), "/", k.id(id))
}

func (k *keyBuf) child(parent, child protocol.ID) []byte {
	return k.join(famChild, k.id(parent), "/", k.id(child))
}

func (k *keyBuf) lineage(child, parent protocol.ID) []byte {
	return k.join(famLineage, k.id(child), "/", k.id(parent))
}

// names caches the string forms of IDs and DIDs. Encoding a CID or a
// did:key costs more than building the key around it, and a batch spells
// the same ones again and again: an object's ID in each of its keys, a
// dataset's ID in the key of every claim about it, an issuer's DID in
// every envelope it signed.
type names struct {
	ids  map[protocol.ID]string
	dids map[protocol.DID]string
}

func (n *names) id(id protocol.ID) string {
	s, ok := n.ids[id]
	if !ok {
		if n.ids == nil {
			n.ids = make(map[protocol.ID]string)
		}
		s = id.String()
		n.ids[id] = s
	}
	return s
}

func (n *names) did(d protocol.DID) string {
	s, ok := n.dids[d]
	if !ok {
		if n.dids == nil {
			n.dids = make(map[protocol.DID]string)
		}
		s = d.String()
		n.dids[d] = s
	}
	return s
}

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
