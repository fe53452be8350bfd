package fetch

import (
	"bytes"
	"reflect"
	"strings"
	"testing"

	"github.com/commons-p2p/commons/protocol"
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
// whose envelopes the seeds carry.
type fuzzFixture struct {
	a, b *protocol.Object
	ids  []protocol.ID
}

func newFuzzFixture(tb testing.TB) fuzzFixture {
	k := storetest.Key(tb, "fuzz")
	a := storetest.NewDataset(tb, k, "fuzz a")
	b := storetest.NewClaim(tb, k, a.ID, k.DID(), "author", 1)
	return fuzzFixture{a: a, b: b, ids: []protocol.ID{a.ID, b.ID}}
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
			if len(ids) > 2 || (more && len(ids) == 0) {
				t.Fatalf("id list: %d ids, more %v", len(ids), more)
			}
			for i := 1; i < len(ids); i++ {
				if strings.Compare(ids[i-1].String(), ids[i].String()) >= 0 {
					t.Fatalf("id list out of order: %v", ids)
				}
			}
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
