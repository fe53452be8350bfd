package manifest

import (
	"crypto/sha256"
	"encoding/binary"
	"math/bits"

	"github.com/commons-p2p/commons/protocol"
	"golang.org/x/text/unicode/norm"
)

// Limits and parameters of the format, SPEC.md §3.8. Changing any of them
// changes which trees are canonical, so they are part of the format's
// version (Magic).
const (
	// Magic begins every chunk: it separates chunk bytes from every other
	// input of SHA-256 in the protocol (a payload begins with "{", a DHT
	// key input with "commons/claims-about/v1\n") and versions the format.
	Magic = "commons/manifest/v1\n"

	MaxLeafEntries   = 256                     // entries of a leaf chunk (level 0)
	MaxBranchEntries = 256                     // children of a branch chunk (level ≥ 1)
	MaxLevel         = 10                      // the highest level of a root: at most 11 chunks from root to entry
	MaxKeyLen        = 3 * protocol.MaxPathLen // NFC may lengthen a path, at most threefold
	MaxChunkSize     = 1 << 20                 // bytes of one chunk, 1 MiB; the limits above keep a chunk well below it

	// LeafBits and BranchBits set the boundaries: a key ends a chunk of
	// level ℓ when the first 64 bits of its boundary hash have at least
	// LeafBits + ℓ·BranchBits leading zeros. Leaves then hold 16 entries
	// on average, branches 32 children.
	LeafBits   = 4
	BranchBits = 5

	// BoundaryDomain begins the input of a key's boundary hash.
	BoundaryDomain = "commons/manifest/boundary/v1\n"
)

// Entry is one file of a dataset: its path inside the dataset, its size in
// bytes and the SHA-256 of its bytes.
type Entry struct {
	Path   string
	Size   int64
	Digest protocol.Digest
}

// Key is the key that orders entries and that lookups compare: the path in
// Unicode NFC. Two paths with one key name one file (SPEC.md §3.3), so a
// tree, whose keys are strictly ascending, never holds both.
func (e Entry) Key() string { return Key(e.Path) }

// Key returns the NFC form of path, the key under which a tree files it.
func Key(path string) string {
	if norm.NFC.IsNormalString(path) {
		return path
	}
	return norm.NFC.String(path)
}

// ChunkID names a chunk by the SHA-256 of its bytes. Its text is the
// CIDv1 (raw codec, sha2-256) of those bytes: the chunk's ID as any tool
// that hashes bytes computes it, and its key on the DHT.
type ChunkID struct{ d protocol.Digest }

// SumChunk returns the ID of the chunk whose bytes are b.
func SumChunk(b []byte) ChunkID { return ChunkID{protocol.SumDigest(b)} }

// ChunkIDFromDigest returns the ID whose digest is d.
func ChunkIDFromDigest(d protocol.Digest) ChunkID { return ChunkID{d} }

// ParseChunkID reads the text of a chunk ID: a CID as protocol.ParseID
// reads it, with codec raw.
func ParseChunkID(s string) (ChunkID, error) {
	id, err := protocol.ParseID(s)
	if err != nil {
		return ChunkID{}, err
	}
	if id.IsObject() {
		return ChunkID{}, protocol.E("parse chunk id", protocol.Invalid, "%s is an object ID (codec json), want a chunk ID (codec raw)", id)
	}
	return ChunkID{id.Digest()}, nil
}

// ID returns the chunk's ID as a protocol ID (an artifact ID: raw codec).
func (c ChunkID) ID() protocol.ID { return protocol.ArtifactID(c.d) }

// Digest returns the SHA-256 of the chunk's bytes.
func (c ChunkID) Digest() protocol.Digest { return c.d }

// IsZero reports whether c names nothing.
func (c ChunkID) IsZero() bool { return c.d == protocol.Digest{} }

func (c ChunkID) String() string { return c.ID().String() }

// MarshalText writes the CID text.
func (c ChunkID) MarshalText() ([]byte, error) { return []byte(c.String()), nil }

// UnmarshalText reads what ParseChunkID reads.
func (c *ChunkID) UnmarshalText(b []byte) error {
	p, err := ParseChunkID(string(b))
	if err != nil {
		return err
	}
	*c = p
	return nil
}

// Root is what a dataset record says of its manifest: the root chunk, the
// number of entries and the sum of their sizes.
type Root struct {
	ID    ChunkID
	Count int64
	Bytes int64
}

// Child is an entry of a branch chunk: a chunk one level down, the key of
// the last entry under it, and the count and total size of the entries
// under it.
type Child struct {
	Last  string
	Count int64
	Bytes int64
	ID    ChunkID
}

// Chunk is a decoded chunk: a leaf (Level 0) holds Entries, a branch
// (Level ≥ 1) holds Children.
type Chunk struct {
	Level    int
	Entries  []Entry
	Children []Child
}

// Len is the number of entries or children.
func (c *Chunk) Len() int {
	if c.Level == 0 {
		return len(c.Entries)
	}
	return len(c.Children)
}

// LastKey is the key of the chunk's last entry or child.
func (c *Chunk) LastKey() string {
	if c.Level == 0 {
		return c.Entries[len(c.Entries)-1].Key()
	}
	return c.Children[len(c.Children)-1].Last
}

// Count and Bytes sum the entries under the chunk.
func (c *Chunk) totals() (count, size int64) {
	if c.Level == 0 {
		for _, e := range c.Entries {
			size += e.Size
		}
		return int64(len(c.Entries)), size
	}
	for _, ch := range c.Children {
		count += ch.Count
		size += ch.Bytes
	}
	return count, size
}

// maxEntries is the most entries a chunk of level may hold.
func maxEntries(level int) int {
	if level == 0 {
		return MaxLeafEntries
	}
	return MaxBranchEntries
}

// IsBoundary reports whether key ends a chunk of the given level: whether
// the first 64 bits of SHA-256(BoundaryDomain ‖ key) have at least
// LeafBits + level·BranchBits leading zeros. A key that ends a chunk of
// one level ends one at every level below it.
func IsBoundary(key string, level int) bool {
	return boundaryZeros(key) >= LeafBits+level*BranchBits
}

func boundaryZeros(key string) int {
	var buf [len(BoundaryDomain) + 256]byte // most keys: hashed without allocating
	in := append(append(buf[:0], BoundaryDomain...), key...)
	sum := sha256.Sum256(in)
	return bits.LeadingZeros64(binary.BigEndian.Uint64(sum[:8]))
}
