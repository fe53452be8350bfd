package node

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/commons-p2p/commons/node/api"
	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/protocol/manifest"
)

// testTree is a manifest of n files named f00000…, built here, with its
// chunks framed for an upload.
type testTree struct {
	entries []manifest.Entry
	chunks  map[manifest.ChunkID][]byte
	frames  []byte
	root    manifest.Root
}

func buildTree(t testing.TB, entries []manifest.Entry) testTree {
	t.Helper()
	tr := testTree{entries: entries, chunks: map[manifest.ChunkID][]byte{}}
	b := manifest.NewBuilder(func(id manifest.ChunkID, c []byte) error {
		tr.chunks[id] = c
		tr.frames = api.AppendChunkFrame(tr.frames, c)
		return nil
	})
	for _, e := range entries {
		if err := b.Add(e); err != nil {
			t.Fatal(err)
		}
	}
	var err error
	if tr.root, err = b.Root(); err != nil {
		t.Fatal(err)
	}
	return tr
}

func numbered(n int, tag string) []manifest.Entry {
	out := make([]manifest.Entry, n)
	for i := range out {
		body := fmt.Sprintf("%s %d", tag, i)
		out[i] = manifest.Entry{Path: fmt.Sprintf("dir/f%05d.txt", i), Size: int64(len(body)), Digest: protocol.SumDigest([]byte(body))}
	}
	return out
}

func (tr testTree) ref() *protocol.ManifestRef {
	return &protocol.ManifestRef{Root: tr.root.ID.ID(), Count: tr.root.Count, Bytes: tr.root.Bytes}
}

func (tr testTree) upload(t testing.TB, n *Node) {
	t.Helper()
	var chunks [][]byte
	if err := api.ReadChunkFrames(bytes.NewReader(tr.frames), func(_ int, c []byte) error {
		chunks = append(chunks, c)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	res, err := n.PutChunks(context.Background(), chunks)
	if err != nil || len(res.Refused) > 0 || res.Stored != len(chunks) {
		t.Fatalf("PutChunks: %+v, %v", res, err)
	}
}

func publishTree(t testing.TB, n *Node, tr testTree, parents ...protocol.ID) api.Published {
	t.Helper()
	tr.upload(t, n)
	p, err := n.AddDataset(context.Background(), api.AddDatasetRequest{Name: "big", License: "CC0-1.0", Manifest: tr.ref(), Parents: parents})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestManifestDatasetPages: a dataset of 3000 files published through its
// manifest pages through every file, in key order, each page once; and
// every file is located.
func TestManifestDatasetPages(t *testing.T) {
	n := newTestNode(t)
	tr := buildTree(t, numbered(3000, "v1"))
	p := publishTree(t, n, tr)
	if p.Files != 3000 || p.Bytes != tr.root.Bytes {
		t.Fatalf("published %+v, want 3000 files of %d bytes", p, tr.root.Bytes)
	}
	var got []string
	page := api.FilesPage{Limit: 700}
	for pages := 0; ; pages++ {
		v, err := n.DatasetPage(context.Background(), p.ID, page, api.QueryOptions{Local: true})
		if err != nil {
			t.Fatal(err)
		}
		if v.FileCount != 3000 || v.Manifest == nil || v.Manifest.Root != tr.root.ID.ID() {
			t.Fatalf("page %d: file_count %d manifest %+v", pages, v.FileCount, v.Manifest)
		}
		for _, f := range v.Files {
			got = append(got, f.Name)
		}
		if v.Next == "" {
			break
		}
		if len(v.Files) != 700 || v.Next != v.Files[len(v.Files)-1].Name {
			t.Fatalf("page %d: %d files, next %q", pages, len(v.Files), v.Next)
		}
		page.After = v.Next
	}
	want := make([]string, len(tr.entries))
	for i, e := range tr.entries {
		want[i] = e.Path
	}
	if !slices.Equal(got, want) {
		t.Fatalf("pages gave %d files, want the %d of the tree in order", len(got), len(want))
	}
	e := tr.entries[1234]
	loc, err := n.Locate(context.Background(), e.Digest, api.QueryOptions{Local: true})
	if err != nil || len(loc.Datasets) != 1 || loc.Datasets[0].ID != p.ID || loc.Datasets[0].Path != e.Path {
		t.Fatalf("locate %s: %+v, %v", e.Path, loc, err)
	}
}

// TestManifestDatasetRefusals: a dataset is not signed unless the node
// holds the whole tree its request names, and the tree holds what the
// request says; nothing is stored for a refused request.
func TestManifestDatasetRefusals(t *testing.T) {
	n := newTestNode(t)
	tr := buildTree(t, numbered(600, "r"))
	ctx := context.Background()
	add := func(m *protocol.ManifestRef, files ...api.FileEntry) error {
		_, err := n.AddDataset(ctx, api.AddDatasetRequest{Name: "x", License: "CC0-1.0", Manifest: m, Files: files})
		return err
	}
	// Nothing uploaded: the root is missing.
	if err := add(tr.ref()); !protocol.IsKind(err, protocol.NotFound) || !strings.Contains(err.Error(), tr.root.ID.String()) || !strings.Contains(err.Error(), "POST /v1/chunks") {
		t.Errorf("no chunk held: %v, want not found naming the root and the upload", err)
	}
	// Every chunk but one leaf uploaded.
	var missing manifest.ChunkID
	var some [][]byte
	for id, c := range tr.chunks {
		if missing.IsZero() && id != tr.root.ID {
			if ch, _ := manifest.DecodeChunk(c); ch.Level == 0 {
				missing = id
				continue
			}
		}
		some = append(some, c)
	}
	if _, err := n.PutChunks(ctx, some); err != nil {
		t.Fatal(err)
	}
	if err := add(tr.ref()); !protocol.IsKind(err, protocol.NotFound) || !strings.Contains(err.Error(), missing.String()) {
		t.Errorf("a leaf missing: %v, want not found naming %s", err, missing)
	}
	tr.upload(t, n)
	wrongCount := tr.ref()
	wrongCount.Count++
	wrongBytes := tr.ref()
	wrongBytes.Bytes--
	for name, m := range map[string]*protocol.ManifestRef{
		"count": wrongCount, "bytes": wrongBytes,
		"object root": {Root: protocol.ObjectID([]byte("{}")), Count: tr.root.Count, Bytes: tr.root.Bytes},
	} {
		if err := add(m); !protocol.IsKind(err, protocol.Invalid) {
			t.Errorf("%s: %v, want invalid", name, err)
		}
	}
	if err := add(tr.ref(), api.FileEntry{Name: "a", SHA256: strings.Repeat("0", 64), Size: 1}); !protocol.IsKind(err, protocol.Invalid) || !strings.Contains(err.Error(), "one or the other") {
		t.Errorf("files and a manifest: %v", err)
	}
	if ds, _ := n.Datasets(ctx); len(ds) != 0 {
		t.Errorf("refused requests stored %d datasets", len(ds))
	}
}

// TestDatasetDiff: what changed from one version to the next, whether
// each lists its files or names a manifest.
func TestDatasetDiff(t *testing.T) {
	n := newTestNode(t)
	ctx := context.Background()
	old := numbered(2000, "v1")
	next := slices.Clone(old)
	next[10].Digest, next[10].Size = protocol.SumDigest([]byte("changed")), 7
	next[1500].Digest = protocol.SumDigest([]byte("changed too"))
	next = slices.Delete(next, 700, 701)
	next = append(next, manifest.Entry{Path: "zz/new.txt", Size: 3, Digest: protocol.SumDigest([]byte("new"))})
	p1 := publishTree(t, n, buildTree(t, old))
	p2 := publishTree(t, n, buildTree(t, next), p1.ID)
	d, err := n.DatasetDiff(ctx, p2.ID, p1.ID, 2, api.QueryOptions{Local: true})
	if err != nil {
		t.Fatal(err)
	}
	if d.Added != 1 || d.Removed != 1 || d.Changed != 2 || len(d.Changes) != 2 || !d.More {
		t.Fatalf("diff: %+v", d)
	}
	if c := d.Changes[0]; c.Change != "changed" || c.Old.Name != old[10].Path || c.New.Size != 7 {
		t.Errorf("first change %+v", c)
	}
	// A small dataset that lists its files compares with a manifest too.
	small, err := n.AddDataset(ctx, api.AddDatasetRequest{Name: "small", License: "CC0-1.0", Files: []api.FileEntry{
		{Name: old[0].Path, SHA256: old[0].Digest.Hex(), Size: old[0].Size},
		{Name: "other.txt", SHA256: strings.Repeat("ab", 32), Size: 5},
	}})
	if err != nil {
		t.Fatal(err)
	}
	d, err = n.DatasetDiff(ctx, p1.ID, small.ID, 0, api.QueryOptions{Local: true})
	if err != nil {
		t.Fatal(err)
	}
	if d.Added != 1999 || d.Removed != 1 || d.Changed != 0 {
		t.Errorf("diff from a listed dataset: added %d removed %d changed %d, want 1999 1 0", d.Added, d.Removed, d.Changed)
	}
}

// TestDatasetPageListedFiles: a record that lists its files pages in key
// order too, NFC deciding where a decomposed name sorts.
func TestDatasetPageListedFiles(t *testing.T) {
	n := newTestNode(t)
	ctx := context.Background()
	p, err := n.AddDataset(ctx, api.AddDatasetRequest{Name: "nfc", License: "CC0-1.0", Files: []api.FileEntry{
		fileEntry("b.txt", "b"), fileEntry("e\u0301.txt", "e"), fileEntry("a.txt", "a"), fileEntry("f.txt", "f"),
	}})
	if err != nil {
		t.Fatal(err)
	}
	v, err := n.DatasetPage(ctx, p.ID, api.FilesPage{Limit: 2}, api.QueryOptions{Local: true})
	if err != nil || v.FileCount != 4 || len(v.Files) != 2 || v.Files[0].Name != "a.txt" || v.Next != "b.txt" {
		t.Fatalf("first page: %+v, %v", v, err)
	}
	v, err = n.DatasetPage(ctx, p.ID, api.FilesPage{After: v.Next, Limit: 2}, api.QueryOptions{Local: true})
	// "f.txt" < "é.txt" bytewise: U+00E9 is 0xC3 0xA9.
	if err != nil || len(v.Files) != 2 || v.Files[0].Name != "f.txt" || v.Files[1].Name != "e\u0301.txt" || v.Next != "" {
		t.Fatalf("second page: %+v, %v", v, err)
	}
}

// TestChunksUploadRefusals: an upload through the API refuses a chunk that
// does not decode, alone, and a frame too long or cut short refuses the
// upload, nothing stored.
func TestChunksUploadRefusals(t *testing.T) {
	n := newTestNode(t)
	srv := httptest.NewServer(n.Handler(""))
	defer srv.Close()
	tr := buildTree(t, numbered(40, "u"))
	post := func(body []byte, ctype string) (int, string) {
		resp, err := http.Post(srv.URL+"/v1/chunks", ctype, bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var b bytes.Buffer
		b.ReadFrom(resp.Body)
		return resp.StatusCode, b.String()
	}
	bad := api.AppendChunkFrame(nil, []byte("commons/manifest/v1\nnot a chunk"))
	code, body := post(append(bad, tr.frames...), api.ChunksContentType)
	if code != 200 || !strings.Contains(body, `"index":0`) || !strings.Contains(body, `"stored":`+fmt.Sprint(len(tr.chunks))) {
		t.Errorf("one bad chunk among good ones: %d %s", code, body)
	}
	n2 := newTestNode(t)
	srv2 := httptest.NewServer(n2.Handler(""))
	defer srv2.Close()
	for name, tt := range map[string]struct {
		body  []byte
		ctype string
		code  int
	}{
		"cut short": {tr.frames[:len(tr.frames)-1], api.ChunksContentType, 400},
		"oversize":  {append([]byte{0x81, 0x80, 0x80, 0x01}, tr.frames...), api.ChunksContentType, 413},
		"json":      {tr.frames, "application/json", 415},
		"form":      {tr.frames, "text/plain", 415},
	} {
		resp, err := http.Post(srv2.URL+"/v1/chunks", tt.ctype, bytes.NewReader(tt.body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tt.code {
			t.Errorf("%s: status %d, want %d", name, resp.StatusCode, tt.code)
		}
		if st, _ := n2.store.Stats(); st.Chunks != 0 {
			t.Errorf("%s: %d chunks stored", name, st.Chunks)
		}
	}
}

// TestIndexManifestsAfterChunks: a record that arrived before its chunks is
// indexed once they are held, by the pass a daemon makes at start.
func TestIndexManifestsAfterChunks(t *testing.T) {
	src := newTestNode(t)
	tr := buildTree(t, numbered(800, "late"))
	p := publishTree(t, src, tr)
	raw, err := src.GetObject(context.Background(), p.ID, api.QueryOptions{Local: true})
	if err != nil {
		t.Fatal(err)
	}
	n := newTestNode(t)
	if _, err := n.PutObject(context.Background(), raw); err != nil {
		t.Fatal(err)
	}
	e := tr.entries[500]
	if k, err := n.IndexManifests(context.Background()); err != nil || k != 0 {
		t.Fatalf("no chunk held: indexed %d, %v", k, err)
	}
	tr.upload(t, n)
	if loc, _ := n.Locate(context.Background(), e.Digest, api.QueryOptions{Local: true}); len(loc.Datasets) != 0 {
		t.Fatalf("located before indexing: %+v", loc)
	}
	if k, err := n.IndexManifests(context.Background()); err != nil || k != 1 {
		t.Fatalf("chunks held: indexed %d, %v; want 1", k, err)
	}
	loc, err := n.Locate(context.Background(), e.Digest, api.QueryOptions{Local: true})
	if err != nil || len(loc.Datasets) != 1 || loc.Datasets[0].Path != e.Path {
		t.Fatalf("locate after indexing: %+v, %v", loc, err)
	}
}
