package gov

import (
	"cmp"
	"slices"

	"github.com/commons-p2p/commons/protocol"
)

// Bounds on what a DAG holds while it waits for parents (SPEC.md
// §8.8). Past either, the updates held longest are dropped first: they
// are fetched again when a head that descends from them is announced.
const (
	MaxHeld      = 8192     // updates held for missing parents
	MaxHeldBytes = 32 << 20 // bytes they take, counted as their payloads plus 256 each
)

// Checkpoints of the fold, from which a refold starts (see Add). The last
// govDenseWindow positions have one every govDenseEvery updates, the
// positions before them one every govSparseEvery. Variables, so that
// tests can make them small.
var (
	govDenseEvery  = 32
	govDenseWindow = 1024
	govSparseEvery = 1024
)

// govHeldMax and govHeldMaxBytes are the bounds in force: variables so
// that tests can make them small.
var (
	govHeldMax      = MaxHeld
	govHeldMaxBytes = MaxHeldBytes
)

// DAG is the governance DAG of one network and the state its fold
// gives, kept up to date one update at a time. Updates whose parents are
// all placed are placed, in the fold order (SPEC.md §8.3); the others are
// held until their parents arrive. It is not safe for concurrent use; the
// snapshots State returns are.
type DAG struct {
	network protocol.NetworkID

	placed map[protocol.ID]*govNode
	order  []*govNode // placed updates in fold order
	heads  map[protocol.ID]struct{}

	held      map[protocol.ID]*Update
	waiting   map[protocol.ID][]protocol.ID // a missing parent → the held updates that name it
	heldQueue []protocol.ID                 // held updates by arrival, oldest first; placed ones are skipped
	heldBytes int

	live        *govFold // the state after the first applied updates of order
	applied     int      // all of them but while Add works
	checkpoints []govCheckpoint
	epoch       uint64
	snapshot    *State // of live, until the next change
}

// govNode is a placed update.
type govNode struct {
	u       *Update
	text    string // the ID's text, the second key of the fold order
	depth   int
	verdict govVerdict
}

// govCheckpoint is the frozen state after the first pos updates of the order.
type govCheckpoint struct {
	pos   int
	state *govFold
}

// AddResult says what Add did with an update.
type AddResult struct {
	New     bool          // the update was not known before
	Placed  []protocol.ID // it and the held updates it let be placed, in fold order
	Missing []protocol.ID // parents that neither it nor its held ancestors can be placed without: fetch these
	Dropped []protocol.ID // held updates dropped to keep within MaxHeld and MaxHeldBytes
}

// New returns the governance of network, founded by g (valid,
// as DecodeGenesis returns it): no update yet, the state of the genesis.
func New(g *protocol.Genesis, network protocol.NetworkID) *DAG {
	gov := &DAG{
		network: network,
		placed:  make(map[protocol.ID]*govNode),
		heads:   make(map[protocol.ID]struct{}),
		held:    make(map[protocol.ID]*Update),
		waiting: make(map[protocol.ID][]protocol.ID),
		epoch:   1,
	}
	gov.live = newGovFold(g, gov.nextEpoch())
	gov.checkpoints = []govCheckpoint{{0, gov.live.freeze(gov.nextEpoch())}}
	return gov
}

func (g *DAG) nextEpoch() uint64 {
	g.epoch++
	return g.epoch
}

// Fold returns the state that the updates give on network, founded by g,
// computed from scratch. Updates of another network, and those whose
// ancestry is incomplete, are left out. The order of updates does not
// matter.
func Fold(g *protocol.Genesis, network protocol.NetworkID, updates []*Update) *State {
	gov := New(g, network)
	mine := make([]*Update, 0, len(updates))
	for _, u := range updates {
		if u.Network == network {
			mine = append(mine, u)
		}
	}
	gov.AddAll(mine)
	return gov.State()
}

// Add places u in the DAG, or holds it until its parents are placed, and
// brings the state up to date. An update of another network is refused
// (Invalid); one already placed or held changes nothing and is reported
// with New false. An update that sorts after every placed one is applied
// to the state as it stands; one that sorts earlier, as an update from a
// concurrent branch may, makes the fold start again from the last
// checkpoint before it: from at most govDenseEvery updates back plus the
// distance to its place, when that is within govDenseWindow of the end.
func (g *DAG) Add(u *Update) (AddResult, error) {
	return g.AddAll([]*Update{u})
}

// AddAll is Add for many updates at once, in any order, with one refold
// at most: the way to load a stored DAG. New is set if any was new.
func (g *DAG) AddAll(us []*Update) (AddResult, error) {
	for _, u := range us {
		if u.Network != g.network {
			return AddResult{}, protocol.E("add governance update", protocol.Invalid, "update %s is of network %s, not %s", u.ID, u.Network, g.network)
		}
	}
	var res AddResult
	var placed []*govNode
	for _, u := range parentsFirst(us) {
		if g.Has(u.ID) {
			continue
		}
		res.New = true
		placed = g.place(u, placed)
	}
	for _, u := range us {
		if _, held := g.held[u.ID]; held {
			res.Missing = append(res.Missing, g.missing(u)...)
		}
	}
	res.Missing = uniqueIDs(res.Missing)
	res.Dropped = g.trimHeld()
	if len(placed) > 0 {
		g.insert(placed)
		res.Placed = make([]protocol.ID, len(placed))
		for i, n := range placed {
			res.Placed[i] = n.u.ID
		}
	}
	return res, nil
}

// parentsFirst returns us ordered so that an update comes after those of
// us that it names as parents: then loading a stored DAG in any order
// places each update as it comes, instead of holding most of them.
func parentsFirst(us []*Update) []*Update {
	if len(us) < 2 {
		return us
	}
	byID := make(map[protocol.ID]*Update, len(us))
	for _, u := range us {
		byID[u.ID] = u
	}
	out := make([]*Update, 0, len(us))
	done := make(map[protocol.ID]bool, len(us))
	type frame struct {
		u    *Update
		next int // parents of u visited so far
	}
	for _, root := range us {
		for stack := []frame{{root, 0}}; len(stack) > 0; {
			f := &stack[len(stack)-1]
			if done[f.u.ID] {
				stack = stack[:len(stack)-1]
				continue
			}
			if f.next < len(f.u.Parents) {
				p, ok := byID[f.u.Parents[f.next]]
				f.next++
				if ok && !done[p.ID] {
					stack = append(stack, frame{p, 0})
				}
				continue
			}
			done[f.u.ID] = true
			out = append(out, f.u)
			stack = stack[:len(stack)-1]
		}
	}
	return out
}

// place places u if its parents are, and then the held updates waiting for
// it, appending each placed node to placed; else it holds u.
func (g *DAG) place(u *Update, placed []*govNode) []*govNode {
	queue := []*Update{u}
	for len(queue) > 0 {
		u, queue = queue[0], queue[1:]
		if _, done := g.placed[u.ID]; done {
			continue // queued twice: by two parents placed in this pass
		}
		depth, ok := g.depthOf(u)
		if !ok {
			g.hold(u)
			continue
		}
		if _, held := g.held[u.ID]; held {
			delete(g.held, u.ID)
			g.heldBytes -= heldSize(u)
		}
		n := &govNode{u: u, text: u.idString(), depth: depth}
		g.placed[u.ID] = n
		g.heads[u.ID] = struct{}{}
		for _, p := range u.Parents {
			delete(g.heads, p)
		}
		placed = append(placed, n)
		for _, w := range g.waiting[u.ID] {
			if h, ok := g.held[w]; ok {
				queue = append(queue, h)
			}
		}
		delete(g.waiting, u.ID)
	}
	return placed
}

// depthOf returns u's depth if all its parents are placed: 1 more than
// the deepest of them, the genesis being at depth 0.
func (g *DAG) depthOf(u *Update) (int, bool) {
	depth := 0
	for _, p := range u.Parents {
		if p == g.network.ID() {
			continue
		}
		n, ok := g.placed[p]
		if !ok {
			return 0, false
		}
		depth = max(depth, n.depth)
	}
	return depth + 1, true
}

// hold keeps u until its missing parents are placed.
func (g *DAG) hold(u *Update) {
	if _, ok := g.held[u.ID]; ok {
		return
	}
	g.held[u.ID] = u
	g.heldQueue = append(g.heldQueue, u.ID)
	g.heldBytes += heldSize(u)
	for _, p := range u.Parents {
		if _, ok := g.placed[p]; !ok && p != g.network.ID() {
			g.waiting[p] = append(g.waiting[p], u.ID)
		}
	}
}

func heldSize(u *Update) int { return len(u.Envelope.Payload) + 256 }

// missing returns the IDs, neither placed nor held, that held update u or
// its held ancestors name as parents.
func (g *DAG) missing(u *Update) []protocol.ID {
	var out []protocol.ID
	seen := map[protocol.ID]bool{u.ID: true}
	for stack := []*Update{u}; len(stack) > 0; {
		u := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for _, p := range u.Parents {
			if seen[p] || p == g.network.ID() {
				continue
			}
			seen[p] = true
			if h, ok := g.held[p]; ok {
				stack = append(stack, h)
			} else if _, ok := g.placed[p]; !ok {
				out = append(out, p)
			}
		}
	}
	return out
}

// trimHeld drops the updates held longest until the held ones are within
// bounds, and returns their IDs.
func (g *DAG) trimHeld() []protocol.ID {
	var dropped []protocol.ID
	for len(g.held) > govHeldMax || g.heldBytes > govHeldMaxBytes {
		id := g.heldQueue[0]
		g.heldQueue = g.heldQueue[1:]
		u, ok := g.held[id]
		if !ok {
			continue // placed since
		}
		delete(g.held, id)
		g.heldBytes -= heldSize(u)
		for _, p := range u.Parents {
			g.waiting[p] = slices.DeleteFunc(g.waiting[p], func(w protocol.ID) bool { return w == id })
			if len(g.waiting[p]) == 0 {
				delete(g.waiting, p)
			}
		}
		dropped = append(dropped, id)
	}
	if len(g.heldQueue) > 2*len(g.held)+64 { // forget the placed ones
		g.heldQueue = slices.DeleteFunc(g.heldQueue, func(id protocol.ID) bool { _, ok := g.held[id]; return !ok })
	}
	return dropped
}

// compareNodes is the fold order: depth, then the text of the ID.
func compareNodes(a, b *govNode) int {
	if a.depth != b.depth {
		return cmp.Compare(a.depth, b.depth)
	}
	return cmp.Compare(a.text, b.text)
}

// insert puts newly placed nodes into the order and brings the state up to
// date: by applying them, if they all sort after the placed ones, or else
// by folding again from the last checkpoint before the first of them.
func (g *DAG) insert(nodes []*govNode) {
	slices.SortFunc(nodes, compareNodes)
	from := len(g.order)
	switch {
	case from == 0 || compareNodes(nodes[0], g.order[from-1]) > 0:
		g.order = append(g.order, nodes...)
	case len(nodes) <= 16:
		from, _ = slices.BinarySearchFunc(g.order, nodes[0], compareNodes)
		for _, n := range nodes {
			i, _ := slices.BinarySearchFunc(g.order, n, compareNodes)
			g.order = slices.Insert(g.order, i, n)
		}
	default:
		from, _ = slices.BinarySearchFunc(g.order, nodes[0], compareNodes)
		g.order = mergeNodes(g.order, nodes)
	}
	g.snapshot = nil
	if len(nodes) == 1 && from < g.applied && !g.EverSteward(nodes[0].u.Author) {
		g.skip(nodes[0], from)
		return
	}
	if from < g.applied {
		g.rewind(from)
	}
	g.applyFrom(g.applied)
}

// skip places n, an update by an author who was never a steward, at
// position pos without folding again: the fold leaves it out wherever it
// lands, and the state after each later position is as it was. So an
// update that names old parents costs a refold only if a steward wrote it.
func (g *DAG) skip(n *govNode, pos int) {
	n.verdict = govVerdict{ignored: IgnoredNotSteward}
	g.applied++
	for i := range g.checkpoints {
		if g.checkpoints[i].pos > pos {
			g.checkpoints[i].pos++
		}
	}
}

// rewind makes the live state the last checkpoint at or before pos, and
// forgets the later ones.
func (g *DAG) rewind(pos int) {
	k, _ := slices.BinarySearchFunc(g.checkpoints, pos+1, func(c govCheckpoint, p int) int { return cmp.Compare(c.pos, p) })
	g.checkpoints = g.checkpoints[:k]
	g.live = g.checkpoints[k-1].state.thaw(g.nextEpoch())
	g.applied = g.checkpoints[k-1].pos
}

// applyFrom applies the updates of the order from pos to the end, taking
// checkpoints on the way.
func (g *DAG) applyFrom(pos int) {
	for i := pos; i < len(g.order); i++ {
		n := g.order[i]
		n.verdict = g.live.apply(n.u)
		g.applied = i + 1
		if (i+1)%govDenseEvery == 0 {
			g.checkpoint(i + 1)
		}
	}
}

// checkpoint freezes the live state after pos updates, and thins out the
// older checkpoints.
func (g *DAG) checkpoint(pos int) {
	g.checkpoints = append(g.checkpoints, govCheckpoint{pos, g.live.freeze(g.nextEpoch())})
	g.checkpoints = slices.DeleteFunc(g.checkpoints, func(c govCheckpoint) bool {
		return c.pos > 0 && c.pos%govSparseEvery != 0 && c.pos < pos-govDenseWindow
	})
}

// mergeNodes merges sorted nodes into the sorted order.
func mergeNodes(order, nodes []*govNode) []*govNode {
	out := make([]*govNode, 0, len(order)+len(nodes))
	i, j := 0, 0
	for i < len(order) && j < len(nodes) {
		if compareNodes(nodes[j], order[i]) < 0 {
			out = append(out, nodes[j])
			j++
		} else {
			out = append(out, order[i])
			i++
		}
	}
	out = append(out, order[i:]...)
	return append(out, nodes[j:]...)
}

func uniqueIDs(ids []protocol.ID) []protocol.ID {
	slices.SortFunc(ids, func(a, b protocol.ID) int { return cmp.Compare(a.String(), b.String()) })
	return slices.Compact(ids)
}
