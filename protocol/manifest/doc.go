// Package manifest is the file list of a dataset too large for one signed
// record: a chunked, sorted, Merkle-linked tree of entries (path, size,
// sha256), SPEC.md §3.8.
//
// A dataset record stays small and signed and names the root chunk of its
// manifest; every chunk is named by the SHA-256 of its bytes, so a chunk is
// data, not a claim, and needs no signature: the signed root covers it.
// Chunk boundaries are chosen by a hash of the entries' keys alone, never
// by their position or their neighbours, so that a tree is a pure function
// of its set of entries: a new version that changes a few files rewrites
// only the chunks on the paths from those entries to the root, and two
// publishers of the same files build the same chunks.
//
// The package is pure, like protocol: chunks arrive through a function the
// caller gives (Fetch) and leave through another (Put). It never touches
// the network, the disk or the clock. Every chunk read is checked against
// its ID and against what its parent says of it (level, key range, count,
// bytes) before anything in it is used.
package manifest
