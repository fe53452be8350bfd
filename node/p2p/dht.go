package p2p

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/ipfs/go-cid"
	ds "github.com/ipfs/go-datastore"
	dssync "github.com/ipfs/go-datastore/sync"
	dht "github.com/libp2p/go-libp2p-kad-dht"
	"github.com/libp2p/go-libp2p-kad-dht/records"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	protocolid "github.com/libp2p/go-libp2p/core/protocol"

	"github.com/commons-p2p/commons/protocol"
)

// DefaultProvideValidity is how long a node keeps a provider record that
// another node gave it: the go-libp2p-kad-dht default (48 h). Announcers
// re-announce well within it (DefaultReannounceInterval).
const DefaultProvideValidity = 48 * time.Hour

// DHTOptions configures NewDHT. Fields left zero take the defaults.
type DHTOptions struct {
	// Bootstrap are the peers the node joins the network through. They are
	// dialled when the DHT starts and again whenever its routing table is
	// empty: after 1 s, backing off to 30 s; and every 20 s while the
	// node is connected to none of them and knows fewer than 20 peers
	// (rejoin). The DHT itself retries them every two minutes.
	Bootstrap []peer.AddrInfo
	// Datastore keeps the provider records other nodes give this node. A
	// daemon gives it a Datastore (OpenDatastore) in a directory of its
	// repo, so that a restarted node still answers for the records it held
	// until they expire; the DHT writes them there in batches of 256 and
	// when it closes, so a node that crashes loses the latest few, which
	// their providers' next announcement brings back. Only the records
	// persist, not the providers' addresses, which the DHT keeps in the
	// host's peerstore: a record read back after a restart names its
	// provider without addresses until the node learns them again. Its
	// DatastoreLimits bound what peers make the node keep: past them a new
	// record is refused and the DHT goes on.
	// Default: an in-memory map, lost on restart, and not bounded. It grows with the records
	// the node holds: about K/n of all the network's keys (K = 20).
	Datastore ds.Batching
	// ProvideValidity is how long this node keeps others' provider records;
	// default DefaultProvideValidity. Tests shorten it to watch records
	// expire.
	ProvideValidity time.Duration
	// RejoinIdle is the wait between two dials of the bootstrap peers
	// while the routing table holds a few peers but none of them
	// (default 20 s). Tests shorten it.
	RejoinIdle time.Duration
	// Extra are further go-libp2p-kad-dht options, applied last (tests set
	// dht.BucketSize here to force multi-hop lookups in small swarms).
	Extra []dht.Option
}

// NewDHT starts the Kademlia DHT of network on h: in server mode (a
// commons node answers queries; the default auto mode would stay a client
// on a LAN or loopback, where AutoNAT never calls it public) and under the
// protocol prefix of the network (SPEC.md §7.1), so that nodes of
// different commons never share a routing table; its requests to one peer
// do not wait for each other (dhtSender). The caller closes it before the
// host.
func NewDHT(h host.Host, network protocol.NetworkID, opts DHTOptions) (*dht.IpfsDHT, error) {
	const op = "new dht"
	if network.IsZero() {
		return nil, protocol.E(op, protocol.Invalid, "no network ID: a node joins the DHT of its network")
	}
	store := opts.Datastore
	if store == nil {
		store = dssync.MutexWrap(ds.NewMapDatastore())
	}
	validity := opts.ProvideValidity
	if validity <= 0 {
		validity = DefaultProvideValidity
	}
	dopts := []dht.Option{
		dht.Mode(dht.ModeServer),
		dht.ProtocolPrefix(protocolid.ID(network.ProtocolPrefix())),
		dht.Datastore(store),
		dht.ProviderManagerOpts(records.ProvideValidity(validity)),
		// A commons has no IPNS or public-key records; no value may be
		// stored until a validator for it exists.
		dht.DisableValues(),
		// Requests to one peer go out at once, each on a stream of its
		// own while the others are busy (dhtSender).
		dht.WithCustomMessageSender(newDHTSender),
	}
	if len(opts.Bootstrap) > 0 {
		dopts = append(dopts, dht.BootstrapPeers(opts.Bootstrap...))
	}
	d, err := dht.New(h, append(dopts, opts.Extra...)...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	if len(opts.Bootstrap) > 0 {
		idle := opts.RejoinIdle
		if idle <= 0 {
			idle = rejoinIdle
		}
		go rejoin(d, opts.Bootstrap, idle)
	}
	return d, nil
}

// Rejoin backoff: the DHT itself retries its bootstrap peers only every two
// minutes while its routing table is empty; nodes of a swarm that start
// together, or a node whose bootstrap peer restarts, find each other within
// seconds with these.
const (
	rejoinFirst = time.Second
	rejoinMax   = 30 * time.Second
	rejoinIdle  = 20 * time.Second
	rejoinTable = 20 // Kademlia's K
)

// rejoin dials the bootstrap peers while the node is connected to none of
// them and its routing table is smaller than rejoinTable: every
// rejoinFirst, backing off to rejoinMax, while the table is empty; every
// rejoinIdle once it knows some peers, so that a node whose bootstrap peer
// started after it (or restarted) does not stay in a small group of its
// own. A node with a fuller table leaves its bootstrap peers alone: the
// connection manager may have trimmed them, and a network's bootstrap
// nodes would otherwise be dialled by everyone. It ends when d is closed.
func rejoin(d *dht.IpfsDHT, peers []peer.AddrInfo, idle time.Duration) {
	ctx := d.Context()
	h := d.Host()
	wait := rejoinFirst
	t := time.NewTimer(wait)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		connected := slices.ContainsFunc(peers, func(p peer.AddrInfo) bool {
			return h.Network().Connectedness(p.ID) == network.Connected
		})
		switch {
		case connected || d.RoutingTable().Size() >= rejoinTable:
			wait = rejoinFirst
		default:
			for _, p := range peers {
				cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
				h.Connect(cctx, p) // the DHT adds p once identify says it speaks the protocol
				cancel()
			}
			wait = min(2*wait, rejoinMax)
			if d.RoutingTable().Size() > 0 {
				wait = idle
			}
		}
		t.Reset(wait)
	}
}

// ErrNoPeers is the error of a DHT operation on a node whose routing table
// is empty: it knows no other node of its network yet.
var ErrNoPeers = protocol.E("dht", protocol.Transient, "no peers in the routing table")

// WaitForPeers returns when d's routing table holds a peer, or with
// ctx's error.
func WaitForPeers(ctx context.Context, d *dht.IpfsDHT) error {
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	for d.RoutingTable().Size() == 0 {
		select {
		case <-ctx.Done():
			return fmt.Errorf("wait for dht peers: %w", ctx.Err())
		case <-t.C:
		}
	}
	return nil
}

// Provide announces once that this node provides key: it finds the
// nodes closest to key and gives each a provider record. Records expire
// (DHTOptions.ProvideValidity); an Announcer renews them. Without a peer
// it fails with ErrNoPeers, for the caller to try again, but keeps the
// record in its own store all the same: the first peers to join ask this
// node, and find it, before the key is announced again.
func Provide(ctx context.Context, d *dht.IpfsDHT, key cid.Cid) error {
	if d.RoutingTable().Size() == 0 {
		if err := ProvideLocal(ctx, d, key); err != nil {
			return err
		}
		return fmt.Errorf("provide %s: %w", key, ErrNoPeers)
	}
	if err := d.Provide(ctx, key, true); err != nil {
		return protocol.E("provide "+key.String(), protocol.Transient, "%w", err)
	}
	return nil
}

// ProvideLocal records in this node's own store, and nowhere else, that it
// provides key: the peers that ask this node for key's providers find it,
// before an announcement reaches the nodes closest to key.
func ProvideLocal(ctx context.Context, d *dht.IpfsDHT, key cid.Cid) error {
	if err := d.Provide(ctx, key, false); err != nil {
		return protocol.E("provide "+key.String()+" locally", protocol.Transient, "%w", err)
	}
	return nil
}

// FindProviders looks up the nodes that provide key, other than this one,
// and returns at most max of them (all it finds if max <= 0) with the
// addresses the DHT knows for them. An empty result and a nil error mean
// the lookup ran to its end and found no one; if ctx ends first,
// FindProviders returns what it found, and ctx's error if that is nothing.
func FindProviders(ctx context.Context, d *dht.IpfsDHT, key cid.Cid, max int) ([]peer.AddrInfo, error) {
	op := "find providers of " + key.String()
	if d.RoutingTable().Size() == 0 {
		return nil, fmt.Errorf("%s: %w", op, ErrNoPeers)
	}
	count := 0
	if max > 0 {
		count = max + 1 // this node may be one of them
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	self := d.Host().ID()
	var found []peer.AddrInfo
	for ai := range d.FindProvidersAsync(ctx, key, count) {
		if ai.ID == self {
			continue
		}
		found = append(found, ai)
		if max > 0 && len(found) == max {
			break
		}
	}
	if len(found) == 0 && ctx.Err() != nil {
		return nil, protocol.E(op, protocol.Transient, "%w", ctx.Err())
	}
	return found, nil
}
