package fetch

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/protocol/manifest"
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

// TestDerivedPaging lists what was made from a dataset as a node that
// has never seen it would, page by page.
func TestDerivedPaging(t *testing.T) {
	f := newFixture(t, 1, 0, ServerOptions{})
	var made []*protocol.Object
	for i := range 25 {
		k := storetest.Key(t, fmt.Sprintf("trainer %d", i))
		made = append(made, storetest.NewDerivation(t, k, storetest.FileOf("model.bin", fmt.Sprint(i)), "trained-on", f.subjectID))
	}
	storetest.MustPut(t, f.store, made...)
	checkPages(t, idsOf(made), func(after protocol.ID) ([]protocol.ID, bool, error) {
		return f.fetch.Derived(context.Background(), f.server.ID(), f.subjectID, after, 10)
	})
	ids, more, err := f.fetch.Derived(context.Background(), f.server.ID(), made[0].ID, protocol.ID{}, 0)
	if err != nil || len(ids) != 0 || more {
		t.Errorf("what was made from a model nothing was made from: %v, %v, %v", ids, more, err)
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
		found, more, err := f.fetch.Datasets(context.Background(), f.server.ID(), shared.Digest, after, 10)
		for _, d := range found {
			if !slices.Equal(d.Paths, []string{"shared.csv"}) {
				t.Errorf("dataset %s listed with paths %q, want [shared.csv]", d.Dataset, d.Paths)
			}
		}
		return datasetIDs(found), more, err
	})

	objs, _, err := f.fetch.Objects(context.Background(), f.server.ID(), got[:3])
	if err != nil || len(objs) != 3 || !slices.Contains(objs[0].Files, shared) {
		t.Errorf("fetching the datasets found: %d objects, %v", len(objs), err)
	}

	found, more, err := f.fetch.Datasets(context.Background(), f.server.ID(), shared.Digest, protocol.ID{}, 0)
	if err != nil || len(found) != 25 || more {
		t.Errorf("default limit: %d datasets, more %v, %v; want 25, false", len(found), more, err)
	}
	found, more, err = f.fetch.Datasets(context.Background(), f.server.ID(), protocol.SumDigest([]byte("a file nobody has")), protocol.ID{}, 0)
	if err != nil || len(found) != 0 || more {
		t.Errorf("a file no dataset names: %v, %v, %v", found, more, err)
	}
	if p := append(f.srvPen.all(), f.cliPen.all()...); len(p) != 0 {
		t.Errorf("penalties on a clean exchange: %q", p)
	}
}

func datasetIDs(found []DatasetPaths) []protocol.ID {
	ids := make([]protocol.ID, len(found))
	for i, f := range found {
		ids[i] = f.Dataset
	}
	return ids
}

// TestDatasetsPathsCapped: a dataset that lists one file under many paths
// is answered with the first MaxPaths of them, in the order it lists them.
func TestDatasetsPathsCapped(t *testing.T) {
	f := newFixture(t, 0, 0, ServerOptions{})
	var files []protocol.File
	var paths []string
	for i := range MaxPaths + 4 {
		p := fmt.Sprintf("copies/%02d.txt", i)
		files, paths = append(files, protocol.File{Name: p, Digest: protocol.SumDigest([]byte("same")), Size: 4}), append(paths, p)
	}
	ds := storetest.NewDataset(t, storetest.Key(t, "publisher"), "many copies", files...)
	storetest.MustPut(t, f.store, ds)
	found, more, err := f.fetch.Datasets(context.Background(), f.server.ID(), files[0].Digest, protocol.ID{}, 0)
	if err != nil || more || len(found) != 1 || found[0].Dataset != ds.ID {
		t.Fatalf("got %v, more %v, %v; want the one dataset", found, more, err)
	}
	if !slices.Equal(found[0].Paths, paths[:MaxPaths]) {
		t.Errorf("paths %q, want the first %d: %q", found[0].Paths, MaxPaths, paths[:MaxPaths])
	}
}

// TestDatasetsPageCutToOneFrame: a page of datasets whose paths would take
// its frame over the limit ends early and says more; paging from there
// gives every dataset once.
func TestDatasetsPageCutToOneFrame(t *testing.T) {
	all := manyIDs(MaxClaims)
	long := make([]string, MaxPaths)
	for i := range long {
		long[i] = fmt.Sprintf("%04d/", i) + strings.Repeat("x", protocol.MaxPathLen-5)
	}
	src := &fakeSource{datasetsWithFile: func(_ protocol.Digest, after protocol.ID, limit int) ([]DatasetPaths, bool, error) {
		i := 0
		if !after.IsZero() {
			i = slices.Index(all, after) + 1
		}
		var page []DatasetPaths
		for ; i < len(all) && len(page) < limit; i++ {
			page = append(page, DatasetPaths{Dataset: all[i], Paths: long})
		}
		return page, i < len(all), nil
	}}
	srv, cli := newHost(t), newHost(t)
	NewServer(testNetwork, src, ServerOptions{}).Register(srv)
	connect(t, cli, srv)
	c := NewClient(cli, testNetwork, ClientOptions{})
	var got []protocol.ID
	pages := 0
	for after := (protocol.ID{}); ; pages++ {
		found, more, err := c.Datasets(context.Background(), srv.ID(), protocol.SumDigest([]byte("f")), after, 0)
		if err != nil {
			t.Fatal(err)
		}
		if pages == 0 && (len(found) >= MaxClaims || !more) {
			t.Fatalf("first page: %d datasets, more %v; want it cut short, saying more", len(found), more)
		}
		for _, d := range found {
			if !slices.Equal(d.Paths, long) {
				t.Fatalf("dataset %s with %d paths, want all %d", d.Dataset, len(d.Paths), len(long))
			}
		}
		got = append(got, datasetIDs(found)...)
		if !more {
			break
		}
		after = found[len(found)-1].Dataset
	}
	if !slices.Equal(got, all) {
		t.Errorf("paged %d datasets, want the %d in order", len(got), len(all))
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
		datasetsWithFile: func(protocol.Digest, protocol.ID, int) ([]DatasetPaths, bool, error) {
			return nil, false, errors.New("disk on fire")
		},
		chunk: func(manifest.ChunkID) ([]byte, error) { return nil, errors.New("disk on fire") },
	}
	NewServer(testNetwork, src, ServerOptions{}).Register(srv)
	connect(t, cli, srv)
	pen := &penalties{}
	c := NewClient(cli, testNetwork, ClientOptions{Penalty: pen.hook})
	id := storetest.NewDataset(t, storetest.Key(t, "x"), "x").ID
	_, _, objErr := c.Objects(context.Background(), srv.ID(), []protocol.ID{id})
	_, _, listErr := c.Datasets(context.Background(), srv.ID(), id.Digest(), protocol.ID{}, 0)
	_, chunkErr := c.Chunks(context.Background(), srv.ID(), []manifest.ChunkID{manifest.SumChunk([]byte("x"))})
	for _, err := range []error{objErr, listErr, chunkErr} {
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
	manyChunks := make([]manifest.ChunkID, MaxIDs+1)
	for i := range manyChunks {
		manyChunks[i] = manifest.SumChunk([]byte{byte(i), byte(i >> 8)})
	}
	for name, ids := range map[string][]manifest.ChunkID{"no chunk": nil, "too many chunks": manyChunks} {
		if _, err := f.fetch.Chunks(context.Background(), f.server.ID(), ids); !protocol.IsKind(err, protocol.Invalid) {
			t.Errorf("%s: %v, want an invalid-call error", name, err)
		}
	}
	if p := f.srvPen.all(); len(p) != 0 {
		t.Errorf("bad calls reached the server: %q", p)
	}
}
