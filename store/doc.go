// Package store is the index of a commons node: one Badger database that
// holds every verified object the node knows and the indexes that answer
// "who contributed to this, at what trust level, and where did it come
// from?" without decoding envelopes.
//
// The store trusts its caller to have verified each object (signatures,
// statement rules) before Put: it never sees unverified bytes, and it must
// never fetch anything, talk to the network or decide governance. What it
// does decide are the rules that need the index: a revocation of a stored
// claim is refused unless its issuer is the claim's issuer, a revocation
// of something that is not a claim is refused, and only the signatures
// that carry meaning for an object (a key with a role in it, or on an
// attribution any key within the limits, role holders and their parties
// first: roles.go) are stored. The store never writes an envelope it could not read back: every
// o/ value is within the limits of SPEC.md §2.1, checked right before it is
// written, and one that an earlier version wrote over them is read trimmed
// and rewritten (repair.go).
//
// Objects arrive in any order on a network. A revocation or an endorsement
// may be stored before the claim it names; when the claim arrives, what was
// said about it earlier is folded into its summary. Nothing is ever parked.
// Rotations join keys into parties (SPEC.md §4.6); which of them count
// depends on the governance policy of the moment, so nothing is
// precomputed from them: the attribution query walks the parties of each
// claim's role holders over r/ when it reads (rotation.go).
//
// # Keys
//
// Every key is human-readable: a family letter, '/', then parts separated
// by '/'. An <id> is an object or artifact ID in its CID string form
// ("bagaaiera…" for objects, "bafkrei…" for artifacts), a <did> is a
// did:key string; neither ever contains '/'. SchemaVersion is bumped
// whenever a family, a key layout or a value encoding changes.
//
//	o/<id>                  the envelope JSON (Envelope.Encode); the signatures
//	                        with meaning of every copy received, merged as a
//	                        union, within the limits of SPEC.md §2.1
//	m/<id>                  meta record of every object (encodeMeta): kind,
//	                        issuer, subject (a dataset's manifest root), created, name
//	d/<id>                  empty: the object is a dataset
//	s/<subject>/<id>        claim summary (encodeSummary) of an attribution,
//	                        endorsement or revocation whose subject is <subject>
//	c/<did>/<id>            empty: attribution <id> names contributor <did>
//	i/<did>/<id>            empty: o/<id> holds a signature by <did>
//	f/<sha256 hex>/<id>     the paths, '\n'-joined, under which dataset or
//	                        derivation <id> lists a file with that digest (a
//	                        manifest's entries: the first 64, by IndexManifest)
//	p/<parent>/<child>      empty: <child> (dataset or derivation) derives from <parent>
//	l/<child>/<parent>      the same edge, read from the child: empty for
//	                        weight 1, else the weight (encodeEdgeWeight)
//	r/<did>/<id>            the other key (did) of rotation <id>, whose from or
//	                        to is <did>; written under both keys (rotation.go)
//	k/<chunk id>            the bytes of a manifest chunk (SPEC.md §3.8), filed
//	                        by the raw CID of their SHA-256 (chunks.go)
//	w/<id>                  empty: the manifest of dataset <id> is held whole,
//	                        checked and its f/ entries committed (manifest.go)
//	g/<id>                  a governance update (SPEC.md §8), its encoded envelope as it arrived
//	x/schema                the schema version, decimal ASCII
//	x/count/<kind>          objects of a kind stored, 8 bytes big-endian
//	x/count/chunk           manifest chunks stored, 8 bytes big-endian
//
// The value encodings are in codec.go, meta.go and summary.go, and byte by
// byte in SCHEMA.md beside this file (SPEC.md §5 says what every node must
// do with its index, whatever its layout). Summaries are kept
// current on every write: a claim's summary lists its signers, and for an
// attribution also the issuers of endorsements of it that are not
// withdrawn, and a withdrawn flag set when a revocation by the claim's own
// issuer is stored.
//
// One object is one transaction: its envelope and all its index entries
// commit together, or not at all. The exceptions are an object whose
// file index is too large for a Badger transaction (tens of thousands of
// files): its f/ entries commit first, and readers ignore an f/ entry whose
// object has no m/ record yet; and a dataset with a manifest, whose files
// are indexed once its chunks are all held (IndexManifest), in
// transactions of bounded size, before its w/ marker, without which
// readers ignore its f/ entries.
//
// The weights of l/ came with parent_weights and input_weights, without
// a new version: a store of an earlier version holds no record with
// weights (its nodes refuse the members), so its empty values are the
// weight 1 they stand for, and its readers ignore the values.
//
// Version 3 added k/, w/ and x/count/chunk, and the manifest root as a
// dataset's subject in m/. A version 1 or 2 store holds none of them and
// is marked 3 when first opened for writing (checkSchema).
package store

// SchemaVersion is the version of the key families and value encodings
// above. Open refuses a store written with another version.
const SchemaVersion = 3
