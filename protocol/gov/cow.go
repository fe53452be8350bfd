package gov

import (
	"maps"

	"github.com/commons-p2p/commons/protocol"
)

// The fold's state is shared, not copied, by the snapshots that State
// hands out and by the checkpoints that refolds start from. Sharing is
// by epochs: a live state has an epoch, each container it holds records
// the epoch of the state that made it, and a state writes only into
// containers of its own epoch, cloning any other first. Freezing a state
// gives the live one a new epoch, so the frozen one is never written
// again. A snapshot thus costs a few small copies, and a write after one
// costs a clone of what it touches: a chunk of proposals, or one map.

// cowMap is a map shared between states until one of them writes.
type cowMap[K comparable, V any] struct {
	m     map[K]V
	epoch uint64
}

func newCowMap[K comparable, V any](epoch uint64) cowMap[K, V] {
	return cowMap[K, V]{m: make(map[K]V), epoch: epoch}
}

func (c *cowMap[K, V]) own(epoch uint64) {
	if c.epoch != epoch {
		c.m, c.epoch = maps.Clone(c.m), epoch
		if c.m == nil {
			c.m = make(map[K]V)
		}
	}
}

func (c *cowMap[K, V]) set(epoch uint64, k K, v V) {
	c.own(epoch)
	c.m[k] = v
}

func (c *cowMap[K, V]) del(epoch uint64, k K) {
	c.own(epoch)
	delete(c.m, k)
}

// cowInts is a slice of ints shared between states until one writes.
type cowInts struct {
	s     []int
	epoch uint64
}

// mut returns the slice to write into, cloned if it is another epoch's.
func (c *cowInts) mut(epoch uint64) *[]int {
	if c.epoch != epoch {
		c.s, c.epoch = append([]int(nil), c.s...), epoch
	}
	return &c.s
}

// recChunk is the number of proposals in a chunk of a recVec.
const recChunk = 256

// recVec is the list of proposals in the order they were made: a slice of
// chunks, so that replacing one proposal after a snapshot clones one
// chunk and the list of chunks, not the whole list.
type recVec struct {
	chunks []*recChunkOf
	n      int
	epoch  uint64 // of chunks, the outer slice
}

type recChunkOf struct {
	recs  [recChunk]*govProposalRec
	epoch uint64
}

func (v *recVec) len() int { return v.n }

func (v *recVec) at(i int) *govProposalRec { return v.chunks[i/recChunk].recs[i%recChunk] }

func (v *recVec) ownOuter(epoch uint64) {
	if v.epoch != epoch {
		v.chunks, v.epoch = append([]*recChunkOf(nil), v.chunks...), epoch
	}
}

func (v *recVec) set(epoch uint64, i int, r *govProposalRec) {
	v.ownOuter(epoch)
	c := v.chunks[i/recChunk]
	if c.epoch != epoch {
		clone := *c
		clone.epoch = epoch
		c = &clone
		v.chunks[i/recChunk] = c
	}
	c.recs[i%recChunk] = r
}

func (v *recVec) push(epoch uint64, r *govProposalRec) int {
	i := v.n
	if i%recChunk == 0 {
		v.ownOuter(epoch)
		v.chunks = append(v.chunks, &recChunkOf{epoch: epoch})
	}
	v.n++
	v.set(epoch, i, r)
	return i
}

// cowShards is a cowMap cut into 64 shards by a byte of the key, for the
// maps that grow with history (datasets, revoked keys): a write after a
// snapshot clones one shard and the array of shards, not the whole map.
type cowShards[K comparable, V any] struct {
	shards *[64]cowMap[K, V]
	epoch  uint64 // of the array
	n      int
	shard  func(K) byte // any byte of the key: the low 6 bits pick the shard
}

func newCowShards[K comparable, V any](epoch uint64, shard func(K) byte) cowShards[K, V] {
	return cowShards[K, V]{shards: new([64]cowMap[K, V]), epoch: epoch, shard: shard}
}

func (c *cowShards[K, V]) get(k K) (V, bool) {
	v, ok := c.shards[c.shard(k)&63].m[k]
	return v, ok
}

func (c *cowShards[K, V]) len() int { return c.n }

// own returns the shard of k, to write into.
func (c *cowShards[K, V]) own(epoch uint64, k K) *cowMap[K, V] {
	if c.epoch != epoch {
		shards := *c.shards
		c.shards, c.epoch = &shards, epoch
	}
	sh := &c.shards[c.shard(k)&63]
	sh.own(epoch)
	return sh
}

func (c *cowShards[K, V]) set(epoch uint64, k K, v V) {
	sh := c.own(epoch, k)
	if _, ok := sh.m[k]; !ok {
		c.n++
	}
	sh.m[k] = v
}

// values returns every value, in no order.
func (c *cowShards[K, V]) values() []V {
	out := make([]V, 0, c.n)
	for i := range c.shards {
		for _, v := range c.shards[i].m {
			out = append(out, v)
		}
	}
	return out
}

// shardOfID and shardOfDID pick a byte of the digest or the key: random.
func shardOfID(id protocol.ID) byte {
	k := id.Cid().KeyString()
	return k[len(k)-1]
}

func shardOfDID(d protocol.DID) byte { return d.ShardByte() }
