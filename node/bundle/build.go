package bundle

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"

	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/protocol/gov"
	"github.com/commons-p2p/commons/protocol/manifest"
	"github.com/commons-p2p/commons/store"
)

// Source is what Build reads: a node's store and its governance, the
// state and the updates taken together.
type Source struct {
	Store   *store.Store
	Genesis []byte        // the genesis file's bytes, whose ID is the network ID
	State   *gov.State    // the state Updates fold to
	Updates []*gov.Update // every update placed in the DAG
	// Chunk returns a chunk of the manifest of dataset; nil reads the
	// store alone.
	Chunk func(dataset protocol.ID, id manifest.ChunkID) ([]byte, error)
}

// buildAttempts bounds how often Build gathers the pieces again when an
// object stored meanwhile changed the answer.
const buildAttempts = 3

// Build makes the bundle of subject: the answers the store and the state
// give (Recompute), and every piece they rest on (SPEC.md §6.4).
func Build(src Source, subject protocol.ID) (*Bundle, error) {
	const op = "build bundle"
	if src.State == nil {
		return nil, protocol.E(op, protocol.NotFound, "no governance: the node belongs to no network")
	}
	_, network, err := protocol.DecodeGenesis(src.Genesis)
	if err != nil {
		return nil, protocol.E(op, protocol.KindOf(err), "genesis: %w", err)
	}
	if network != src.State.Network() {
		return nil, protocol.E(op, protocol.Invalid, "the genesis founds network %s, the governance is of %s", network, src.State.Network())
	}
	b := &Bundle{
		Type: Type, Subject: subject, Network: network, Genesis: src.Genesis,
		Governance: Governance{StateHash: src.State.Hash(), Heads: src.State.Heads(), Updates: updatePieces(src.Updates)},
		Objects:    []Piece{}, Chunks: []Chunk{},
	}
	for attempt := 1; ; attempt++ {
		before, err := Recompute(src.Store, src.State, subject)
		if err != nil {
			return nil, err
		}
		objs, err := gather(src.Store, subject)
		if err != nil {
			return nil, err
		}
		after, err := Recompute(src.Store, src.State, subject)
		if err != nil {
			return nil, err
		}
		if !reflect.DeepEqual(before, after) && attempt < buildAttempts {
			continue // an object arrived meanwhile: the pieces may not give the answer
		}
		b.Answers = after
		if b.Objects, b.Chunks, err = pieces(src, objs); err != nil {
			return nil, err
		}
		return b, nil
	}
}

func updatePieces(us []*gov.Update) []Piece {
	out := make([]Piece, 0, len(us))
	for _, u := range us {
		out = append(out, Piece{ID: u.ID, Envelope: json.RawMessage(u.Encode())})
	}
	sortPieces(out)
	return slices.CompactFunc(out, func(a, b Piece) bool { return a.ID == b.ID })
}

// pieces encodes objs and reads the root chunk of every manifest they
// name, each list sorted by ID.
func pieces(src Source, objs map[protocol.ID]*protocol.Object) ([]Piece, []Chunk, error) {
	chunk := src.Chunk
	if chunk == nil {
		chunk = func(_ protocol.ID, id manifest.ChunkID) ([]byte, error) { return src.Store.Chunk(id) }
	}
	out := make([]Piece, 0, len(objs))
	var chunks []Chunk
	seen := map[manifest.ChunkID]bool{}
	for _, id := range sortedIDs(objs) {
		o := objs[id]
		out = append(out, Piece{ID: id, Envelope: json.RawMessage(o.Envelope.Encode())})
		if o.Kind != protocol.KindDataset || o.Dataset.Manifest == nil {
			continue
		}
		root := manifest.ChunkIDFromDigest(o.Dataset.Manifest.Root.Digest())
		if seen[root] {
			continue
		}
		seen[root] = true
		b, err := chunk(id, root)
		if err != nil {
			return nil, nil, protocol.E("build bundle", protocol.KindOf(err), "the root chunk of the manifest of dataset %s: %w", id, err)
		}
		chunks = append(chunks, Chunk{ID: root, Data: b})
	}
	slices.SortFunc(chunks, func(a, b Chunk) int { return strings.Compare(a.ID.String(), b.ID.String()) })
	return out, nonNil(chunks), nil
}

// sortedIDs returns the IDs of objs in the order of their text.
func sortedIDs(objs map[protocol.ID]*protocol.Object) []protocol.ID {
	type keyed struct {
		text string
		id   protocol.ID
	}
	ks := make([]keyed, 0, len(objs))
	for id := range objs {
		ks = append(ks, keyed{id.String(), id})
	}
	slices.SortFunc(ks, func(a, b keyed) int { return strings.Compare(a.text, b.text) })
	ids := make([]protocol.ID, len(ks))
	for i, k := range ks {
		ids[i] = k.id
	}
	return ids
}

// sortPieces sorts ps by the text of their IDs.
func sortPieces(ps []Piece) {
	slices.SortFunc(ps, func(a, b Piece) int { return strings.Compare(a.ID.String(), b.ID.String()) })
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// gather returns every object stored in s that an answer about subject
// may read, to any depth: the subject; for an artifact, the derivations
// that made it; the records and derivations made from the subject, with
// the claims about them; every ancestor, through parents and inputs, and the
// makers of every artifact among them; every claim about any of these and
// about those claims; and the rotations of every key that signed or is
// named by one of them, and of the keys those rotations name.
func gather(s *store.Store, subject protocol.ID) (map[protocol.ID]*protocol.Object, error) {
	g := gatherer{s: s, objs: map[protocol.ID]*protocol.Object{}, visited: map[protocol.ID]bool{}, keys: map[protocol.DID]bool{}}
	g.queue = append(g.queue, subject)
	if err := g.children(subject); err != nil {
		return nil, err
	}
	for len(g.queue) > 0 || len(g.keyQueue) > 0 {
		if len(g.queue) > 0 {
			id := g.queue[len(g.queue)-1]
			g.queue = g.queue[:len(g.queue)-1]
			if err := g.visit(id); err != nil {
				return nil, err
			}
			continue
		}
		d := g.keyQueue[len(g.keyQueue)-1]
		g.keyQueue = g.keyQueue[:len(g.keyQueue)-1]
		rotations, err := s.RotationsOf(d)
		if err != nil {
			return nil, err
		}
		g.push(rotations...)
	}
	return g.objs, nil
}

type gatherer struct {
	s        *store.Store
	objs     map[protocol.ID]*protocol.Object
	visited  map[protocol.ID]bool
	queue    []protocol.ID
	keys     map[protocol.DID]bool
	keyQueue []protocol.DID
}

func (g *gatherer) push(ids ...protocol.ID) {
	for _, id := range ids {
		if !g.visited[id] {
			g.visited[id] = true
			g.queue = append(g.queue, id)
		}
	}
}

func (g *gatherer) key(ds ...protocol.DID) {
	for _, d := range ds {
		if !d.IsZero() && !g.keys[d] {
			g.keys[d] = true
			g.keyQueue = append(g.keyQueue, d)
		}
	}
}

// children adds the records and derivations that name subject as a
// parent or input, with the claims about them, but not their other
// ancestors: what was made from the subject, as far as this store knows.
func (g *gatherer) children(subject protocol.ID) error {
	ids, err := g.s.Children(subject)
	if err != nil {
		return err
	}
	for _, id := range ids {
		if g.visited[id] {
			continue
		}
		g.visited[id] = true
		o, err := g.s.Object(id)
		if protocol.IsKind(err, protocol.NotFound) {
			continue
		}
		if err != nil {
			return err
		}
		g.objs[id] = o
		g.key(o.Issuer())
		g.key(o.Envelope.Signers()...)
		claims, err := g.s.ClaimsAbout(id)
		if err != nil {
			return err
		}
		g.push(claims...)
	}
	return nil
}

func (g *gatherer) visit(id protocol.ID) error {
	g.visited[id] = true
	claims, err := g.s.ClaimsAbout(id)
	if err != nil {
		return err
	}
	g.push(claims...)
	if !id.IsObject() {
		makers, err := g.s.Makers(id.Digest())
		if err != nil {
			return err
		}
		g.push(makers...)
		return nil
	}
	o, err := g.s.Object(id)
	if protocol.IsKind(err, protocol.NotFound) {
		return nil // an ancestor not held here: the answer says so too
	}
	if err != nil {
		return err
	}
	g.objs[id] = o
	g.push(o.Parents()...)
	g.key(o.Issuer())
	g.key(o.Envelope.Signers()...)
	switch {
	case o.Attribution != nil:
		g.key(o.Attribution.Contributor)
	case o.Rotation != nil:
		g.key(o.Rotation.From, o.Rotation.To)
	}
	return nil
}
