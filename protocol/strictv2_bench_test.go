package protocol

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"
	"unicode/utf8"
)

// The cost of the candidate decoder (decodeJSONv2, strictv2_test.go)
// against decodeStrict, measured in the same run and interleaved, so that
// a noisy machine weighs on both alike:
//
//	go test ./protocol -run '^$' -bench JSONv2 -benchtime 2s -count 3
//
// Each reports the time per call of each contender (below) and its ratio
// to decodeStrict's. The door benchmark is VerifyObject with each
// contender for the statement and the predicate (the envelope keeps its
// own reader): the work of ingest per object before the store.

type decodeFunc func(what string, b []byte, v any) error

type contender struct {
	name   string
	decode decodeFunc
}

// contenders are what each benchmark measures: decodeStrict ("hand"),
// its reference path alone (the fast path off), the bare candidate (which
// decides otherwise on the rules the disagreement test lists), and the
// candidate followed by checkKeys, which restores them.
var contenders = []contender{
	{"hand", decodeStrict},
	{"reference", decodeReferenceOnly},
	{"jsonv2", decodeJSONv2},
	{"jsonv2+checkKeys", decodeJSONv2Checked},
}

// decodeReferenceOnly is decodeStrict without its fast path.
func decodeReferenceOnly(what string, b []byte, v any) error {
	if !utf8.Valid(b) {
		return errors.New("not UTF-8")
	}
	if err := checkEscapes(b); err != nil {
		return err
	}
	return decodeReference(what, b, v)
}

// benchAgainst runs call with each contender in turn, batch by batch, and
// reports the time of each per call (NAME-ns/op) and its ratio to
// decodeStrict's (NAME/hand). ns/op, B/op and allocs/op are those of one
// batch of each.
func benchAgainst(b *testing.B, call func(contender) error) {
	b.Helper()
	for _, c := range contenders {
		if err := call(c); err != nil {
			b.Fatalf("%s: %v", c.name, err)
		}
	}
	const batch = 32
	t := make([]time.Duration, len(contenders))
	n := 0
	for b.Loop() {
		for i, c := range contenders {
			t0 := time.Now()
			for range batch {
				call(c)
			}
			t[i] += time.Since(t0)
		}
		n += batch
	}
	for i, c := range contenders {
		b.ReportMetric(float64(t[i].Nanoseconds())/float64(n), c.name+"-ns/op")
		if i > 0 {
			b.ReportMetric(float64(t[i])/float64(t[0]), c.name+"/hand")
		}
	}
}

// BenchmarkJSONv2Envelope reads the envelope of each vector as
// DecodeEnvelope does (readEnvelope: its one-pass reader, decodeStrict
// for the rest) and with each contender.
func BenchmarkJSONv2Envelope(b *testing.B) {
	for _, kind := range []string{"dataset", "attribution"} {
		env := readVector(b, kind+"-envelope")
		b.Run(kind, func(b *testing.B) {
			benchAgainst(b, func(c contender) error {
				if c.name == "hand" {
					_, err := readEnvelope(env)
					return err
				}
				return c.decode("envelope", env, new(wireEnvelope))
			})
		})
	}
}

// BenchmarkJSONv2Decode decodes the statement and the predicate of
// vectors, and a genesis document, with each contender.
func BenchmarkJSONv2Decode(b *testing.B) {
	type input struct {
		name string
		what string
		b    []byte
		t    reflect.Type
	}
	var inputs []input
	for _, kind := range []string{"dataset", "attribution", "derivation", "rotation"} {
		payload := readVector(b, kind+"-payload")
		var st Statement
		if err := decodeStrict("statement", payload, &st); err != nil {
			b.Fatal(err)
		}
		pt := map[string]reflect.Type{"dataset": reflect.TypeFor[Dataset](), "attribution": reflect.TypeFor[Attribution](),
			"derivation": reflect.TypeFor[Derivation](), "rotation": reflect.TypeFor[Rotation]()}[kind]
		inputs = append(inputs,
			input{kind + "/statement", "statement", payload, reflect.TypeFor[Statement]()},
			input{kind + "/predicate", "predicate", st.Predicate, pt})
	}
	inputs = append(inputs, input{"genesis", "genesis", []byte(v2Genesis), reflect.TypeFor[wireGenesis]()})
	for _, in := range inputs {
		b.Run(in.name, func(b *testing.B) {
			b.SetBytes(int64(len(in.b)))
			benchAgainst(b, func(c contender) error { return c.decode(in.what, in.b, reflect.New(in.t).Interface()) })
		})
	}
}

const v2Genesis = `{"type":"https://commons.network/genesis/v1","name":"Test commons","stewards":["` + probeDID + `"],"threshold":1,"params":{"max-claims":"100"},"created":"2026-01-01T00:00:00Z"}`

// BenchmarkJSONv2Door is VerifyObject, signature included, with either
// decoder: the attribution claim is what bulk ingest takes
// (node.BenchmarkIngest), the dataset what BenchmarkVerifyObject takes.
func BenchmarkJSONv2Door(b *testing.B) {
	for _, kind := range []string{"attribution", "dataset"} {
		env := readVector(b, kind+"-envelope")
		b.Run(kind, func(b *testing.B) {
			b.SetBytes(int64(len(env)))
			benchAgainst(b, func(c contender) error { _, err := doorWith(env, c.decode); return err })
		})
	}
}

// TestDoorWithIsVerifyObject: the door of the benchmark, with
// decodeStrict, reads each vector as VerifyObject does, so that it
// measures the door.
func TestDoorWithIsVerifyObject(t *testing.T) {
	for _, kind := range []string{"attribution", "dataset"} {
		env := readVector(t, kind+"-envelope")
		want, err := VerifyObject(env)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range contenders {
			got, err := doorWith(env, c.decode)
			if err != nil || !reflect.DeepEqual(got, want) {
				t.Errorf("%s with %s: %+v, %v; VerifyObject: %+v", kind, c.name, got, err, want)
			}
		}
	}
}

// doorWith is VerifyObject for datasets and attributions, with decode in
// place of decodeStrict for the statement and the predicate.
func doorWith(b []byte, decode decodeFunc) (*Object, error) {
	env, err := DecodeEnvelope(b)
	if err != nil {
		return nil, err
	}
	if err := env.Verify(); err != nil {
		return nil, err
	}
	if env.PayloadType != PayloadTypeInToto {
		return nil, errors.New("payloadType")
	}
	var st Statement
	if err := decode("statement", env.Payload, &st); err != nil {
		return nil, err
	}
	if st.Type != StatementType {
		return nil, errors.New("_type")
	}
	o := &Object{ID: env.ID(), Envelope: env, Kind: kindOfPredicate(st.PredicateType)}
	switch o.Kind {
	case KindDataset:
		o.Dataset = new(Dataset)
		if err = decode("predicate", st.Predicate, o.Dataset); err == nil {
			err = o.Dataset.validate()
		}
		if err == nil {
			o.Files, err = parseFiles(st.Subject)
		}
	case KindAttribution:
		o.Attribution = new(Attribution)
		if err = decode("predicate", st.Predicate, o.Attribution); err == nil {
			err = o.Attribution.validate()
		}
		if err == nil {
			o.About, err = parseReference(st.Subject, false)
		}
	default:
		return nil, fmt.Errorf("doorWith: kind %s", o.Kind)
	}
	if err != nil {
		return nil, err
	}
	if !env.SignedBy(o.Issuer()) {
		return nil, errors.New("issuer did not sign")
	}
	return o, nil
}

func readVector(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "vector-"+name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	return bytes.TrimSpace(b)
}
