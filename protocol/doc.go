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
// Nothing is drawn at random: there is no batch equation with random
// weights (verifysig.go says why).
//
// The JSON of the wire is read by a strict decoder of its own
// (strictjson.go and the files it names) rather than by encoding/json/v2
// (github.com/go-json-experiment/json), which refuses duplicate and unknown
// names, invalid UTF-8 and unpaired surrogates as SPEC §2.1 asks. That
// decoder was measured against this one on the corpus and on the vectors
// (strictv2_test.go, strictv2_bench_test.go): it has no required members,
// and takes IDs and times in spellings SPEC §3.2 refuses, so it accepts
// what the door must refuse; followed by the key scan that restores those
// rules, it decides exactly as this one does, but takes 2 to 6 times as
// long per value and slows VerifyObject and bulk ingest by more than 5%.
// The one-pass fast paths stay, each fuzzed against the reference path.
//
// SPEC.md at the root of the repository is the normative text; this package
// is its reference implementation.
package protocol
