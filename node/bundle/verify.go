package bundle

import (
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/protocol/gov"
	"github.com/commons-p2p/commons/protocol/manifest"
	"github.com/commons-p2p/commons/store"
)

// Options configure VerifyWith. The zero value is the default of each.
type Options struct {
	// Now is the verifier's clock, against which every piece is checked
	// for a time in the future, as a node checks what it receives;
	// default time.Now.
	Now func() time.Time
	// Network, when not zero, is the only network whose bundles are
	// accepted; default: any, named in the Result.
	Network protocol.NetworkID
}

// Result is what a verified bundle proves: the answers, recomputed from
// its pieces, about its subject on its network.
type Result struct {
	Subject   protocol.ID        `json:"subject"`
	Network   protocol.NetworkID `json:"network"`
	StateHash string             `json:"state_hash"`
	Objects   int                `json:"objects"`
	Updates   int                `json:"updates"`
	Chunks    int                `json:"chunks"`
	Answers
}

// Verify is VerifyWith with the default options.
func Verify(raw []byte) (*Result, error) { return VerifyWith(raw, Options{}) }

const verifyOp = "verify bundle"

// VerifyWith checks bundle raw (SPEC.md §6.4) with no daemon, no repo and
// no network: the genesis against the network ID, every governance update
// through governance's door and fold, every chunk and envelope through a
// store in memory, then the answers, recomputed (Recompute), against the
// bundle's. Its error, of kind Invalid (TooLarge for a bundle over a
// limit), names the piece refused.
func VerifyWith(raw []byte, opts Options) (*Result, error) {
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	b, err := Decode(raw)
	if err != nil {
		return nil, err
	}
	if !opts.Network.IsZero() && b.Network != opts.Network {
		return nil, protocol.E(verifyOp, protocol.Invalid, "the bundle is of network %s, not %s", b.Network, opts.Network)
	}
	state, err := checkGovernance(b, now())
	if err != nil {
		return nil, err
	}
	s, err := store.Open(store.Options{InMemory: true, Bulk: true})
	if err != nil {
		return nil, err
	}
	defer s.Close()
	if err := putChunks(s, b.Chunks); err != nil {
		return nil, err
	}
	objs, err := putObjects(s, b.Objects, now())
	if err != nil {
		return nil, err
	}
	putRotations(s, b, now())
	if err := checkManifests(s, objs); err != nil {
		return nil, err
	}
	for _, n := range namedObjects(b.Answers.Attribution) {
		if _, ok := objs[n.id]; !ok {
			return nil, protocol.E(verifyOp, protocol.Invalid, "object %s, which the answer names at %s, is missing from the bundle", n.id, n.where)
		}
	}
	got, err := Recompute(s, state, b.Subject)
	if err != nil {
		return nil, err
	}
	if err := compareAnswers(b.Answers, got); err != nil {
		return nil, err
	}
	return &Result{
		Subject: b.Subject, Network: b.Network, StateHash: state.Hash(),
		Objects: len(b.Objects), Updates: len(b.Governance.Updates), Chunks: len(b.Chunks),
		Answers: got,
	}, nil
}

// checkGovernance checks the genesis against the bundle's network, admits
// every update through governance's door at now, folds them, and checks
// that nothing is missing and the state is the one the bundle names.
func checkGovernance(b *Bundle, now time.Time) (*gov.State, error) {
	g, network, err := protocol.DecodeGenesis(b.Genesis)
	if err != nil {
		return nil, protocol.E(verifyOp, protocol.Invalid, "genesis: %w", err)
	}
	if network != b.Network {
		return nil, protocol.E(verifyOp, protocol.Invalid, "genesis: it founds network %s, not the bundle's network %s", network, b.Network)
	}
	updates := make([]*gov.Update, 0, len(b.Governance.Updates))
	at := map[protocol.ID]int{}
	for i, p := range b.Governance.Updates {
		if j, ok := at[p.ID]; ok {
			return nil, protocol.E(verifyOp, protocol.Invalid, "governance update %s appears twice (governance.updates[%d] and [%d])", p.ID, j, i)
		}
		at[p.ID] = i
		u, err := gov.Admit(p.Envelope, p.ID, network, now)
		if err != nil {
			return nil, protocol.E(verifyOp, protocol.Invalid, "governance update %s (governance.updates[%d]): %w", p.ID, i, err)
		}
		updates = append(updates, u)
	}
	dag := gov.New(g, network)
	if _, err := dag.AddAll(updates); err != nil {
		return nil, protocol.E(verifyOp, protocol.Invalid, "governance: %w", err)
	}
	if missing := dag.Missing(); len(missing) > 0 {
		return nil, protocol.E(verifyOp, protocol.Invalid, "governance update %s is missing: an update of the bundle names it as a parent", missing[0])
	}
	for _, h := range b.Governance.Heads {
		if !dag.Has(h) {
			return nil, protocol.E(verifyOp, protocol.Invalid, "governance update %s, a head of the bundle's governance, is missing", h)
		}
	}
	state := dag.State()
	if heads := state.Heads(); !slices.Equal(heads, b.Governance.Heads) {
		return nil, protocol.E(verifyOp, protocol.Invalid, "governance: the updates end in the heads %s, the bundle says %s", idList(heads), idList(b.Governance.Heads))
	}
	if h := state.Hash(); h != b.Governance.StateHash {
		return nil, protocol.E(verifyOp, protocol.Invalid, "governance: the updates fold to the state %s, the bundle says %s", h, protocol.Clip(b.Governance.StateHash))
	}
	return state, nil
}

func idList(ids []protocol.ID) string {
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = id.String()
	}
	return "[" + strings.Join(s, " ") + "]"
}

// putChunks stores the chunks, each checked by the store (DecodeChunk)
// and against its ID.
func putChunks(s *store.Store, chunks []Chunk) error {
	at := map[manifest.ChunkID]int{}
	data := make([][]byte, len(chunks))
	for i, c := range chunks {
		if j, ok := at[c.ID]; ok {
			return protocol.E(verifyOp, protocol.Invalid, "chunk %s appears twice (chunks[%d] and [%d])", c.ID, j, i)
		}
		at[c.ID] = i
		data[i] = c.Data
	}
	results, err := s.PutChunks(data)
	if err != nil {
		return err
	}
	for i, r := range results {
		switch {
		case r.ID != chunks[i].ID:
			return protocol.E(verifyOp, protocol.Invalid, "chunk %s (chunks[%d]): its bytes are chunk %s", chunks[i].ID, i, r.ID)
		case r.Err != nil:
			return protocol.E(verifyOp, protocol.Invalid, "chunk %s (chunks[%d]): %w", chunks[i].ID, i, r.Err)
		}
	}
	return nil
}

// putObjects checks every envelope as a node checks what it receives —
// its signatures, its statement, its ID and its time — and stores the
// objects, each subject before the claims about it (putOrder).
//
// The work is spread over every core and overlapped: the envelopes are
// decoded and their statements parsed first, which gives the order in
// which they are stored; the signatures are then checked in that order
// while the objects already checked are stored, a batch at a time. The
// answer does not depend on that schedule: once every piece is checked,
// the first piece refused in bundle order is named, as VerifyObject would
// refuse it, before any refusal of the store, and nothing stored counts
// unless every piece passed.
func putObjects(s *store.Store, pieces []Piece, now time.Time) (map[protocol.ID]*protocol.Object, error) {
	n := len(pieces)
	envs := make([]*protocol.Envelope, n)
	objs := make([]*protocol.Object, n)
	errs := make([]error, n) // what refuses piece i, once its signatures are checked
	parsed := make([]error, n)
	parallel(n, func(i int) {
		env, err := protocol.DecodeEnvelope(pieces[i].Envelope)
		if err != nil {
			errs[i] = err
			return
		}
		envs[i] = env
		// A statement is given meaning only once its signatures verify
		// (check): until then its parse error waits, as in VerifyObject.
		objs[i], parsed[i] = protocol.ParseObject(env)
	})
	// The pieces to store are those that decoded and parsed, each ID once;
	// the rest are checked only to name the first piece refused.
	byID := make(map[protocol.ID]*protocol.Object, n)
	at := make(map[protocol.ID]int, n)
	var rest []int
	list := make([]*protocol.Object, 0, n) // in bundle order
	for i, p := range pieces {
		if _, dup := at[p.ID]; dup || envs[i] == nil {
			if envs[i] != nil {
				rest = append(rest, i)
			}
			continue
		}
		at[p.ID] = i
		if parsed[i] != nil || objs[i].ID != p.ID {
			rest = append(rest, i)
			continue
		}
		byID[p.ID] = objs[i]
		list = append(list, objs[i])
	}
	order := putOrder(list, byID)
	check := func(i int) {
		switch err := envs[i].Verify(); {
		case err != nil:
			errs[i] = err
		case parsed[i] != nil:
			errs[i] = parsed[i]
		case objs[i].ID != pieces[i].ID:
			errs[i] = fmt.Errorf("its envelope is object %s", objs[i].ID)
		default:
			errs[i] = protocol.CheckTime(objs[i], now)
		}
	}
	// The signatures, in the order of storing, on every core; each batch
	// of that order says when it is checked.
	nb := (len(order) + putBatch - 1) / putBatch
	left := make([]atomic.Int32, nb)
	ready := make([]chan struct{}, nb)
	for b := range nb {
		left[b].Store(int32(min(putBatch, len(order)-b*putBatch)))
		ready[b] = make(chan struct{})
	}
	checked := make(chan struct{})
	go func() {
		defer close(checked)
		parallel(len(order)+len(rest), func(k int) {
			if k >= len(order) {
				check(rest[k-len(order)])
				return
			}
			check(at[order[k].ID])
			if left[k/putBatch].Add(-1) == 0 {
				close(ready[k/putBatch])
			}
		})
	}()
	// Meanwhile, store each batch checked, while every piece before it
	// passed.
	var refused, failed error
	batch := make([]*protocol.Object, 0, putBatch)
	for b := range nb {
		<-ready[b]
		if refused != nil || failed != nil {
			continue
		}
		batch = batch[:0]
		for _, o := range order[b*putBatch : min((b+1)*putBatch, len(order))] {
			if errs[at[o.ID]] != nil {
				refused = errs[at[o.ID]] // named below, in bundle order
				break
			}
			batch = append(batch, o)
		}
		if refused != nil {
			continue
		}
		results, err := s.PutBatch(batch)
		if err != nil {
			failed = err
			continue
		}
		for j, r := range results {
			if r.Err != nil {
				id := batch[j].ID
				refused = protocol.E(verifyOp, protocol.Invalid, "object %s (objects[%d]): the store refuses it: %w", id, at[id], r.Err)
				break
			}
		}
	}
	<-checked
	seen := make(map[protocol.ID]int, n)
	for i, p := range pieces {
		if errs[i] != nil {
			return nil, protocol.E(verifyOp, protocol.Invalid, "object %s (objects[%d]): %w", p.ID, i, errs[i])
		}
		if j, ok := seen[p.ID]; ok {
			return nil, protocol.E(verifyOp, protocol.Invalid, "object %s appears twice (objects[%d] and [%d])", p.ID, j, i)
		}
		seen[p.ID] = i
	}
	if failed != nil {
		return nil, failed
	}
	if refused != nil {
		return nil, refused
	}
	return byID, nil
}

// putBatch is how many objects putObjects stores at once.
const putBatch = 2048

// putOrder sorts objs so that every object comes after the object it is
// about, when the bundle holds it: rotations, records, then claims by
// their distance from a record. A store judges a claim's co-signatures by
// its subject (SPEC.md §2.5), so the subject goes first, as on any node
// that received them in order.
func putOrder(objs []*protocol.Object, byID map[protocol.ID]*protocol.Object) []*protocol.Object {
	depth := make(map[protocol.ID]int, len(objs))
	var depthOf func(o *protocol.Object, limit int) int
	depthOf = func(o *protocol.Object, limit int) int {
		if d, ok := depth[o.ID]; ok {
			return d
		}
		d := 0
		if about, ok := byID[o.About]; ok && !o.About.IsZero() && limit > 0 {
			d = depthOf(about, limit-1) + 1
		}
		depth[o.ID] = d
		return d
	}
	for _, o := range objs {
		depthOf(o, 8)
	}
	out := slices.Clone(objs)
	slices.SortStableFunc(out, func(a, b *protocol.Object) int {
		if c := depth[a.ID] - depth[b.ID]; c != 0 {
			return c
		}
		return kindRank(a.Kind) - kindRank(b.Kind)
	})
	return out
}

func kindRank(k protocol.ObjectKind) int {
	switch k {
	case protocol.KindRotation:
		return 0
	case protocol.KindDataset, protocol.KindDerivation:
		return 1
	}
	return 2
}

// putRotations stores the rotation each governance update carries, as a
// node does when it places the update (SPEC.md §8.4): a rotation the
// store refuses counts for nothing here as there.
func putRotations(s *store.Store, b *Bundle, now time.Time) {
	for _, p := range b.Governance.Updates {
		u, err := gov.DecodeUpdate(p.Envelope) // admitted already
		if err != nil || u.Rotate == nil {
			continue
		}
		if held, err := s.Has(u.Rotate.ID); err != nil || held {
			continue
		}
		if protocol.CheckTime(u.Rotate, now) == nil {
			s.Put(u.Rotate)
		}
	}
}

// checkManifests refuses a bundle without the root chunk of the manifest
// of a dataset it holds.
func checkManifests(s *store.Store, objs map[protocol.ID]*protocol.Object) error {
	for _, id := range sortedIDs(objs) {
		o := objs[id]
		if o.Kind != protocol.KindDataset || o.Dataset.Manifest == nil {
			continue
		}
		root := manifest.ChunkIDFromDigest(o.Dataset.Manifest.Root.Digest())
		if _, err := s.Chunk(root); err != nil {
			if protocol.IsKind(err, protocol.NotFound) {
				return protocol.E(verifyOp, protocol.Invalid, "chunk %s, the root of the manifest of dataset %s, is missing from the bundle", root, id)
			}
			return err
		}
	}
	return nil
}

// parallel runs f(i) for every i in [0, n) on every core.
func parallel(n int, f func(i int)) {
	workers := max(1, min(runtime.GOMAXPROCS(0), n))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				f(i)
			}
		})
	}
	wg.Wait()
}
