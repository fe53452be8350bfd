package protocol

import (
	"crypto/sha256"

	"github.com/ipfs/go-cid"
)

// The keys a node announces on the network's DHT (SPEC.md §7.2). A provider
// record under one of them says "this peer can serve what the key names".
//
// The Kademlia DHT files provider records under a key's multihash, not under
// the whole CID: two CIDs with different codecs over the same multihash are
// one record. That is why an object key and a file key are simply the ID's
// CID (their multihashes are the sha2-256 of the payload and of the file),
// and why a key that means something else about the same subject — "who
// holds claims about X" — must be the hash of its own input: a CID of X with
// another codec would land on X's own record, and its holders are not the
// same peers.

// ClaimsAboutDomain begins the input whose sha2-256 is a claims-about key.
// It separates that input from any other hashed bytes of the protocol (an
// object's payload is a JSON object and begins with "{"), and its version
// lets a later derivation live beside this one.
const ClaimsAboutDomain = "commons/claims-about/v1\n"

// ObjectKey is the DHT key under which a node announces that it holds the
// object (or artifact) id: the ID's own CID. Its multihash is the sha2-256
// of the object's payload (of the artifact's bytes).
func ObjectKey(id ID) cid.Cid { return id.Cid() }

// FileKey is the DHT key of a file by its sha2-256 digest d: the artifact
// ID's CID (CIDv1, raw codec). A node announces it for every file of every
// dataset it holds, so that "who knows about this file?" is one lookup.
func FileKey(d Digest) cid.Cid { return ArtifactID(d).Cid() }

// ClaimsAboutKey is the DHT key under which a node announces that it holds
// claims (attributions, endorsements, revocations, …) about subject: the
// CIDv1, raw codec, of the sha2-256 of ClaimsAboutDomain followed by the
// subject ID's binary form (§4.2). It is the CID of those bytes, so any tool
// that hashes bytes to a raw CID computes it.
func ClaimsAboutKey(subject ID) cid.Cid { return domainKey(ClaimsAboutDomain, subject.Bytes()) }

// RotationsDomain begins the input whose sha2-256 is a rotations key, as
// ClaimsAboutDomain does for claims.
const RotationsDomain = "commons/rotations/v1\n"

// RotationsKey is the DHT key under which a node announces that it holds
// rotations (SPEC.md §3.4) whose old or new key is d: the CIDv1, raw
// codec, of the sha2-256 of RotationsDomain followed by d's 32-byte
// Ed25519 public key.
func RotationsKey(d DID) cid.Cid { return domainKey(RotationsDomain, d.PublicKey()) }

// DerivedFromDomain begins the input whose sha2-256 is a derived-from key,
// as ClaimsAboutDomain does for claims.
const DerivedFromDomain = "commons/derived-from/v1\n"

// DerivedFromKey is the DHT key under which a node announces that it holds
// datasets that name id among their parents, or derivations that name it
// among their inputs: what was made from id. It is the CIDv1, raw codec,
// of the sha2-256 of DerivedFromDomain followed by id's binary form (§4.2),
// as ClaimsAboutKey is.
func DerivedFromKey(id ID) cid.Cid { return domainKey(DerivedFromDomain, id.Bytes()) }

// domainKey is the key of a domain's input: the CIDv1, raw codec, of the
// sha2-256 of domain followed by id, the binary form of what the key is
// about.
func domainKey(domain string, id []byte) cid.Cid {
	h := sha256.New()
	h.Write([]byte(domain))
	h.Write(id)
	var d Digest
	h.Sum(d[:0])
	return FileKey(d)
}
