// Package bundle makes and checks offline proof bundles (SPEC.md §6.4): one
// JSON document holding every signed piece behind a node's answers about a
// subject — the envelopes with their signatures merged, the root chunks of
// the manifests, the governance updates and the genesis of the network —
// and the answers the node gave. Verify needs no daemon, no repo and no
// network: it fills a store in memory through the store's own Put and
// governance's own door and fold, and recomputes the answers with the
// node's own code (package answer). It never trusts what a bundle says
// without recomputing it.
package bundle

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"

	"github.com/commons-p2p/commons/node/api"
	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/protocol/manifest"
)

// Type is the "type" of every bundle of this format.
const Type = "https://commons.network/bundle/v1"

// Limits of a bundle (SPEC.md §6.4). The memory Verify takes is a small
// multiple of the bundle's size.
const (
	MaxSize    = 1 << 30 // bytes of the whole document
	MaxObjects = 1 << 21 // envelopes of objects
	MaxUpdates = 1 << 18 // governance updates
	MaxChunks  = 1 << 16 // manifest chunks
)

// Bundle is the wire form of a proof bundle. Every list is sorted by ID
// and holds each ID once.
type Bundle struct {
	Type       string             `json:"type"`
	Subject    protocol.ID        `json:"subject"`
	Network    protocol.NetworkID `json:"network"`
	Genesis    []byte             `json:"genesis"` // the genesis file's bytes, as base64: its ID is the network ID
	Governance Governance         `json:"governance"`
	Objects    []Piece            `json:"objects"`
	Chunks     []Chunk            `json:"chunks"`
	Answers    Answers            `json:"answers"`
}

// Governance is the governance of the network as the node held it when it
// answered: every update it had placed, the heads they end in, and the
// hash of the state they fold to (SPEC.md §8.7).
type Governance struct {
	StateHash string        `json:"state_hash"`
	Heads     []protocol.ID `json:"heads"`
	Updates   []Piece       `json:"updates"`
}

// Piece is one signed envelope and the ID it is given: the ID of its
// payload (SPEC.md §4.2), which Verify recomputes.
type Piece struct {
	ID       protocol.ID     `json:"id"`
	Envelope json.RawMessage `json:"envelope"`
}

// Chunk is one manifest chunk, its bytes as base64, and its ID (the
// SHA-256 of the bytes).
type Chunk struct {
	ID   manifest.ChunkID `json:"id"`
	Data []byte           `json:"data"`
}

// Answers are the answers the node gave about the subject. An answer the
// node does not give is null.
type Answers struct {
	Attribution *api.Attribution   `json:"attribution"`
	Credit      *api.Credit        `json:"credit"` // at api.DefaultCreditTrust
	License     *api.LicenseReport `json:"license"`
}

// Encode writes b as indented JSON with a final newline.
func (b *Bundle) Encode() ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", " ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(b); err != nil {
		return nil, protocol.E("encode bundle", protocol.Other, "%v", err)
	}
	return buf.Bytes(), nil
}

// Decode reads a bundle document: its shape, its type and its limits. It
// checks no signature and no ID: Verify does. The envelopes of the
// bundle's objects may share raw's memory.
func Decode(raw []byte) (*Bundle, error) { return decode(raw, true) }

// decode is Decode, with the scan of the objects (scanObjects) or without.
func decode(raw []byte, scan bool) (*Bundle, error) {
	const op = "decode bundle"
	if len(raw) > MaxSize {
		return nil, protocol.E(op, protocol.TooLarge, "the bundle is %d bytes, over the limit of %d", len(raw), MaxSize)
	}
	var b Bundle
	var pieces []Piece
	var rest []byte
	scanned := false
	if scan {
		pieces, rest, scanned = scanObjects(raw)
	}
	if scanned {
		raw = rest
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&b); err != nil {
		return nil, protocol.E(op, protocol.Invalid, "not a bundle: %v", clipErr(err))
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, protocol.E(op, protocol.Invalid, "not a bundle: data after the document")
	}
	if scanned {
		b.Objects = pieces
	}
	if b.Type != Type {
		return nil, protocol.E(op, protocol.Invalid, "type %q, want %q", protocol.Clip(b.Type), Type)
	}
	switch {
	case b.Subject.IsZero():
		return nil, protocol.E(op, protocol.Invalid, "no subject")
	case b.Network.IsZero():
		return nil, protocol.E(op, protocol.Invalid, "no network")
	case len(b.Genesis) == 0:
		return nil, protocol.E(op, protocol.Invalid, "no genesis")
	case len(b.Objects) > MaxObjects:
		return nil, protocol.E(op, protocol.TooLarge, "%d objects, over the limit of %d", len(b.Objects), MaxObjects)
	case len(b.Governance.Updates) > MaxUpdates:
		return nil, protocol.E(op, protocol.TooLarge, "%d governance updates, over the limit of %d", len(b.Governance.Updates), MaxUpdates)
	case len(b.Chunks) > MaxChunks:
		return nil, protocol.E(op, protocol.TooLarge, "%d chunks, over the limit of %d", len(b.Chunks), MaxChunks)
	case b.Answers.Attribution == nil:
		return nil, protocol.E(op, protocol.Invalid, "no attribution answer")
	}
	for i, p := range b.Objects {
		if err := p.check(fmt.Sprintf("objects[%d]", i)); err != nil {
			return nil, err
		}
	}
	for i, p := range b.Governance.Updates {
		if err := p.check(fmt.Sprintf("governance.updates[%d]", i)); err != nil {
			return nil, err
		}
	}
	for i, c := range b.Chunks {
		if c.ID.IsZero() || len(c.Data) == 0 {
			return nil, protocol.E(op, protocol.Invalid, "chunks[%d]: want an id and data", i)
		}
	}
	return &b, nil
}

func (p Piece) check(where string) error {
	if p.ID.IsZero() || len(p.Envelope) == 0 || string(p.Envelope) == "null" {
		return protocol.E("decode bundle", protocol.Invalid, "%s: want an id and an envelope", where)
	}
	return nil
}

// clipErr keeps a decoder's message short: it may quote the input.
func clipErr(err error) string { return protocol.Clip(err.Error()) }
