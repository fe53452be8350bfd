package node

import (
	"cmp"
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ipfs/go-cid"
	"github.com/ipfs/go-datastore/query"
	dht "github.com/libp2p/go-libp2p-kad-dht"
	"github.com/libp2p/go-libp2p/core/connmgr"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/pnet"
	libp2pprotocol "github.com/libp2p/go-libp2p/core/protocol"

	"github.com/commons-p2p/commons/node/api"
	"github.com/commons-p2p/commons/node/fetch"
	"github.com/commons-p2p/commons/node/p2p"
	"github.com/commons-p2p/commons/node/repo"
	"github.com/commons-p2p/commons/node/swarm"
	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/store"
)

// swarmOptions shape a test swarm.
type swarmOptions struct {
	gossip   bool
	swarmKey pnet.PSK
	// bucket, when set, is the DHT's bucket size: small buckets force
	// lookups to walk several hops in a small swarm.
	bucket int
	gater  connmgr.ConnectionGater
	// defaults keeps the gossip heartbeat and the heads interval of a
	// daemon, for measurements.
	defaults bool
	// storage are the storage budgets; zero fields take the defaults.
	storage repo.Storage
	// outsiderGrace is how long the node lets a peer of no commons or
	// another stay connected; zero takes the default.
	outsiderGrace time.Duration
	// announcer is the kind of announcer (swarm.AnnounceSweep or
	// swarm.AnnounceEach); empty: the default. reannounce, when set, is
	// its interval.
	announcer  string
	reannounce time.Duration
	// fetchTimeout bounds one ask of a peer; zero: 5 s.
	fetchTimeout time.Duration
	// now, when set, is the node's clock (Node.now); nil: time.Now.
	now func() time.Time
}

// announcers are the kinds of announcer the tests of announcing run with.
var announcers = []string{swarm.AnnounceSweep, swarm.AnnounceEach}

// netNode is a node of a test swarm, with what it needs to restart.
type netNode struct {
	*Node
	dir      string
	stopOnce sync.Once
}

// startNetNode inits (or reopens) a repo in dir that belongs to the network
// genesis founds, and starts a node on loopback bootstrapped to boot.
func startNetNode(t *testing.T, dir string, genesis []byte, o swarmOptions, boot ...*netNode) *netNode {
	t.Helper()
	r, err := repo.Open(dir)
	if protocol.IsKind(err, protocol.NotFound) {
		r, err = repo.Init(dir, repo.InitOptions{Genesis: genesis, APIAddr: "127.0.0.1:0"})
	}
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(store.Options{Dir: r.DataDir()})
	if err != nil {
		t.Fatal(err)
	}
	n := New(r, st, nil)
	if o.now != nil {
		n.now = o.now
	}
	opts := NetworkOptions{
		Listen:          []string{"/ip4/127.0.0.1/tcp/0"},
		SwarmKey:        o.swarmKey,
		Gossip:          o.gossip,
		GossipHeartbeat: 100 * time.Millisecond,
		FetchTimeout:    cmp.Or(o.fetchTimeout, 5*time.Second),
		Gater:           o.gater,
		Storage:         o.storage,
		OutsiderGrace:   o.outsiderGrace,
		Announcer:       o.announcer,
		Announce:        p2p.AnnouncerOptions{Interval: o.reannounce},
		// Heads go out often, so that tests of healing are quick.
		GovHeadsInterval: time.Second,
	}
	if o.bucket > 0 {
		opts.DHT = []dht.Option{dht.BucketSize(o.bucket)}
	}
	if o.defaults {
		opts.GossipHeartbeat, opts.GovHeadsInterval = 0, 0
	}
	for _, b := range boot {
		opts.Bootstrap = append(opts.Bootstrap, peer.AddrInfo{ID: b.Host().ID(), Addrs: b.Host().Addrs()})
	}
	if err := n.StartNetwork(context.Background(), opts); err != nil {
		st.Close()
		t.Fatal(err)
	}
	nn := &netNode{Node: n, dir: dir}
	t.Cleanup(func() { nn.stop() })
	return nn
}

// stop closes the node's network and store; stopping twice is harmless.
// It leaves n.net as it is: the gossip validators still running read it.
func (n *netNode) stop() {
	n.stopOnce.Do(func() {
		n.Close()
		n.store.Close()
	})
}

// lineSwarm starts k nodes of one network, each bootstrapped to the one
// before it, and waits until each has a peer in its routing table.
func lineSwarm(t *testing.T, k int, o swarmOptions) []*netNode {
	t.Helper()
	genesis := testGenesis(t, "line", randomDID(t))
	nodes := make([]*netNode, k)
	for i := range nodes {
		var boot []*netNode
		if i > 0 {
			boot = []*netNode{nodes[i-1]}
		}
		nodes[i] = startNetNode(t, filepath.Join(t.TempDir(), fmt.Sprint("n", i)), genesis, o, boot...)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for _, n := range nodes {
		if err := p2p.WaitForPeers(ctx, n.net.DHT()); err != nil {
			t.Fatal(err)
		}
	}
	return nodes
}

// waitAnnounced waits until n has announced everything it was given: the
// announce queue is empty, nothing is in flight or waiting for a retry, and
// the peers n gave records to have stored them.
func waitAnnounced(t *testing.T, n *netNode) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		s := n.net.Announcer().Counts()
		done := n.net.Pending() == 0 && s.Retrying == 0 && s.Queued == 0
		if n.net.Announcer().Holds() {
			// The sweeper's provide loop takes a region off its queue a
			// moment before it counts the region as being explored: every
			// key of its schedule must have been provided too.
			done = done && s.Provided >= uint64(s.Keys)
		}
		if done {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("announcements not done after 30 s: %+v, %d queued", s, n.net.Queued())
		}
		time.Sleep(50 * time.Millisecond)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	delivered(t, ctx, n.net.DHT(), n.repo.Network)
}

// disconnect closes every connection between a and b, so that a lookup
// from one cannot start at the other.
func disconnect(a, b *netNode) {
	a.Host().Network().ClosePeer(b.Host().ID())
	b.Host().Network().ClosePeer(a.Host().ID())
}

func contributorDIDs(a *api.Attribution) map[protocol.DID]bool {
	out := map[protocol.DID]bool{}
	for _, c := range a.Contributors {
		out[c.DID] = true
	}
	return out
}

// TestLineSwarmDHTOnly: a dataset and a claim published on the first node
// of a 10-node line are found, verified, stored and attributed from the
// last, which was never bootstrapped to the first and is not connected to it
// when the lookup begins. Gossip is off, so the DHT is the only path.
func TestLineSwarmDHTOnly(t *testing.T) {
	for _, kind := range announcers {
		t.Run(kind, func(t *testing.T) { testLineSwarmDHTOnly(t, kind) })
	}
}

func testLineSwarmDHTOnly(t *testing.T, announcer string) {
	nodes := lineSwarm(t, 10, swarmOptions{bucket: 3, announcer: announcer})
	a, j := nodes[0], nodes[9]
	ds := mustDataset(t, a.Node, "broadcast archive 1970s")
	claim, err := a.AddClaim(t.Context(), api.AddClaimRequest{Subject: ds.ID, Role: "curator", Weight: 1})
	if err != nil {
		t.Fatal(err)
	}
	waitAnnounced(t, a)
	if ok, _ := j.store.Has(ds.ID); ok {
		t.Fatal("the far node holds the dataset before asking: gossip is supposed to be off")
	}
	disconnect(j, a)
	if j.Host().Network().Connectedness(a.Host().ID()) == network.Connected {
		t.Fatal("still connected")
	}

	got, err := j.Attribution(t.Context(), ds.ID, api.QueryOptions{Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if got.Kind != "dataset" || !contributorDIDs(got)[a.repo.NodeKey.DID()] {
		t.Fatalf("attribution on the far node: kind %q, contributors %+v; want the dataset and the claim of %s", got.Kind, got.Contributors, a.repo.NodeKey.DID())
	}
	for _, id := range []protocol.ID{ds.ID, claim.ID} {
		if ok, _ := j.store.Has(id); !ok {
			t.Errorf("%s was not stored on the far node", id)
		}
	}
	// The provider that served the objects earned credit; the nodes that
	// only routed the lookup did not.
	for _, n := range nodes[:9] {
		c := j.net.Scores().Credit(n.Host().ID())
		if (n == a && c <= 0) || (n != a && c != 0) {
			t.Errorf("credit of node %s at the far node: %g (the provider: %v)", n.Host().ID(), c, n == a)
		}
	}
	// What was fetched is stored: the next answer is local.
	local, err := j.Attribution(t.Context(), ds.ID, api.QueryOptions{Local: true})
	if err != nil || len(local.Contributors) != 1 {
		t.Fatalf("local answer after the search: %+v, %v", local, err)
	}
}

// TestClaimsFromThreeNodes: claims about one dataset made on three nodes all
// appear in one attribution on a fourth, which asks every holder.
func TestClaimsFromThreeNodes(t *testing.T) {
	nodes := lineSwarm(t, 5, swarmOptions{})
	ds := mustDataset(t, nodes[0].Node, "curriculum")
	waitAnnounced(t, nodes[0])
	want := map[protocol.DID]bool{}
	for _, n := range nodes[1:4] {
		if _, err := n.Dataset(t.Context(), ds.ID, api.QueryOptions{Timeout: 10 * time.Second}); err != nil {
			t.Fatalf("node fetching the dataset to claim about it: %v", err)
		}
		if _, err := n.AddClaim(t.Context(), api.AddClaimRequest{Subject: ds.ID, Role: "annotator", Weight: 1}); err != nil {
			t.Fatal(err)
		}
		want[n.repo.NodeKey.DID()] = true
		waitAnnounced(t, n)
	}
	got, err := nodes[4].Attribution(t.Context(), ds.ID, api.QueryOptions{Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	have := contributorDIDs(got)
	for d := range want {
		if !have[d] {
			t.Errorf("the claim of %s is missing from the attribution on the fourth node (%d contributors)", d, len(got.Contributors))
		}
	}
}

// TestLocateAcrossNodes: locate of a file finds the dataset on another node.
func TestLocateAcrossNodes(t *testing.T) {
	nodes := lineSwarm(t, 4, swarmOptions{})
	files := []api.FileEntry{fileEntry("a.txt", "alpha"), fileEntry("b.txt", "beta")}
	ds, err := nodes[0].AddDataset(t.Context(), api.AddDatasetRequest{Name: "legal texts", License: "CC-BY-4.0", Files: files})
	if err != nil {
		t.Fatal(err)
	}
	waitAnnounced(t, nodes[0])
	d, _ := protocol.ParseDigest(files[1].SHA256)

	local, err := nodes[3].Locate(t.Context(), d, api.QueryOptions{Local: true})
	if err != nil || len(local.Datasets) != 0 {
		t.Fatalf("--local before the search: %+v, %v; want nothing", local, err)
	}
	got, err := nodes[3].Locate(t.Context(), d, api.QueryOptions{Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Datasets) != 1 || got.Datasets[0].ID != ds.ID || got.Datasets[0].Path != "b.txt" {
		t.Fatalf("locate on another node: %+v; want %s at b.txt", got.Datasets, ds.ID)
	}
}

// TestObjectNotFoundOnNetwork: a read of an ID nobody holds fails, with
// kind NotFound and a message that says where it looked: not on the
// network with local; on the network, where no peer announces it; and when
// the one peer that announces it does not answer, until the query's
// timeout, which the message names as what ended it.
func TestObjectNotFoundOnNetwork(t *testing.T) {
	nodes := lineSwarm(t, 3, swarmOptions{})
	ghost := mustDataset(t, newTestNode(t), "never announced").ID
	for _, tc := range []struct {
		q    api.QueryOptions
		want string
	}{
		{api.QueryOptions{Local: true}, "is not stored here (the network was not asked)"},
		{api.QueryOptions{Timeout: 2 * time.Second}, "is not stored here, and no peer announces it"},
	} {
		_, err := nodes[2].GetObject(t.Context(), ghost, tc.q)
		if !protocol.IsKind(err, protocol.NotFound) || !strings.Contains(err.Error(), ghost.String()) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: err %v, want not found and %q", tc.q, err, tc.want)
		}
	}

	// A peer announces the object and then never answers for it.
	stalled := stallingProvider(t, nodes[0], protocol.ObjectKey(ghost))
	_, err := nodes[2].GetObject(t.Context(), ghost, api.QueryOptions{Timeout: time.Second})
	want := "the search of the network ran out of time after asking 1 peers"
	if !protocol.IsKind(err, protocol.NotFound) || !strings.Contains(err.Error(), want) {
		t.Errorf("a read whose one provider stalls: err %v, want not found and %q", err, want)
	}
	if asked := stalled.Load(); asked == 0 {
		t.Error("the stalling provider was never asked")
	}
}

// stallingProvider starts a peer of boot's network that provides key on the
// DHT and reads the fetch requests it gets without ever answering them. It
// returns the count of requests it got.
func stallingProvider(t *testing.T, boot *netNode, key cid.Cid) *atomic.Int32 {
	t.Helper()
	h, err := p2p.NewHost(p2p.HostConfig{Key: mustKey(t), Listen: []string{"/ip4/127.0.0.1/tcp/0"}})
	if err != nil {
		t.Fatal(err)
	}
	d, err := p2p.NewDHT(h, boot.repo.Network, p2p.DHTOptions{Bootstrap: []peer.AddrInfo{{ID: boot.Host().ID(), Addrs: boot.Host().Addrs()}}})
	if err != nil {
		h.Close()
		t.Fatal(err)
	}
	done := make(chan struct{})
	t.Cleanup(func() { close(done); d.Close(); h.Close() })
	var asked atomic.Int32
	h.SetStreamHandler(fetch.ProtocolID, func(s network.Stream) {
		asked.Add(1)
		io.Copy(io.Discard, s) // the request, to its end
		<-done
		s.Reset()
	})
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	if err := p2p.WaitForPeers(ctx, d); err != nil {
		t.Fatal(err)
	}
	if err := p2p.Provide(ctx, d, key); err != nil {
		t.Fatal(err)
	}
	delivered(t, ctx, d, boot.repo.Network)
	return &asked
}

// delivered returns once every peer of network that d is connected to has
// handled what d sent it: ADD_PROVIDER has no answer, but a peer handles
// the messages of a DHT stream in order, and a ping goes on one of the
// streams of the messages d sent the peer before it (as many pings, all of
// them).
func delivered(t *testing.T, ctx context.Context, d *dht.IpfsDHT, network protocol.NetworkID) {
	t.Helper()
	kad := libp2pprotocol.ID(network.ProtocolPrefix() + "/kad/1.0.0")
	var peers []peer.ID
	for _, p := range d.Host().Network().Peers() {
		if ok, _ := d.Host().Peerstore().SupportsProtocols(p, kad); len(ok) > 0 {
			peers = append(peers, p) // others are not nodes of the network: d sent them nothing
		}
	}
	// The messages to a peer went out on up to MaxIdleDHTStreams
	// streams: as many pings at once take each of them.
	const m = p2p.MaxIdleDHTStreams
	errs := make([]error, len(peers)*m)
	var wg sync.WaitGroup
	for i := range errs {
		wg.Go(func() { errs[i] = d.Ping(ctx, peers[i/m]) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("ping %s after a provide: %v", peers[i/m], err)
		}
	}
}

// TestRestartKeepsIdentityDataAndAnnouncements: a node restarted with its
// repo has the same identity and data, and keeps announcing what it holds:
// nodes that joined after the restart, whose DHT never heard of the
// object, find it. The announcer that provides each key announces them
// all again at its start; the sweeper keeps its keys in the providers
// datastore and renews them when their region's turn comes (a short
// interval here).
func TestRestartKeepsIdentityDataAndAnnouncements(t *testing.T) {
	for _, kind := range announcers {
		t.Run(kind, func(t *testing.T) { testRestartKeepsAnnouncements(t, kind) })
	}
}

func testRestartKeepsAnnouncements(t *testing.T, announcer string) {
	genesis := testGenesis(t, "restart", randomDID(t))
	dir := filepath.Join(t.TempDir(), "b")
	o := swarmOptions{announcer: announcer}
	if announcer == swarm.AnnounceSweep {
		o.reannounce = 2 * time.Second
	}
	b := startNetNode(t, dir, genesis, o)
	first := startNetNode(t, filepath.Join(t.TempDir(), "a"), genesis, swarmOptions{}, b)
	if err := p2p.WaitForPeers(t.Context(), b.net.DHT()); err != nil {
		t.Fatal(err)
	}
	ds := mustDataset(t, b.Node, "community corpus")
	waitAnnounced(t, b)
	did, pid := b.repo.NodeKey.DID(), b.Host().ID()
	b.stop()
	first.stop()
	if announcer == swarm.AnnounceSweep {
		if n := sweepKeysIn(t, b.repo.ProviderRecordsDir()); n == 0 {
			t.Fatal("the sweeper kept no key in the providers datastore")
		}
	}

	b = startNetNode(t, dir, genesis, o)
	if b.repo.NodeKey.DID() != did || b.Host().ID() != pid {
		t.Fatalf("identity changed across the restart: %s %s, was %s %s", b.repo.NodeKey.DID(), b.Host().ID(), did, pid)
	}
	if ok, _ := b.store.Has(ds.ID); !ok {
		t.Fatal("the dataset is gone after the restart")
	}
	// Two fresh nodes: c joins through b, d through c.
	c := startNetNode(t, filepath.Join(t.TempDir(), "c"), genesis, swarmOptions{}, b)
	d := startNetNode(t, filepath.Join(t.TempDir(), "d"), genesis, swarmOptions{}, c)
	if err := p2p.WaitForPeers(t.Context(), d.net.DHT()); err != nil {
		t.Fatal(err)
	}
	waitRound(t, b)
	got, err := d.Dataset(t.Context(), ds.ID, api.QueryOptions{Timeout: 10 * time.Second})
	if err != nil {
		t.Fatalf("a node that joined after the restart: %v", err)
	}
	if got.Name != "community corpus" {
		t.Fatalf("got %+v", got)
	}
}

// sweepKeysIn counts the keys the sweeper keeps in the providers
// datastore in dir, which no daemon holds open.
func sweepKeysIn(t *testing.T, dir string) int {
	t.Helper()
	store, err := p2p.OpenDatastore(dir, p2p.DatastoreLimits{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	res, err := store.Query(t.Context(), query.Query{Prefix: swarm.SweepNamespace.ChildString("keys").String(), KeysOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	all, err := res.Rest()
	if err != nil {
		t.Fatal(err)
	}
	return len(all)
}

// waitRound waits until n's announcer has provided, since its start, at
// least as many keys as it keeps announced — a round of the announcer
// that provides each key, a cycle of the sweeper — and the peers it gave
// records to have stored them.
func waitRound(t *testing.T, n *netNode) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		c := n.net.Announcer().Counts()
		if c.Keys > 0 && c.Provided >= uint64(c.Keys) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the announcer did not renew its keys in 30 s: %+v", c)
		}
		time.Sleep(50 * time.Millisecond)
	}
	delivered(t, t.Context(), n.net.DHT(), n.repo.Network)
}

// TestOutsidersKeptOut: a node of another commons, bootstrapped straight
// to the swarm, shares no routing table with it and finds nothing; a node
// without the swarm key of a private swarm cannot even connect.
func TestOutsidersKeptOut(t *testing.T) {
	t.Run("other genesis", func(t *testing.T) {
		nodes := lineSwarm(t, 3, swarmOptions{})
		ds := mustDataset(t, nodes[0].Node, "members only")
		waitAnnounced(t, nodes[0])
		other := startNetNode(t, filepath.Join(t.TempDir(), "x"), testGenesis(t, "another commons", randomDID(t)), swarmOptions{}, nodes[0], nodes[2])
		// A member that joins the same way at the same moment, and lets
		// outsiders stay only briefly. Once the swarm has taken it into
		// its routing tables, and the outsider and the members it joined
		// through have identified each other (what a routing table goes
		// by), the outsider has had the same chance to be taken in.
		member := startNetNode(t, filepath.Join(t.TempDir(), "m"), genesisOf(t, nodes[0]), swarmOptions{outsiderGrace: 300 * time.Millisecond}, nodes[0], nodes[2])
		waitFor(t, "the member and the nodes it joined through hold each other in their routing tables", func() bool {
			for _, n := range []*netNode{nodes[0], nodes[2]} {
				if n.net.DHT().RoutingTable().Find(member.Host().ID()) == "" || member.net.DHT().RoutingTable().Find(n.Host().ID()) == "" {
					return false
				}
			}
			return true
		})
		waitFor(t, "the outsider and the nodes it joined through have identified each other", func() bool {
			for _, n := range []*netNode{nodes[0], nodes[2]} {
				if !identified(other.Host(), n.Host().ID()) || !identified(n.Host(), other.Host().ID()) {
					return false
				}
			}
			return true
		})
		if size := other.net.DHT().RoutingTable().Size(); size != 0 {
			t.Errorf("the outsider's routing table has %d peers", size)
		}
		for _, n := range nodes {
			if n.net.DHT().RoutingTable().Find(other.Host().ID()) != "" {
				t.Errorf("a member's routing table holds the outsider")
			}
		}
		_, err := other.Dataset(t.Context(), ds.ID, api.QueryOptions{Timeout: 2 * time.Second})
		if !protocol.IsKind(err, protocol.NotFound) || !strings.Contains(err.Error(), "this node has no peers to ask") {
			t.Errorf("the outsider read the dataset: err %v, want not found for want of peers", err)
		}
		_, err = other.Connect(t.Context(), nodes[1].net.Addrs()[0])
		if !protocol.IsKind(err, protocol.Forbidden) || !strings.Contains(err.Error(), "not a member of this commons") {
			t.Errorf("swarm connect to a node of another commons: err %v, want a refusal that says so", err)
		}
		if other.Host().Network().Connectedness(nodes[1].Host().ID()) == network.Connected {
			t.Error("the refused connection stayed open")
		}

		// A plain connection from the outsider, not through swarm connect:
		// the member closes it once its grace for identifying passes.
		third := startNetNode(t, filepath.Join(t.TempDir(), "y"), testGenesis(t, "a third commons", randomDID(t)), swarmOptions{})
		if err := third.Host().Connect(t.Context(), peer.AddrInfo{ID: member.Host().ID(), Addrs: member.Host().Addrs()}); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "the member closes the outsider's plain connection", func() bool {
			return member.Host().Network().Connectedness(third.Host().ID()) != network.Connected
		})
		if member.Host().Network().Connectedness(nodes[0].Host().ID()) != network.Connected {
			t.Error("the member also dropped a peer of its own commons")
		}
	})
	t.Run("swarm key", func(t *testing.T) {
		key, err := repo.NewSwarmKey(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		psk, err := repo.ParseSwarmKey(key)
		if err != nil {
			t.Fatal(err)
		}
		nodes := lineSwarm(t, 2, swarmOptions{swarmKey: psk})
		genesis := genesisOf(t, nodes[0])
		outsider := startNetNode(t, filepath.Join(t.TempDir(), "x"), genesis, swarmOptions{})
		addr := nodes[0].net.Addrs()[0]
		if _, err := outsider.Connect(t.Context(), addr); err == nil {
			t.Fatal("a node without the swarm key connected to the private swarm")
		} else {
			t.Logf("refused as expected: %v", err)
		}
	})
}

// identified reports whether h has identified p: it knows the protocols p
// speaks.
func identified(h host.Host, p peer.ID) bool {
	protos, err := h.Peerstore().GetProtocols(p)
	return err == nil && len(protos) > 0
}

// waitFor polls cond every 50 ms until it holds or 15 s pass.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after 15 s: %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// waitMesh waits until every node sees a peer on the announce topic, and a
// heartbeat more, so that a publish reaches the mesh.
func waitMesh(t *testing.T, nodes []*netNode) {
	t.Helper()
	for _, n := range nodes {
		waitFor(t, "announce topic peers", func() bool { return len(n.net.Topic().Peers()) > 0 })
	}
	time.Sleep(300 * time.Millisecond)
}

func (n *netNode) scoreOf(p peer.ID) float64 { return n.net.Scores().Score(p) }

// TestGossipIndexesAtOnce: with the announce topic on, a dataset published
// on one node is stored by every online node without anyone asking.
func TestGossipIndexesAtOnce(t *testing.T) {
	nodes := lineSwarm(t, 4, swarmOptions{gossip: true})
	waitMesh(t, nodes)
	ds := mustDataset(t, nodes[0].Node, "gossiped")
	for _, n := range nodes[1:] {
		waitFor(t, "the dataset reaches every node by gossip", func() bool {
			ok, _ := n.store.Has(ds.ID)
			return ok
		})
	}
}

// TestHostileGossip: a peer that publishes envelopes that do not verify on
// the announce topic gets nothing stored, its messages are not forwarded,
// and its score drops; the node keeps serving others.
func TestHostileGossip(t *testing.T) {
	nodes := lineSwarm(t, 3, swarmOptions{gossip: true})
	victim := nodes[0]
	hostile := hostileTopic(t, victim, victim.repo.Network.AnnounceTopic())
	junk := [][]byte{
		[]byte("not json at all"),
		[]byte(`{"payloadType":"application/vnd.in-toto+json","payload":"e30=","signatures":[{"keyid":"","sig":"AAAA"}]}`),
	}
	for range 5 {
		for _, m := range junk {
			if err := hostile.Publish(t.Context(), m); err != nil {
				t.Fatal(err)
			}
		}
	}
	waitFor(t, "the hostile peer's score drops", func() bool { return victim.scoreOf(hostile.hostID) < 0 })
	// Two invalid messages put a peer on GossipSub's gray list: from then
	// on the victim takes in nothing more from it, and what it took in
	// before has been judged.
	waitFor(t, "the victim's GossipSub gray-lists the hostile peer", func() bool {
		return victim.net.Gossip().PeerScore(hostile.hostID) < -100 && gossipedCount(t, victim, "refused") >= 2
	})
	st, err := victim.store.Stats()
	if err != nil || st.Objects != 0 {
		t.Errorf("the victim stored %d objects from junk (err %v)", st.Objects, err)
	}
	// The victim still serves: an honest publish goes through. It goes
	// after the junk on the victim's streams to its neighbours, so once
	// it has arrived, junk passed on would have arrived before it.
	waitMesh(t, nodes)
	ds := mustDataset(t, victim.Node, "after the attack")
	for _, n := range nodes[1:] {
		waitFor(t, "honest gossip still flows", func() bool { ok, _ := n.store.Has(ds.ID); return ok })
	}
	for _, n := range nodes[1:] {
		if s := n.scoreOf(victim.Host().ID()); s < 0 {
			t.Errorf("a neighbour penalised the victim (%v): junk was forwarded", s)
		}
		if got := gossipedCount(t, n, "refused"); got != 0 {
			t.Errorf("a neighbour refused %v announcements: the victim forwarded junk", got)
		}
	}
	peers, _ := victim.Peers(t.Context())
	for _, p := range peers {
		if p.PeerID == hostile.hostID.String() && p.Score >= 0 {
			t.Errorf("swarm peers shows the hostile peer with score %v", p.Score)
		}
	}
}

// TestHostileFetchClient: a peer that sends malformed fetch requests is
// penalised, and the node still answers others.
func TestHostileFetchClient(t *testing.T) {
	nodes := lineSwarm(t, 2, swarmOptions{})
	victim := nodes[0]
	hostile, err := p2p.NewHost(p2p.HostConfig{Key: mustKey(t), Listen: []string{"/ip4/127.0.0.1/tcp/0"}})
	if err != nil {
		t.Fatal(err)
	}
	defer hostile.Close()
	if err := hostile.Connect(t.Context(), peer.AddrInfo{ID: victim.Host().ID(), Addrs: victim.Host().Addrs()}); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		st, err := hostile.NewStream(t.Context(), victim.Host().ID(), fetch.ProtocolID)
		if err != nil {
			t.Fatal(err)
		}
		st.Write([]byte{0x05, 0x01, 'j', 'u', 'n', 'k'}) // a frame of the wrong type
		st.CloseWrite()
		io.Copy(io.Discard, st)
		st.Close()
	}
	waitFor(t, "the hostile client's score drops", func() bool { return victim.scoreOf(hostile.ID()) < 0 })
	ds := mustDataset(t, victim.Node, "still served")
	waitAnnounced(t, victim)
	if _, err := nodes[1].Dataset(t.Context(), ds.ID, api.QueryOptions{Timeout: 10 * time.Second}); err != nil {
		t.Fatalf("an honest peer after the attack: %v", err)
	}
}

func mustKey(t *testing.T) *protocol.Key {
	t.Helper()
	k, err := protocol.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// genesisOf returns the bytes of n's genesis.
func genesisOf(t *testing.T, n *netNode) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(n.dir, repo.GenesisFile))
	if err != nil {
		t.Fatal(err)
	}
	return b
}
