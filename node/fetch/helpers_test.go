package fetch

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/protocol/manifest"
	"github.com/commons-p2p/commons/store"
	"github.com/commons-p2p/commons/store/storetest"
)

var (
	testNetwork  = protocol.NetworkIDOf([]byte(`{"name":"fetch test commons"}`))
	otherNetwork = protocol.NetworkIDOf([]byte(`{"name":"another commons"}`))
)

// newHost starts a libp2p host on loopback TCP, closed when the test ends.
func newHost(tb testing.TB) host.Host {
	tb.Helper()
	h, err := libp2p.New(
		libp2p.ListenAddrStrings("/ip4/127.0.0.1/tcp/0"),
		libp2p.DisableMetrics(),
	)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { h.Close() })
	return h
}

// connect connects a to b.
func connect(tb testing.TB, a, b host.Host) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := a.Connect(ctx, peer.AddrInfo{ID: b.ID(), Addrs: b.Addrs()}); err != nil {
		tb.Fatal(err)
	}
}

// fakeSource is a Source made of function fields; nil fields find nothing.
type fakeSource struct {
	envelope         func(protocol.ID) ([]byte, error)
	claimsAbout      func(subject, after protocol.ID, limit int) ([]protocol.ID, bool, error)
	datasetsWithFile func(d protocol.Digest, after protocol.ID, limit int) ([]DatasetPaths, bool, error)
	rotations        func(key protocol.DID, after protocol.ID, limit int) ([]protocol.ID, bool, error)
	derivedFrom      func(subject, after protocol.ID, limit int) ([]protocol.ID, bool, error)
	govNode          func(protocol.ID) ([]byte, error)
	chunk            func(manifest.ChunkID) ([]byte, error)
}

var _ Source = (*fakeSource)(nil)

func notFound(id protocol.ID) error {
	return protocol.E("fake source", protocol.NotFound, "%s is not here", id)
}

func (f *fakeSource) Envelope(id protocol.ID) ([]byte, error) {
	if f.envelope == nil {
		return nil, notFound(id)
	}
	return f.envelope(id)
}

func (f *fakeSource) ClaimsAbout(subject, after protocol.ID, limit int) ([]protocol.ID, bool, error) {
	if f.claimsAbout == nil {
		return nil, false, nil
	}
	return f.claimsAbout(subject, after, limit)
}

func (f *fakeSource) Chunk(id manifest.ChunkID) ([]byte, error) {
	if f.chunk == nil {
		return nil, notFound(id.ID())
	}
	return f.chunk(id)
}

func (f *fakeSource) DatasetsWithFile(d protocol.Digest, after protocol.ID, limit int) ([]DatasetPaths, bool, error) {
	if f.datasetsWithFile == nil {
		return nil, false, nil
	}
	return f.datasetsWithFile(d, after, limit)
}

func (f *fakeSource) Rotations(key protocol.DID, after protocol.ID, limit int) ([]protocol.ID, bool, error) {
	if f.rotations == nil {
		return nil, false, nil
	}
	return f.rotations(key, after, limit)
}

func (f *fakeSource) DerivedFrom(subject, after protocol.ID, limit int) ([]protocol.ID, bool, error) {
	if f.derivedFrom == nil {
		return nil, false, nil
	}
	return f.derivedFrom(subject, after, limit)
}

func (f *fakeSource) GovNode(id protocol.ID) ([]byte, error) {
	if f.govNode == nil {
		return nil, notFound(id)
	}
	return f.govNode(id)
}

// penalties records the calls of a Penalty hook.
type penalties struct {
	mu    sync.Mutex
	calls []string
}

func (p *penalties) hook(id peer.ID, reason string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.calls = append(p.calls, fmt.Sprintf("%s: %s", id, reason))
}

func (p *penalties) all() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.calls...)
}

// wait waits until a call names who and contains reason.
func (p *penalties) wait(tb testing.TB, who peer.ID, reason string) {
	tb.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		for _, c := range p.all() {
			if strings.HasPrefix(c, who.String()+": ") && strings.Contains(c, reason) {
				return
			}
		}
	}
	tb.Fatalf("no penalty of %s for %q; calls: %q", who, reason, p.all())
}

// fixture is a server on a host with a store of objects, and a client on
// another host connected to it.
type fixture struct {
	store     *store.Store
	server    host.Host
	client    host.Host
	srvPen    *penalties
	cliPen    *penalties
	fetch     *Client
	honest    *Client // another peer's client, for checkServes
	datasets  []*protocol.Object
	claims    []*protocol.Object // all about datasets[0]
	subjectID protocol.ID
}

// newFixture stores nDatasets datasets and nClaims claims about the first.
func newFixture(tb testing.TB, nDatasets, nClaims int, opts ServerOptions) *fixture {
	tb.Helper()
	f := &fixture{store: storetest.Open(tb), server: newHost(tb), client: newHost(tb), srvPen: &penalties{}, cliPen: &penalties{}}
	pub := storetest.Key(tb, "publisher")
	for i := range nDatasets {
		f.datasets = append(f.datasets, storetest.NewDataset(tb, pub, fmt.Sprintf("dataset %d", i)))
	}
	storetest.MustPut(tb, f.store, f.datasets...)
	if nDatasets > 0 {
		f.subjectID = f.datasets[0].ID
		for i := range nClaims {
			k := storetest.Key(tb, fmt.Sprintf("contributor %d", i))
			f.claims = append(f.claims, storetest.NewClaim(tb, k, f.subjectID, k.DID(), "annotator", 0.5))
		}
		storetest.MustPut(tb, f.store, f.claims...)
	}
	opts.Penalty = f.srvPen.hook
	NewServer(testNetwork, storeSource{f.store}, opts).Register(f.server)
	connect(tb, f.client, f.server)
	f.fetch = NewClient(f.client, testNetwork, ClientOptions{Penalty: f.cliPen.hook})
	honest := newHost(tb)
	connect(tb, honest, f.server)
	f.honest = NewClient(honest, testNetwork, ClientOptions{Timeout: 10 * time.Second})
	return f
}

// checkServes shows that the server still answers a well-behaved client
// on a host of its own.
func (f *fixture) checkServes(tb testing.TB) {
	tb.Helper()
	objs, _, err := f.honest.Objects(context.Background(), f.server.ID(), []protocol.ID{f.datasets[0].ID})
	if err != nil || len(objs) != 1 {
		tb.Fatalf("server no longer answers: %d objects, %v", len(objs), err)
	}
}

func idsOf(objs []*protocol.Object) []protocol.ID {
	out := make([]protocol.ID, len(objs))
	for i, o := range objs {
		out[i] = o.ID
	}
	return out
}

// storeSource serves the fixture's store as the node's adapter does; the
// adapter lives in node, since this package never imports the store.
type storeSource struct{ st *store.Store }

func (s storeSource) Envelope(id protocol.ID) ([]byte, error) {
	env, err := s.st.Envelope(id)
	if err != nil {
		return nil, err
	}
	return env.Encode(), nil
}

func (s storeSource) ClaimsAbout(subject, after protocol.ID, limit int) ([]protocol.ID, bool, error) {
	return s.st.ClaimsPage(subject, after, limit)
}

func (s storeSource) DatasetsWithFile(d protocol.Digest, after protocol.ID, limit int) ([]DatasetPaths, bool, error) {
	page, more, err := s.st.LocatePage(d, after, limit, MaxPaths)
	if err != nil {
		return nil, false, err
	}
	out := make([]DatasetPaths, len(page))
	for i, l := range page {
		out[i] = DatasetPaths{Dataset: l.Dataset, Paths: l.Paths}
	}
	return out, more, nil
}

func (s storeSource) Chunk(id manifest.ChunkID) ([]byte, error) { return s.st.Chunk(id) }

func (s storeSource) GovNode(id protocol.ID) ([]byte, error) { return s.st.GovUpdate(id) }

func (s storeSource) Rotations(key protocol.DID, after protocol.ID, limit int) ([]protocol.ID, bool, error) {
	return s.st.RotationsPage(key, after, limit)
}

func (s storeSource) DerivedFrom(subject, after protocol.ID, limit int) ([]protocol.ID, bool, error) {
	return s.st.DerivedPage(subject, after, limit)
}
