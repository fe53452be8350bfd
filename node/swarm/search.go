package swarm

import (
	"context"
	"errors"
	"slices"
	"sync"
	"time"

	"github.com/ipfs/go-cid"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/peerstore"

	"github.com/commons-p2p/commons/node/fetch"
	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/store"
)

// How a query looks on the network (SPEC.md §7.5).
const (
	// searchProviders is how many providers of one key a query asks.
	searchProviders = 20
	// searchConcurrency is how many of them it asks at once.
	searchConcurrency = 8
	// maxLineageFetch bounds the ancestors a query fetches for the lineage
	// of what it was asked about.
	maxLineageFetch = 64
	// searchBatchBytes bounds the payload bytes of the objects that one
	// ask of a search holds before it stores them: with the one frame
	// being read, an ask holds at most 8 MiB of envelopes, and a search,
	// whose asks share searchConcurrency slots, at most maxSearchBytes
	// (64 MiB).
	SearchBatchBytes = 4 << 20
	maxSearchBytes   = searchConcurrency * (SearchBatchBytes + protocol.MaxEnvelopeSize)
)

// Query says how a read looks on the network.
type Query struct {
	Local   bool          // answer from the store alone
	Timeout time.Duration // bounds the search; the node gives its default and maximum
}

// Search is one query's look on the network: its deadline and what it
// learnt, for the answer's error message.
type Search struct {
	sw  *Swarm
	ctx context.Context
	// Store stores a batch of what peers gave and says of each object
	// whether the store holds it (nil) or why it was refused;
	// Config.StoreFetched unless replaced before the search asks anything.
	Store  func([]*protocol.Object) []error
	slots  chan struct{} // a token per peer being asked: searchConcurrency
	asked  sync.Map      // peer.ID → struct{}: the peers asked
	failed sync.Map      // peer.ID → error: the last failure of each

	mu      sync.Mutex
	located []store.Location // entries found in manifests held in part
	began   time.Time
	steps   []string       // steps ended, with when (trace.go)
	lookups []*lookupTrace // the lookups run (trace.go)
}

// NewSearch starts a search bounded by q.Timeout. It returns nil when
// q.Local or the swarm is nil (the node is not on a network): the answer
// is then local alone. A nil *Search asks nothing.
func (s *Swarm) NewSearch(ctx context.Context, q Query) (*Search, context.CancelFunc) {
	if q.Local || s == nil {
		return nil, func() {}
	}
	ctx, cancel := context.WithTimeout(ctx, q.Timeout)
	return &Search{sw: s, ctx: ctx, began: time.Now(), slots: make(chan struct{}, searchConcurrency), Store: s.cfg.StoreFetched}, cancel
}

// peers is how many peers the search asked, for error messages.
func (s *Search) peers() int {
	k := 0
	s.asked.Range(func(any, any) bool { k++; return true })
	return k
}

// providers calls ask with each provider of key other than this node, up
// to searchProviders of them, as the DHT finds them, and returns when every
// ask has returned, or once ctx (the search's, or one under it) ends. All
// the asks of a search share searchConcurrency slots, so ask must not call
// providers. ask stops the search of further providers by cancelling
// through stop. what names the lookup in the search's trace.
func (s *Search) providers(ctx context.Context, what string, key cid.Cid, ask func(ctx context.Context, p peer.ID, stop func())) {
	nt := s.sw
	ctx, stop := context.WithCancel(ctx)
	defer stop()
	ctx, trace := s.traceLookup(ctx, what)
	defer s.ended(trace)
	self := nt.host.ID()
	var wg sync.WaitGroup
	defer wg.Wait()
	lookup := nt.cfg.Metrics.TimeLookup()
	defer lookup.Done()
	for ai := range nt.dht.FindProvidersAsync(ctx, key, searchProviders+1) {
		if ai.ID == self {
			continue
		}
		lookup.Found()
		s.found(trace)
		if len(ai.Addrs) > 0 {
			nt.host.Peerstore().AddAddrs(ai.ID, ai.Addrs, peerstore.TempAddrTTL)
		}
		select {
		case s.slots <- struct{}{}:
		case <-ctx.Done():
			return
		}
		s.asked.Store(ai.ID, struct{}{})
		wg.Go(func() {
			defer func() { <-s.slots }()
			nt.findAddrs(ctx, ai.ID)
			ask(ctx, ai.ID, stop)
		})
	}
}

// findAddrs makes sure the peerstore holds an address of p, a provider a
// search is about to ask, looking p up on the DHT (FindPeer) when neither
// the provider record nor an earlier contact gave one: a node keeps the
// provider records it holds across a restart, but not the providers'
// addresses, and answers with their peer IDs alone (SPEC.md §7.2). A
// provider that cannot be found fails its ask as any other.
func (s *Swarm) findAddrs(ctx context.Context, p peer.ID) {
	if s.host.Network().Connectedness(p) == network.Connected || len(s.host.Peerstore().Addrs(p)) > 0 {
		return
	}
	ai, err := s.dht.FindPeer(ctx, p)
	if err != nil {
		s.log.Debug("search: provider without address not found", "peer", p, "err", err)
		return
	}
	s.host.Peerstore().AddAddrs(p, ai.Addrs, peerstore.TempAddrTTL)
}

// outOfTime reports whether the search's deadline has passed. A peer's
// stream, whose deadline is the search's, may report it a moment before
// the search's context does.
func (s *Search) outOfTime() bool {
	d, ok := s.ctx.Deadline()
	return s.ctx.Err() == context.DeadlineExceeded || ok && !time.Now().Before(d)
}

// fail remembers why p did not help.
func (s *Search) fail(p peer.ID, err error) {
	if err != nil && s.ctx.Err() == nil && !s.outOfTime() {
		s.failed.Store(p, err)
		s.sw.log.Debug("search: peer failed", "peer", p, "err", err)
	}
}

// fetch asks p for the objects of ids this node lacks, but those refused
// for their time until it comes (toFetch), and stores those that verify,
// answer the question (judge) and pass the door, in batches of at most
// SearchBatchBytes as they arrive. judge, when set, refuses an object that
// is not what was asked for with an error of kind Invalid: it is not
// stored, the call ends and p is penalised; errLater passes over it
// without storing it. An object the door refused for its time is
// remembered (refusedEarly). A call that p answered completely and that
// gave at least one object the store now holds earns p credit, once per
// call: what the door refused earns nothing (SPEC.md §7.3). It returns how
// many of ids are still to fetch.
func (s *Search) fetch(ctx context.Context, p peer.ID, ids []protocol.ID, judge func(*protocol.Object) error) int {
	var batch []*protocol.Object
	size, stored := 0, 0
	flush := func() {
		if len(batch) == 0 {
			return
		}
		for i, err := range s.Store(batch) {
			if err == nil {
				stored++
			} else {
				s.sw.refusedEarly(batch[i])
			}
		}
		batch, size = nil, 0
	}
	keep := func(o *protocol.Object) error {
		if judge != nil {
			if err := judge(o); errors.Is(err, errLater) {
				return nil
			} else if err != nil {
				return err
			}
		}
		n := len(o.Envelope.Payload)
		if size+n > SearchBatchBytes {
			flush()
		}
		batch, size = append(batch, o), size+n
		return nil
	}
	missing := s.sw.toFetch(ids)
	for len(missing) > 0 {
		chunk := missing[:min(len(missing), fetch.MaxIDs)]
		stored = 0
		_, err := s.sw.fetch.ObjectsEach(ctx, p, chunk, keep)
		flush()
		if err != nil {
			s.fail(p, err)
			break
		}
		if stored > 0 {
			s.sw.scores.Reward(p)
		}
		missing = missing[len(chunk):]
	}
	return len(s.sw.toFetch(ids))
}

// Object makes sure the node holds id, asking the providers of its key
// until one gives it, or until the store holds it by another path (the
// announce topic, another search, the API): an object is the bytes its ID
// names, so what the answer is made from is the same whoever brought it,
// and the lookup and the asks under way end there (SPEC.md §7.5). An
// object refused for its time is not asked for again until its time can
// have come (NotFound says so), and once one provider gave it and it was
// refused, the others are not asked: they would give the same bytes.
func (s *Search) Object(id protocol.ID) {
	if len(s.sw.toFetch([]protocol.ID{id})) == 0 {
		return
	}
	ctx, stop := context.WithCancel(s.ctx)
	defer stop()
	go s.stopWhenHeld(ctx, id, stop)
	s.providers(ctx, "object", protocol.ObjectKey(id), func(ctx context.Context, p peer.ID, stop func()) {
		if s.fetch(ctx, p, []protocol.ID{id}, nil) == 0 {
			stop()
		}
	})
}

// heldPoll is how often a search for an object looks whether the store
// holds it by another path. Nothing that stores an object tells the
// searches under way; a look in the store costs microseconds.
const heldPoll = 20 * time.Millisecond

// stopWhenHeld calls stop once the store holds id or it was refused for
// its time, or returns when ctx ends.
func (s *Search) stopWhenHeld(ctx context.Context, id protocol.ID, stop func()) {
	t := time.NewTicker(heldPoll)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if len(s.sw.toFetch([]protocol.ID{id})) == 0 {
				stop()
				return
			}
		}
	}
}

// lineage fetches the ancestors of id that the node lacks, breadth first,
// up to maxLineageFetch of them.
func (s *Search) lineage(id protocol.ID) {
	seen := map[protocol.ID]bool{id: true}
	queue := []protocol.ID{id}
	for fetched := 0; len(queue) > 0 && fetched < maxLineageFetch && s.ctx.Err() == nil; {
		next := queue[0]
		queue = queue[1:]
		parents, err := s.sw.cfg.Store.Parents(next)
		if err != nil {
			return
		}
		for _, p := range parents {
			if seen[p] {
				continue
			}
			seen[p] = true
			if len(s.sw.toFetch([]protocol.ID{p})) > 0 {
				s.Object(p)
				fetched++
			}
			queue = append(queue, p)
		}
	}
}

// claims gathers the claims about subject (and about those claims) that
// every provider of its claims-about key holds and this node lacks. Each
// object a provider gives must be what was asked for (SPEC.md §7.3): a
// claim about subject, or a claim about such a claim. One that names a
// claim not known yet is fetched again once the rest of the answer is
// stored; one that is about anything else is not stored, and the provider
// is penalised.
func (s *Search) claims(subject protocol.ID) {
	s.providers(s.ctx, "claims", protocol.ClaimsAboutKey(subject), func(ctx context.Context, p peer.ID, _ func()) {
		direct := map[protocol.ID]bool{} // claims about subject that p gave
		var later []protocol.ID
		judge := func(last bool) func(*protocol.Object) error {
			return func(o *protocol.Object) error {
				switch {
				case !isClaim(o.Kind):
					return protocol.E("claims", protocol.Invalid, "claims about %s: listed %s, a %s, not a claim", subject, o.ID, o.Kind)
				case o.About == subject:
					direct[o.ID] = true
					return nil
				case direct[o.About] || s.sw.isClaimAbout(o.About, subject):
					return nil
				case !last:
					later = append(later, o.ID)
					return errLater
				}
				return protocol.E("claims", protocol.Invalid, "claims about %s: listed %s, a %s about %s, which is not a claim about %[1]s", subject, o.ID, o.Kind, o.About)
			}
		}
		s.pages(ctx, p, func(after protocol.ID) ([]protocol.ID, bool, error) {
			return s.sw.fetch.Claims(ctx, p, subject, after, 0)
		}, judge(false))
		if len(later) > 0 {
			s.fetch(ctx, p, later, judge(true))
		}
	})
}

// errLater passes over an object that cannot be judged yet; it is asked for
// again.
var errLater = errors.New("judged later")

func isClaim(k protocol.ObjectKind) bool {
	return k == protocol.KindAttribution || k == protocol.KindEndorsement || k == protocol.KindRevocation
}

// isClaimAbout reports whether the node holds claim, and it is a claim
// about subject.
func (s *Swarm) isClaimAbout(claim, subject protocol.ID) bool {
	o, err := s.cfg.Store.Object(claim)
	return err == nil && isClaim(o.Kind) && o.About == subject
}

// DatasetsWithFile gathers the datasets that every provider of d's file
// key holds and this node lacks. A listed object that is not a dataset
// naming a file of digest d is not stored, and its provider is penalised:
// the list is unsigned, the datasets are not (SPEC.md §7.3). A dataset
// with a manifest names its files in chunks: it is judged by looking the
// paths listed with it up in its manifest (manifestNames), and each
// entry found is kept for Located.
func (s *Search) DatasetsWithFile(d protocol.Digest) {
	s.providers(s.ctx, "files", protocol.FileKey(d), func(ctx context.Context, p peer.ID, _ func()) {
		paths := map[protocol.ID][]string{}
		var withManifest []*protocol.Object
		s.pages(ctx, p, func(after protocol.ID) ([]protocol.ID, bool, error) {
			found, more, err := s.sw.fetch.Datasets(ctx, p, d, after, 0)
			ids := make([]protocol.ID, len(found))
			for i, f := range found {
				ids[i], paths[f.Dataset] = f.Dataset, f.Paths
			}
			return ids, more, err
		}, func(o *protocol.Object) error {
			switch {
			case o.Kind != protocol.KindDataset:
			case o.Dataset.Manifest != nil:
				withManifest = append(withManifest, o) // judged once p's answer is read
				return errLater
			case slices.ContainsFunc(o.Files, func(f protocol.File) bool { return f.Digest == d }):
				return nil
			}
			return protocol.E("locate", protocol.Invalid, "files with %s: listed %s, a %s that does not name the file", d, o.ID, o.Kind)
		})
		stored := false // a record p gave, whose manifest names the file, that the store took
		for _, o := range withManifest {
			if s.manifestNames(ctx, p, o, d, paths[o.ID]) {
				stored = true
			}
			delete(paths, o.ID)
		}
		if stored {
			s.sw.scores.Reward(p)
		}
		// A record held already, whose manifest is held in part, is not
		// fetched again, and the store does not index it: look it up too.
		for id, listed := range paths {
			if o := s.sw.heldInPart(id); o != nil {
				s.manifestNames(ctx, p, o, d, listed)
			}
		}
	})
}

// heldInPart returns the dataset id when the store holds it, it has a
// manifest, and the manifest is not whole here; else nil.
func (s *Swarm) heldInPart(id protocol.ID) *protocol.Object {
	o, err := s.cfg.Store.Object(id)
	if err != nil {
		return nil
	}
	if _, ok := rootOf(o); !ok {
		return nil
	}
	if whole, err := s.cfg.Store.ManifestWhole(id); err != nil || whole {
		return nil
	}
	return o
}

// pages reads a paged list of IDs from p to its end, fetching the objects
// of each page this node lacks; judge says whether each is what was asked
// for (see fetch).
func (s *Search) pages(ctx context.Context, p peer.ID, list func(after protocol.ID) ([]protocol.ID, bool, error), judge func(*protocol.Object) error) {
	var after protocol.ID
	for {
		ids, more, err := list(after)
		if err != nil {
			s.fail(p, err)
			return
		}
		if len(ids) == 0 {
			return
		}
		s.fetch(ctx, p, ids, judge)
		if !more || ctx.Err() != nil {
			return
		}
		after = ids[len(ids)-1]
	}
}

// NotFound is the error of a read that neither the store nor the network
// could answer, saying where the search looked, or that id was refused as
// dated in the future and from when it can be accepted.
func (s *Search) NotFound(op string, id protocol.ID) error {
	if s == nil {
		return protocol.E(op, protocol.NotFound, "%s is not stored here (the network was not asked)", id)
	}
	now := s.sw.cfg.Now()
	if created, ok := s.sw.early.refused(id, now); ok {
		return protocol.E(op, protocol.NotFound, "%s is not stored here: a peer gave it, and it was refused as dated %s, in the future (now %s); it can be accepted from %s, and the network is not asked for it again before then",
			id, created.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339), acceptableFrom(created).UTC().Format(time.RFC3339))
	}
	if s.outOfTime() && s.peers() > 0 {
		return protocol.E(op, protocol.NotFound, "%s is not stored here, and the search of the network ran out of time after asking %d peers", id, s.peers())
	}
	if s.peers() == 0 {
		if s.sw.dht.RoutingTable().Size() == 0 {
			return protocol.E(op, protocol.NotFound, "%s is not stored here, and this node has no peers to ask", id)
		}
		return protocol.E(op, protocol.NotFound, "%s is not stored here, and no peer announces it", id)
	}
	var last error
	s.failed.Range(func(_, v any) bool { last = v.(error); return false })
	if last != nil {
		return protocol.E(op, protocol.NotFound, "%s is not stored here, and the %d peers that announce it did not give it (last: %v)", id, s.peers(), last)
	}
	return protocol.E(op, protocol.NotFound, "%s is not stored here, and the %d peers that announce it did not give it", id, s.peers())
}

// toFetch returns the ids the store lacks, but those refused for their
// time until it can have come (SPEC.md §7.5).
func (s *Swarm) toFetch(ids []protocol.ID) []protocol.ID {
	out := s.missing(ids)
	if s.early.len() == 0 {
		return out
	}
	now := s.cfg.Now()
	return slices.DeleteFunc(out, func(id protocol.ID) bool {
		_, refused := s.early.refused(id, now)
		return refused
	})
}

// refusedEarly reports whether o, which a peer gave, is dated too far
// ahead of the node's clock for the door (SPEC.md §3.7), and then
// remembers it, so that searches do not ask for it again before its time
// can have come. Such an object is not the peer's fault (the clock may be
// this node's): it earns the peer nothing, and costs it nothing.
func (s *Swarm) refusedEarly(o *protocol.Object) bool {
	err := protocol.CheckTime(o, s.cfg.Now())
	if err == nil {
		return false
	}
	s.early.remember(o.ID, o.Created())
	s.log.Debug("search: refused for its time", "id", o.ID, "err", err)
	return true
}

// missing returns the ids the store lacks.
func (s *Swarm) missing(ids []protocol.ID) []protocol.ID {
	var out []protocol.ID
	for _, id := range ids {
		if ok, err := s.cfg.Store.Has(id); err != nil || !ok {
			out = append(out, id)
		}
	}
	return out
}

// Attribution gathers from the network what an attribution of id needs:
// the subject itself, the claims about it from every holder, the
// ancestors of its lineage, and what was made from it directly (the node
// then asks for the Rotations of signers without a role).
func (s *Search) Attribution(id protocol.ID) {
	held := len(s.sw.missing([]protocol.ID{id})) == 0
	dials := s.countDials()
	var wg sync.WaitGroup
	wg.Go(func() {
		s.Object(id)
		s.mark("subject")
		s.lineage(id)
		s.mark("lineage")
	})
	wg.Go(func() { s.claims(id); s.mark("claims") })
	wg.Go(func() { s.Derived([]protocol.ID{id}, 1); s.mark("derived") })
	wg.Wait()
	s.logTrace("search: attribution", "subject", id, "held", held, "dials", dials())
}

func revokedKey(p protocol.Policy, d protocol.DID) bool {
	_, revoked := p.KeyRevokedAt(d)
	return revoked
}

// maxRotationKeys bounds the keys whose rotations one search asks the
// network for: the walk of a party (SPEC.md §4.6) stops at as many keys.
const maxRotationKeys = protocol.MaxPartyKeys

// ExtraSigners returns the keys that signed a claim of a without being
// its issuer, its contributor or the subject's publisher: the only
// signatures that a rotation this node lacks could make count (SPEC.md
// §4.6), so the only keys whose rotations a search asks for. It reads the
// answer already made from the index, not the envelopes.
func ExtraSigners(a *store.Attribution) []protocol.DID {
	seen := map[protocol.DID]bool{}
	var out []protocol.DID
	for _, c := range a.Contributors {
		for _, d := range c.Signers {
			if seen[d] || d == c.Issuer || d == c.DID || d == a.Publisher {
				continue
			}
			seen[d] = true
			out = append(out, d)
		}
	}
	slices.SortFunc(out, protocol.CompareDIDs)
	return out
}

// Rotations gathers the rotations that name keys, and those that name the
// keys they lead to, breadth first, from the providers of each key's
// rotations key, up to maxRotationKeys keys in all; and the claims about
// each rotation that touches a revoked key, whose endorsement by a steward
// is what makes it count. Each object a provider
// gives must be a rotation naming the key asked about (SPEC.md §7.3); one
// that is not is not stored, and the provider is penalised.
func (s *Search) Rotations(keys []protocol.DID) {
	seen := map[protocol.DID]bool{}
	for len(keys) > 0 && len(seen) < maxRotationKeys && s.ctx.Err() == nil {
		wave := keys[:0:0]
		for _, k := range keys {
			if !seen[k] && len(seen) < maxRotationKeys {
				seen[k] = true
				wave = append(wave, k)
			}
		}
		var mu sync.Mutex
		var next []protocol.DID
		var wg sync.WaitGroup
		for _, k := range wave {
			wg.Go(func() {
				s.providers(s.ctx, "rotations", protocol.RotationsKey(k), func(ctx context.Context, p peer.ID, _ func()) {
					listed := 0 // a walk reads at most MaxPartyLinks rotations: no peer makes it read more
					s.pages(ctx, p, func(after protocol.ID) ([]protocol.ID, bool, error) {
						if listed >= protocol.MaxPartyLinks {
							return nil, false, nil
						}
						ids, more, err := s.sw.fetch.Rotations(ctx, p, k, after, 0)
						listed += len(ids)
						return ids, more, err
					}, func(o *protocol.Object) error {
						if o.Kind != protocol.KindRotation || o.Rotation.From != k && o.Rotation.To != k {
							return protocol.E("rotations", protocol.Invalid, "rotations of %s: listed %s, a %s that does not name the key", k, o.ID, o.Kind)
						}
						return nil
					})
				})
				ids, _ := s.sw.cfg.Store.RotationsOf(k)
				ids = ids[:min(len(ids), protocol.MaxPartyLinks)]
				policy := s.sw.cfg.Policy()
				for _, id := range ids {
					o, err := s.sw.cfg.Store.Object(id)
					if err != nil || o.Kind != protocol.KindRotation {
						continue
					}
					if revokedKey(policy, o.Rotation.From) || revokedKey(policy, o.Rotation.To) {
						// It counts only if a steward endorsed it (SPEC.md
						// §4.6): the endorsements are claims about it.
						s.claims(id)
					}
					mu.Lock()
					next = append(next, o.Rotation.From, o.Rotation.To)
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		keys = next
	}
}
