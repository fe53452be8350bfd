// Package protocol is the vocabulary of commons: identities, object IDs,
// signed envelopes, the statements they carry and the rules that decide
// whether a statement is well formed and what trust an attribution earns.
//
// Every object on a commons network is a DSSE envelope signed with Ed25519
// over the DSSE pre-authentication encoding. The signer's key is named by a
// did:key, and verifiers decode the key from it rather than trust the name.
// The payload is an in-toto Statement v1 whose predicateType says what kind
// of object it is: a dataset, an attribution, a derivation, an endorsement or
// a revocation. An object's ID is a CIDv1 (json codec, sha2-256) of its
// payload bytes, so signatures are not part of the ID: a second party can
// co-sign an object and it keeps its ID.
//
// The package is pure. It must never touch the network, the disk or the
// clock: time arrives as an argument, bytes arrive as slices, and decisions
// leave as values. That is what lets every node compute the same answer from
// the same inputs, and what lets the rules be tested without a network.
//
// SPEC.md at the root of the repository is the normative text; this package
// is its reference implementation.
package protocol
