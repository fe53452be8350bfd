package fetch

import (
	"bytes"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/protocol/manifest"
	"github.com/commons-p2p/commons/store/storetest"
)

// go test -fuzz FuzzDecodeRequest ./node/fetch/
func FuzzDecodeRequest(f *testing.F) {
	for _, r := range []*Request{
		{Network: testNetwork, Op: OpObjects, IDs: []protocol.ID{idA, idB}},
		{Network: testNetwork, Op: OpGov, IDs: []protocol.ID{art}},
		{Network: testNetwork, Op: OpClaims, Subject: idA, After: idB, Limit: 7},
		{Network: testNetwork, Op: OpFiles, Digest: dig, After: idB, Limit: 7},
		{Network: testNetwork, Op: OpFiles, Digest: dig},
		{Network: testNetwork, Op: OpChunks, IDs: []protocol.ID{art}},
	} {
		f.Add(r.Encode())
	}
	n := `"network":"` + testNetwork.String() + `"`
	for _, s := range []string{
		`{` + n + `,"op":"claims","subject":"` + idA.String() + `","limit":1e2}`,
		`{` + n + `,` + n + `,"op":"objects","ids":["` + idA.String() + `"]}`,
		`{` + n + `,"op":"files","digest":"SHA256:` + dig.Hex() + `"}`,
		`{` + n + `,"op":"files","digest":"` + dig.Hex() + `","subject":"` + idA.String() + `"}`,
		`{` + n + `,"op":"files","digest":"sha256:` + strings.Repeat("0", 64) + `"}`,
		`{` + n + `,"op":"objects","ids":["` + idA.String() + `"],"digest":"` + dig.String() + `"}`,
		`{"Network":"x","op":"objects","ids":[]}`,
		`{} {}`, `[`, `{"ids":[null,1,"",{}]}`, "",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := DecodeRequest(b)
		if err != nil {
			if r != nil || !protocol.IsKind(err, protocol.Invalid) {
				t.Fatalf("refusal %v with %+v, want kind invalid and no request", err, r)
			}
			return
		}
		// What decodes is valid, and re-encodes to bytes that decode to
		// the same request.
		if err := r.Validate(); err != nil {
			t.Fatalf("decoded an invalid request: %v", err)
		}
		again, err := DecodeRequest(r.Encode())
		if err != nil || !reflect.DeepEqual(again, r) {
			t.Fatalf("re-encoding %q: %+v, %v", r.Encode(), again, err)
		}
	})
}

// fuzzFixture holds what FuzzReadResponse's readers ask for: two objects
// whose envelopes the seeds carry, and two chunks of a manifest.
type fuzzFixture struct {
	a, b     *protocol.Object
	ids      []protocol.ID
	m        *testManifest
	chunkIDs []protocol.ID
}

func newFuzzFixture(tb testing.TB) fuzzFixture {
	k := storetest.Key(tb, "fuzz")
	a := storetest.NewDataset(tb, k, "fuzz a")
	b := storetest.NewClaim(tb, k, a.ID, k.DID(), "author", 1)
	m := newManifest(tb, 40)
	return fuzzFixture{a: a, b: b, ids: []protocol.ID{a.ID, b.ID}, m: m, chunkIDs: []protocol.ID{m.ids[0].ID(), m.ids[1].ID()}}
}

// go test -fuzz FuzzReadResponse ./node/fetch/
//
// Arbitrary bytes as a response must never panic, must end in an error or
// a clean end, and a clean end must account for every ID asked for.
func FuzzReadResponse(f *testing.F) {
	fx := newFuzzFixture(f)
	sorted := []protocol.ID{fx.a.ID, fx.b.ID}
	if sorted[0].String() > sorted[1].String() {
		sorted[0], sorted[1] = sorted[1], sorted[0]
	}
	for _, seed := range [][]byte{
		frames(objectFrame(fx.a), objectFrame(fx.b), endFrame),
		frames(notFoundFrame(fx.a.ID), objectFrame(fx.b), endFrame),
		frames(objectFrame(fx.a), appendFrame(nil, frameError, errorBody(CodeServerError, "oops"))),
		frames(appendFrame(nil, frameIDList, appendIDList(nil, sorted, true)), endFrame),
		frames(appendFrame(nil, frameIDList, appendIDList(nil, nil, false)), endFrame),
		frames(tampered(fx.a), endFrame),
		frames(chunkFrame(fx.m.chunks[fx.m.ids[0]]), chunkFrame(fx.m.chunks[fx.m.ids[1]]), endFrame),
		frames(appendFrame(nil, frameDatasets, datasetsSeed(sorted)), endFrame),
		append(appendUvarint(nil, maxFrameLen+1), frameObject),
		{0x81, 0x00}, {}, {0x01, 0x00},
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		objs, nf, err := readObjects(bytes.NewReader(b), fx.ids)
		if err == nil && len(objs)+len(nf) != len(fx.ids) {
			t.Fatalf("clean end with %d objects and %d not found for %d ids", len(objs), len(nf), len(fx.ids))
		}
		if len(objs)+len(nf) > len(fx.ids) {
			t.Fatalf("%d answers for %d ids", len(objs)+len(nf), len(fx.ids))
		}
		j := 0 // objects come in the order asked, each once
		for _, o := range objs {
			for j < len(fx.ids) && fx.ids[j] != o.ID {
				j++
			}
			if j == len(fx.ids) {
				t.Fatalf("object %s returned out of place or not asked for", o.ID)
			}
			j++
		}
		nodes, nf, err := readGov(bytes.NewReader(b), fx.ids)
		if err == nil && len(nodes)+len(nf) != len(fx.ids) {
			t.Fatalf("gov: clean end with %d nodes and %d not found", len(nodes), len(nf))
		}
		ids, more, err := readIDList(bytes.NewReader(b), protocol.ID{}, 2)
		if err == nil {
			checkFuzzedPage(t, ids, more)
		}
		readManifestAnswers(t, b, fx.chunkIDs)
	})
}

// go test -fuzz FuzzReadManifestAnswers ./node/fetch/
//
// FuzzReadResponse for the readers of the answers that serve manifests:
// chunks and files.
func FuzzReadManifestAnswers(f *testing.F) {
	m := newManifest(f, 40)
	ids := []protocol.ID{m.ids[0].ID(), m.ids[1].ID()}
	for _, seed := range [][]byte{
		frames(chunkFrame(m.chunks[m.ids[0]]), chunkFrame(m.chunks[m.ids[1]]), endFrame),
		frames(notFoundFrame(ids[0]), chunkFrame(m.chunks[m.ids[1]]), endFrame),
		frames(chunkFrame(m.chunks[m.ids[1]]), endFrame),
		frames(appendFrame(nil, frameDatasets, datasetsSeed(sortedIDs(idA, idB))), endFrame),
		append(appendUvarint(nil, MaxChunkSize+2), frameChunk),
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, b []byte) { readManifestAnswers(t, b, ids) })
}

// readManifestAnswers reads b as an answer to chunks ids and as a files
// answer, and checks what each reader accepts.
func readManifestAnswers(t *testing.T, b []byte, ids []protocol.ID) {
	found, more, err := readDatasets(bytes.NewReader(b), protocol.ID{}, 2)
	if err == nil {
		checkFuzzedPage(t, datasetIDs(found), more)
		for _, f := range found {
			if len(f.Paths) == 0 || len(f.Paths) > MaxPaths {
				t.Fatalf("dataset %s with %d paths", f.Dataset, len(f.Paths))
			}
		}
	}
	chunks := map[manifest.ChunkID][]byte{}
	nf, err := readChunks(bytes.NewReader(b), ids, func(id manifest.ChunkID, c []byte) { chunks[id] = c })
	if err == nil && len(chunks)+len(nf) != len(ids) {
		t.Fatalf("chunks: clean end with %d chunks and %d not found", len(chunks), len(nf))
	}
	for id, c := range chunks {
		if manifest.SumChunk(c) != id || !slices.Contains(ids, id.ID()) {
			t.Fatalf("chunk %s returned that is not its bytes or was not asked for", id)
		}
	}
}

func sortedIDs(ids ...protocol.ID) []protocol.ID {
	slices.SortFunc(ids, func(a, b protocol.ID) int { return strings.Compare(a.String(), b.String()) })
	return ids
}

// checkFuzzedPage checks a page a reader accepted: at most 2 IDs, in
// order, not empty if it says more.
func checkFuzzedPage(t *testing.T, ids []protocol.ID, more bool) {
	if len(ids) > 2 || (more && len(ids) == 0) {
		t.Fatalf("list: %d ids, more %v", len(ids), more)
	}
	for i := 1; i < len(ids); i++ {
		if strings.Compare(ids[i-1].String(), ids[i].String()) >= 0 {
			t.Fatalf("list out of order: %v", ids)
		}
	}
}

func datasetsSeed(ids []protocol.ID) []byte {
	found := make([]DatasetPaths, len(ids))
	for i, id := range ids {
		found[i] = DatasetPaths{Dataset: id, Paths: []string{"a/b.csv", "c.txt"}}
	}
	b, _ := appendDatasets(nil, found, true, maxDatasetsLen)
	return b
}

// go test -fuzz FuzzDecodeDatasets ./node/fetch/
//
// What decodes re-encodes to the same bytes: the form has one encoding.
func FuzzDecodeDatasets(f *testing.F) {
	f.Add(datasetsSeed([]protocol.ID{idA, idB}))
	f.Add([]byte{1, 37})
	f.Add([]byte{0})
	f.Fuzz(func(t *testing.T, b []byte) {
		found, more, err := decodeDatasets(b, MaxClaims)
		if err != nil {
			if !protocol.IsKind(err, protocol.Invalid) {
				t.Fatalf("refusal %v, want kind invalid", err)
			}
			return
		}
		for i := range found {
			if err := checkDatasetPaths(&found[i]); err != nil {
				t.Fatalf("decoded a dataset the server could not send: %v", err)
			}
		}
		got, n := appendDatasets(nil, found, more, len(b))
		if n != len(found) || !bytes.Equal(got, b) {
			t.Fatalf("list % x decodes to %v, which encodes to % x", b, found, got)
		}
	})
}

// go test -fuzz FuzzDecodeIDList ./node/fetch/
func FuzzDecodeIDList(f *testing.F) {
	f.Add(appendIDList(nil, []protocol.ID{idA, art}, true))
	f.Add([]byte{0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		ids, more, err := decodeIDList(b, MaxClaims)
		if err != nil {
			return
		}
		if got := appendIDList(nil, ids, more); !bytes.Equal(got, b) {
			t.Fatalf("list % x decodes to %v, which encodes to % x", b, ids, got)
		}
	})
}
