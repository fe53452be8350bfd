package swarm

import (
	"container/list"
	"sync"
	"time"

	"github.com/commons-p2p/commons/protocol"
)

// MaxRefusedEarly bounds the objects refused as dated too far ahead that a
// node remembers (SPEC.md §7.5): about 200 bytes each, under 1 MiB in all.
// Past it the one used least recently is forgotten, and is fetched again,
// and refused again, by the next search that asks for it.
const MaxRefusedEarly = 4096

// refusedEarly remembers objects a search fetched and the time check
// refused (SPEC.md §3.7), each with its date, so that searches do not ask
// for them again until they can be accepted. It is safe for concurrent
// use.
type refusedEarly struct {
	max int

	mu    sync.Mutex
	order *list.List // of earlyEntry, used most recently first
	byID  map[protocol.ID]*list.Element
}

type earlyEntry struct {
	id      protocol.ID
	created time.Time // the object's date
}

func newRefusedEarly(max int) *refusedEarly {
	return &refusedEarly{max: max, order: list.New(), byID: map[protocol.ID]*list.Element{}}
}

// acceptableFrom is the first time at which an object dated created passes
// the time check (protocol.CheckTime).
func acceptableFrom(created time.Time) time.Time {
	return created.Add(-protocol.MaxClockSkew)
}

// remember records that object id, dated created, was refused for its
// time, forgetting the entry used least recently when full.
func (r *refusedEarly) remember(id protocol.ID, created time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if e, ok := r.byID[id]; ok {
		r.order.MoveToFront(e)
		return
	}
	if r.order.Len() >= r.max {
		oldest := r.order.Back()
		r.order.Remove(oldest)
		delete(r.byID, oldest.Value.(earlyEntry).id)
	}
	r.byID[id] = r.order.PushFront(earlyEntry{id: id, created: created})
}

// refused reports whether object id was refused for its time and that
// time has not come by now, with the object's date. An entry whose time
// has come is forgotten: the object is asked for again.
func (r *refusedEarly) refused(id protocol.ID, now time.Time) (created time.Time, ok bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	e, ok := r.byID[id]
	if !ok {
		return time.Time{}, false
	}
	created = e.Value.(earlyEntry).created
	if !now.Before(acceptableFrom(created)) {
		r.order.Remove(e)
		delete(r.byID, id)
		return time.Time{}, false
	}
	r.order.MoveToFront(e)
	return created, true
}

// len is how many objects are remembered.
func (r *refusedEarly) len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.order.Len()
}
