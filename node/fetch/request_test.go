package fetch

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/commons-p2p/commons/protocol"
)

var (
	idA = protocol.ObjectID([]byte("a"))
	idB = protocol.ObjectID([]byte("b"))
	art = protocol.ArtifactID(protocol.SumDigest([]byte("a file")))
	dig = protocol.SumDigest([]byte("a file"))
	key = protocol.MustParseDID("did:key:z6MkehRgf7yJbgaGfYsdoAsKdBPE3dj2CYhowQdcjqSJgvVd")
)

func TestRequestRoundTrip(t *testing.T) {
	for _, r := range []*Request{
		{Network: testNetwork, Op: OpObjects, IDs: []protocol.ID{idA, idB}},
		{Network: testNetwork, Op: OpGov, IDs: []protocol.ID{art}},
		{Network: testNetwork, Op: OpClaims, Subject: art},
		{Network: testNetwork, Op: OpClaims, Subject: idA, After: idB, Limit: 7},
		{Network: testNetwork, Op: OpFiles, Digest: dig},
		{Network: testNetwork, Op: OpFiles, Digest: dig, After: idA, Limit: MaxClaims},
		{Network: testNetwork, Op: OpRotations, Key: key},
		{Network: testNetwork, Op: OpRotations, Key: key, After: idA, Limit: 3},
		{Network: testNetwork, Op: OpDerived, Subject: idA, After: idB, Limit: 5},
		{Network: testNetwork, Op: OpChunks, IDs: []protocol.ID{art}},
	} {
		got, err := DecodeRequest(r.Encode())
		if err != nil {
			t.Errorf("%s: %v", r.Encode(), err)
			continue
		}
		if !reflect.DeepEqual(got, r) {
			t.Errorf("%s decodes to %+v, want %+v", r.Encode(), got, r)
		}
	}
}

func TestDecodeRequestRefuses(t *testing.T) {
	n := `"network":"` + testNetwork.String() + `"`
	a, b := `"`+idA.String()+`"`, `"`+idB.String()+`"`
	d := `"` + dig.String() + `"`
	k := `"` + key.String() + `"`
	cases := []struct{ in, want string }{
		{`[]`, "not a JSON object"},
		{`{` + n + `,"op":"objects","ids":[` + a + `]} {}`, "data after"},
		{`{` + n + `,"op":"objects","ids":[` + a + `]`, "EOF"},
		{`{"op":"objects","ids":[` + a + `]}`, "no network"},
		{`{"network":"` + idA.String() + `x","op":"objects","ids":[` + a + `]}`, "network"},
		{`{"network":"sha256:` + strings.Repeat("0", 64) + `","op":"objects","ids":[` + a + `]}`, "network"},
		{`{` + n + `,"op":"objects"}`, "0 ids"},
		{`{` + n + `,"op":"objects","ids":null}`, "0 ids"},
		{`{` + n + `,"op":"objects","ids":[` + a + `,` + a + `]}`, "asked for twice"},
		{`{` + n + `,"op":"objects","ids":["` + art.String() + `"]}`, "artifact"},
		{`{` + n + `,"op":"objects","ids":[` + a + `],"limit":3}`, "takes only ids"},
		{`{` + n + `,"op":"objects","ids":[` + a + `],"subject":` + b + `}`, "takes only ids"},
		{`{` + n + `,"op":"claims"}`, "needs a subject"},
		{`{` + n + `,"op":"claims","subject":` + a + `,"ids":[]}`, "takes no ids"},
		{`{` + n + `,"op":"claims","subject":` + a + `,"limit":1001}`, "outside [1, 1000]"},
		{`{` + n + `,"op":"claims","subject":` + a + `,"limit":0}`, "positive integer"},
		{`{` + n + `,"op":"claims","subject":` + a + `,"limit":-1}`, "positive integer"},
		{`{` + n + `,"op":"claims","subject":` + a + `,"limit":1.5}`, "positive integer"},
		{`{` + n + `,"op":"claims","subject":` + a + `,"limit":1e2}`, "positive integer"},
		{`{` + n + `,"op":"claims","subject":` + a + `,"limit":99999999999}`, "positive integer"},
		{`{` + n + `,"op":"claims","subject":` + a + `,"after":"` + art.String() + `"}`, "not an object ID"},
		{`{` + n + `,"op":"claims","subject":"` + strings.ToUpper(idA.String()) + `"}`, "canonical"},
		{`{` + n + `,"op":"objects","ids":[` + a + `],"digest":` + d + `}`, "takes only ids"},
		{`{` + n + `,"op":"gov","ids":[` + a + `],"digest":` + d + `}`, "takes only ids"},
		{`{` + n + `,"op":"claims","subject":` + a + `,"digest":` + d + `}`, "takes no digest"},
		{`{` + n + `,"op":"files"}`, "needs a digest"},
		{`{` + n + `,"op":"files","digest":` + d + `,"ids":[` + a + `]}`, "takes no ids"},
		{`{` + n + `,"op":"files","digest":` + d + `,"subject":` + a + `}`, "takes no subject"},
		{`{` + n + `,"op":"files","digest":` + d + `,"after":"` + art.String() + `"}`, "not an object ID"},
		{`{` + n + `,"op":"files","digest":` + d + `,"limit":1001}`, "outside [1, 1000]"},
		{`{` + n + `,"op":"files","digest":` + d + `,"limit":0}`, "positive integer"},
		{`{` + n + `,"op":"files","digest":"` + dig.Hex() + `"}`, "canonical"},
		{`{` + n + `,"op":"files","digest":"` + strings.ToUpper(dig.String()) + `"}`, "digest"},
		{`{` + n + `,"op":"files","digest":"sha256:` + strings.ToUpper(dig.Hex()) + `"}`, "canonical"},
		{`{` + n + `,"op":"files","digest":"sha256:` + dig.Hex()[2:] + `"}`, "64 hex digits"},
		{`{` + n + `,"op":"files","digest":"` + art.String() + `"}`, "not a sha256 digest"},
		{`{` + n + `,"op":"files","digest":"sha256:` + strings.Repeat("0", 64) + `"}`, "all-zero"},
		{`{` + n + `,"op":"files","digest":7}`, "digest"},
		{`{` + n + `,"op":"files","digest":` + d + `,"digest":` + d + `}`, "given twice"},
		{`{` + n + `,"op":"rotations"}`, "needs a key"},
		{`{` + n + `,"op":"rotations","key":` + k + `,"subject":` + a + `}`, "takes no subject"},
		{`{` + n + `,"op":"rotations","key":` + k + `,"digest":` + d + `}`, "takes no digest"},
		{`{` + n + `,"op":"rotations","key":` + k + `,"ids":[` + a + `]}`, "takes no ids"},
		{`{` + n + `,"op":"rotations","key":` + k + `,"limit":1001}`, "outside [1, 1000]"},
		{`{` + n + `,"op":"rotations","key":"did:web:example.org"}`, "not a did:key"},
		{`{` + n + `,"op":"rotations","key":` + k + `,"key":` + k + `}`, "given twice"},
		{`{` + n + `,"op":"claims","subject":` + a + `,"key":` + k + `}`, "takes no key"},
		{`{` + n + `,"op":"derived"}`, "needs a subject"},
		{`{` + n + `,"op":"derived","subject":` + a + `,"digest":` + d + `}`, "takes no digest"},
		{`{` + n + `,"op":"derived","subject":` + a + `,"key":` + k + `}`, "takes no key"},
		{`{` + n + `,"op":"derived","subject":` + a + `,"ids":[` + a + `]}`, "takes no ids"},
		{`{` + n + `,"op":"derived","subject":` + a + `,"limit":1001}`, "outside [1, 1000]"},
		{`{` + n + `,"op":"derived","subject":` + a + `,"after":"` + art.String() + `"}`, "not an object ID"},
		{`{` + n + `,"op":"objects","ids":[` + a + `],"key":` + k + `}`, "takes only ids"},
		{`{` + n + `,"op":"chunks","ids":[` + a + `]}`, "names an object, not a chunk"},
		{`{` + n + `,"op":"chunks"}`, "0 ids"},
		{`{` + n + `,"op":"chunks","ids":["` + art.String() + `","` + art.String() + `"]}`, "asked for twice"},
		{`{` + n + `,"op":"chunks","ids":["` + art.String() + `"],"limit":3}`, "takes only ids"},
		{`{` + n + `,"op":"chunks","ids":["sha256:` + dig.Hex() + `"]}`, "canonical"},
		{`{` + n + `,"op":"OBJECTS","ids":[` + a + `]}`, "unknown op"},
		{`{` + n + `,"op":"objects","ids":[` + a + `],"extra":1}`, "unknown member"},
		{`{` + n + `,` + n + `,"op":"objects","ids":[` + a + `]}`, "given twice"},
		{`{` + n + `,"op":"objects","ids":[1]}`, "ids"},
		{`{` + n + `,"op":"objects` + "\xff" + `","ids":[` + a + `]}`, "not UTF-8"},
		{`{` + n + `,"op":"objects","ids":[` + a + `],"pad":"` + strings.Repeat("x", MaxRequestSize) + `"}`, "over the limit"},
	}
	for _, c := range cases {
		r, err := DecodeRequest([]byte(c.in))
		if !protocol.IsKind(err, protocol.Invalid) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("DecodeRequest(%.120s) = %+v, %v; want an invalid error with %q", c.in, r, err, c.want)
		}
	}
}

func TestMaxIDsFitInARequest(t *testing.T) {
	for _, op := range []Op{OpObjects, OpChunks} {
		r := &Request{Network: testNetwork, Op: op}
		for i := range MaxIDs {
			if op == OpObjects {
				r.IDs = append(r.IDs, protocol.ObjectID(fmt.Appendf(nil, "%d", i)))
			} else {
				r.IDs = append(r.IDs, protocol.ArtifactID(protocol.SumDigest(fmt.Appendf(nil, "%d", i))))
			}
		}
		if b := r.Encode(); len(b) > MaxRequestSize {
			t.Fatalf("a request for MaxIDs IDs (%s) is %d bytes, over MaxRequestSize %d", op, len(b), MaxRequestSize)
		}
		if _, err := DecodeRequest(r.Encode()); err != nil {
			t.Fatal(err)
		}
	}
}
