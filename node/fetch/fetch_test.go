package fetch

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/store/storetest"
)

func TestObjectsFetchedAndVerified(t *testing.T) {
	f := newFixture(t, 3, 2, ServerOptions{})
	missing := storetest.NewDataset(t, storetest.Key(t, "nobody"), "never stored").ID
	want := []protocol.ID{f.claims[1].ID, f.datasets[2].ID, missing, f.datasets[0].ID, f.datasets[2].ID}

	objs, notFound, err := f.fetch.Objects(context.Background(), f.server.ID(), want)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := idsOf(objs), []protocol.ID{f.claims[1].ID, f.datasets[2].ID, f.datasets[0].ID}; !slices.Equal(got, want) {
		t.Errorf("objects %v, want %v (in order asked, duplicates once)", got, want)
	}
	if !slices.Equal(notFound, []protocol.ID{missing}) {
		t.Errorf("not found %v, want %v", notFound, missing)
	}
	if objs[0].Kind != protocol.KindAttribution || objs[0].About != f.subjectID || objs[1].Dataset.Name != "dataset 2" {
		t.Errorf("objects lost their meaning: %+v %+v", objs[0], objs[1])
	}
	if p := append(f.srvPen.all(), f.cliPen.all()...); len(p) != 0 {
		t.Errorf("penalties on a clean exchange: %q", p)
	}
}

func TestObjectsAllNotFound(t *testing.T) {
	f := newFixture(t, 1, 0, ServerOptions{})
	a := storetest.NewDataset(t, storetest.Key(t, "x"), "a").ID
	b := storetest.NewDataset(t, storetest.Key(t, "x"), "b").ID
	objs, notFound, err := f.fetch.Objects(context.Background(), f.server.ID(), []protocol.ID{a, b})
	if err != nil || len(objs) != 0 || !slices.Equal(notFound, []protocol.ID{a, b}) {
		t.Fatalf("got %d objects, not found %v, err %v; want none, [%s %s], nil", len(objs), notFound, err, a, b)
	}
}

// checkPages asks for 25 IDs in pages of 10, each page after the last ID
// of the one before, and checks that they come as pages of 10, 10 and 5
// holding want in text order, which it returns.
func checkPages(t *testing.T, want []protocol.ID, ask func(after protocol.ID) ([]protocol.ID, bool, error)) []protocol.ID {
	t.Helper()
	var got []protocol.ID
	var pages []int
	after := protocol.ID{}
	for {
		ids, more, err := ask(after)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, ids...)
		pages = append(pages, len(ids))
		if !more {
			break
		}
		after = ids[len(ids)-1]
	}
	if !slices.Equal(pages, []int{10, 10, 5}) {
		t.Errorf("pages of %v, want [10 10 5]", pages)
	}
	want = slices.Clone(want)
	slices.SortFunc(want, func(a, b protocol.ID) int { return strings.Compare(a.String(), b.String()) })
	if !slices.Equal(got, want) {
		t.Errorf("got\n%v\nwant\n%v", got, want)
	}
	return got
}

func TestClaimsPaging(t *testing.T) {
	f := newFixture(t, 1, 25, ServerOptions{})
	checkPages(t, idsOf(f.claims), func(after protocol.ID) ([]protocol.ID, bool, error) {
		return f.fetch.Claims(context.Background(), f.server.ID(), f.subjectID, after, 10)
	})

	ids, more, err := f.fetch.Claims(context.Background(), f.server.ID(), f.datasets[0].ID, protocol.ID{}, 0)
	if err != nil || len(ids) != 25 || more {
		t.Errorf("default limit: %d ids, more %v, %v; want 25, false", len(ids), more, err)
	}
	ids, more, err = f.fetch.Claims(context.Background(), f.server.ID(), f.claims[0].ID, protocol.ID{}, 0)
	if err != nil || len(ids) != 0 || more {
		t.Errorf("claims about a claim nobody made claims about: %v, %v, %v", ids, more, err)
	}
}

// TestDatasetsPaging locates a file as a node that has never seen it
// would: the datasets that name it, page by page, then the datasets.
func TestDatasetsPaging(t *testing.T) {
	f := newFixture(t, 1, 0, ServerOptions{})
	shared := storetest.FileOf("shared.csv", "rows everyone copies")
	pub := storetest.Key(t, "publisher")
	var naming []*protocol.Object
	for i := range 25 {
		naming = append(naming, storetest.NewDataset(t, pub, fmt.Sprintf("copy %d", i), shared, storetest.FileOf("own.txt", fmt.Sprint(i))))
	}
	made := storetest.NewDerivation(t, pub, shared, "copying", f.datasets[0].ID) // made the file, does not name it
	storetest.MustPut(t, f.store, append(naming, made)...)

	got := checkPages(t, idsOf(naming), func(after protocol.ID) ([]protocol.ID, bool, error) {
		return f.fetch.Datasets(context.Background(), f.server.ID(), shared.Digest, after, 10)
	})

	objs, _, err := f.fetch.Objects(context.Background(), f.server.ID(), got[:3])
	if err != nil || len(objs) != 3 || !slices.Contains(objs[0].Files, shared) {
		t.Errorf("fetching the datasets found: %d objects, %v", len(objs), err)
	}

	ids, more, err := f.fetch.Datasets(context.Background(), f.server.ID(), shared.Digest, protocol.ID{}, 0)
	if err != nil || len(ids) != 25 || more {
		t.Errorf("default limit: %d ids, more %v, %v; want 25, false", len(ids), more, err)
	}
	ids, more, err = f.fetch.Datasets(context.Background(), f.server.ID(), protocol.SumDigest([]byte("a file nobody has")), protocol.ID{}, 0)
	if err != nil || len(ids) != 0 || more {
		t.Errorf("a file no dataset names: %v, %v, %v", ids, more, err)
	}
	if p := append(f.srvPen.all(), f.cliPen.all()...); len(p) != 0 {
		t.Errorf("penalties on a clean exchange: %q", p)
	}
}

func TestGovNodes(t *testing.T) {
	srv, cli := newHost(t), newHost(t)
	known := storetest.NewDataset(t, storetest.Key(t, "gov"), "a governance node stand-in").ID
	unknown := storetest.NewDataset(t, storetest.Key(t, "gov"), "absent").ID
	src := &fakeSource{govNode: func(id protocol.ID) ([]byte, error) {
		if id == known {
			return []byte("raw node bytes"), nil
		}
		return nil, notFound(id)
	}}
	NewServer(testNetwork, src, ServerOptions{}).Register(srv)
	connect(t, cli, srv)
	nodes, nf, err := NewClient(cli, testNetwork, ClientOptions{}).GovNodes(context.Background(), srv.ID(), []protocol.ID{unknown, known})
	if err != nil {
		t.Fatal(err)
	}
	if len(nodes) != 1 || nodes[0].ID != known || string(nodes[0].Bytes) != "raw node bytes" || !slices.Equal(nf, []protocol.ID{unknown}) {
		t.Errorf("nodes %+v, not found %v", nodes, nf)
	}
}

func TestWrongNetworkRefused(t *testing.T) {
	f := newFixture(t, 1, 0, ServerOptions{})
	c := NewClient(f.client, otherNetwork, ClientOptions{Penalty: f.cliPen.hook})
	objs, _, err := c.Objects(context.Background(), f.server.ID(), []protocol.ID{f.datasets[0].ID})
	var re *RemoteError
	if !protocol.IsKind(err, protocol.Forbidden) || !errors.As(err, &re) || re.Code != CodeWrongNetwork || len(objs) != 0 {
		t.Fatalf("got %d objects and %v; want a refusal of kind forbidden, code wrong network", len(objs), err)
	}
	if !strings.Contains(err.Error(), testNetwork.String()) || !strings.Contains(err.Error(), f.server.ID().String()) {
		t.Errorf("error %q does not name the peer and its network", err)
	}
	f.srvPen.wait(t, f.client.ID(), "another network")
	if p := f.cliPen.all(); len(p) != 0 {
		t.Errorf("client penalised an honest server: %q", p)
	}
	f.checkServes(t)
}

func TestSourceFailureIsTransient(t *testing.T) {
	srv, cli := newHost(t), newHost(t)
	src := &fakeSource{
		envelope: func(protocol.ID) ([]byte, error) { return nil, errors.New("disk on fire") },
		datasetsWithFile: func(protocol.Digest, protocol.ID, int) ([]protocol.ID, bool, error) {
			return nil, false, errors.New("disk on fire")
		},
	}
	NewServer(testNetwork, src, ServerOptions{}).Register(srv)
	connect(t, cli, srv)
	pen := &penalties{}
	c := NewClient(cli, testNetwork, ClientOptions{Penalty: pen.hook})
	id := storetest.NewDataset(t, storetest.Key(t, "x"), "x").ID
	_, _, objErr := c.Objects(context.Background(), srv.ID(), []protocol.ID{id})
	_, _, listErr := c.Datasets(context.Background(), srv.ID(), id.Digest(), protocol.ID{}, 0)
	for _, err := range []error{objErr, listErr} {
		var re *RemoteError
		if !protocol.IsKind(err, protocol.Transient) || !errors.As(err, &re) || re.Code != CodeServerError {
			t.Fatalf("got %v; want a transient server error", err)
		}
		if strings.Contains(err.Error(), "fire") {
			t.Errorf("server leaked its internal error: %v", err)
		}
	}
	if len(pen.all()) != 0 {
		t.Errorf("penalised a server for its own failure: %q", pen.all())
	}
}

func TestClientRefusesBadCalls(t *testing.T) {
	f := newFixture(t, 1, 0, ServerOptions{})
	many := make([]protocol.ID, MaxIDs+1)
	for i := range many {
		many[i] = protocol.ObjectID([]byte{byte(i), byte(i >> 8)})
	}
	artifact := protocol.ArtifactID(protocol.SumDigest([]byte("a file")))
	for name, ids := range map[string][]protocol.ID{"none": nil, "too many": many, "artifact": {artifact}} {
		if _, _, err := f.fetch.Objects(context.Background(), f.server.ID(), ids); !protocol.IsKind(err, protocol.Invalid) {
			t.Errorf("%s: %v, want an invalid-call error", name, err)
		}
	}
	if _, _, err := f.fetch.Claims(context.Background(), f.server.ID(), f.subjectID, protocol.ID{}, MaxClaims+1); !protocol.IsKind(err, protocol.Invalid) {
		t.Errorf("claims, limit over MaxClaims: %v", err)
	}
	d := protocol.SumDigest([]byte("a file"))
	if _, _, err := f.fetch.Datasets(context.Background(), f.server.ID(), d, protocol.ID{}, MaxClaims+1); !protocol.IsKind(err, protocol.Invalid) {
		t.Errorf("datasets, limit over MaxClaims: %v", err)
	}
	if _, _, err := f.fetch.Datasets(context.Background(), f.server.ID(), protocol.Digest{}, protocol.ID{}, 0); !protocol.IsKind(err, protocol.Invalid) {
		t.Errorf("datasets, no digest: %v", err)
	}
	if _, _, err := f.fetch.Datasets(context.Background(), f.server.ID(), d, artifact, 0); !protocol.IsKind(err, protocol.Invalid) {
		t.Errorf("datasets, after an artifact: %v", err)
	}
	if p := f.srvPen.all(); len(p) != 0 {
		t.Errorf("bad calls reached the server: %q", p)
	}
}
