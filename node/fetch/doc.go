// Package fetch is the fetch protocol of commons, /commons/fetch/1.0.0
// (SPEC.md §7.3): a node asks a peer for objects by ID, for the IDs of the
// claims it holds about a subject, for the datasets it holds that name a
// file (with the paths under which they name it), for the IDs of the
// datasets and derivations it holds that name a subject as parent or
// input, for manifest chunks by ID, or for governance DAG nodes.
//
// One request per stream. The client opens a stream, writes one request
// frame, closes its write side and reads response frames until an end
// frame. A frame is an unsigned varint length followed by that many bytes:
// one type byte and a body. Every limit is checked before the bytes it
// guards are read, so a peer can make a reader allocate no more than one
// frame of the largest type that the reader accepts at that point, and
// only as fast as the peer actually sends it.
//
// The Server answers from a Source and defends itself: deadlines on every
// read and write, a cap on the streams it serves at once (in all and per
// peer), a per-peer request rate, and a Penalty hook told of every peer
// that breaks the protocol. The Client trusts nothing it reads: every
// object is checked under protocol.VerifyObject's rules (in groups, by
// protocol.VerifyObjects) and must be
// the object it asked for, at the place it asked for it; anything else
// resets the stream, penalises the peer and fails the call with an error
// of kind Invalid. A manifest chunk must hash to the ID asked for at its
// place and decode (manifest.DecodeChunk); what its parent says of it is
// for the reader of the tree to check.
// The client credits no one: a peer earns credit for what the node
// accepted (stored), which the caller, past the rest of the node's door,
// alone knows.
//
// The package must never store anything, never import the store (the node
// adapts its store to Source), and never hand out an object that did not
// verify. Governance nodes are the one exception to verification:
// their rules live in the governance layer, so GovNodes returns raw bytes
// that the caller must verify before use.
//
// The decoders (DecodeRequest, the frame reader, the response readers) are
// pure functions of their input bytes, fuzzed in fuzz_test.go.
package fetch
