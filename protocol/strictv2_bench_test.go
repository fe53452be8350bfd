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
)

// The cost of the candidate decoder (decodeJSONv2, strictv2_test.go)
// against decodeStrict, measured in the same run and interleaved, so that
// a noisy machine weighs on both alike:
//
//	go test ./protocol -run '^$' -bench JSONv2 -benchtime 2s -count 3
//
// Each reports hand-ns/op, jsonv2-ns/op and their ratio jsonv2/hand; the
// door benchmark is VerifyObject with either decoder for the statement and
// the predicate (the envelope keeps its own reader), the work of ingest
// per object before the store.

type decodeFunc func(what string, b []byte, v any) error

// candidates are the decoders measured against decodeStrict: the bare
// candidate (which decides otherwise on the rules the disagreement test
// lists), and the candidate followed by checkKeys, which restores them.
var candidates = []struct {
	name   string
	decode decodeFunc
}{
	{"jsonv2", decodeJSONv2},
	{"jsonv2+checkKeys", decodeJSONv2Checked},
}

// benchAgainst runs hand and each candidate in turn, batch by batch, and
// reports the time of each per call (hand-ns/op, NAME-ns/op) and the
// ratio NAME/hand. ns/op, B/op and allocs/op are those of one batch of
// each.
func benchAgainst(b *testing.B, call func(decodeFunc) error) {
	b.Helper()
	for _, c := range append([]decodeFunc{decodeStrict}, decodeJSONv2, decodeJSONv2Checked) {
		if err := call(c); err != nil {
			b.Fatal(err)
		}
	}
	const batch = 32
	t := make([]time.Duration, 1+len(candidates))
	n := 0
	for b.Loop() {
		for i := range t {
			dec := decodeFunc(decodeStrict)
			if i > 0 {
				dec = candidates[i-1].decode
			}
			t0 := time.Now()
			for range batch {
				call(dec)
			}
			t[i] += time.Since(t0)
		}
		n += batch
	}
	per := func(d time.Duration) float64 { return float64(d.Nanoseconds()) / float64(n) }
	b.ReportMetric(per(t[0]), "hand-ns/op")
	for i, c := range candidates {
		b.ReportMetric(per(t[i+1]), c.name+"-ns/op")
		b.ReportMetric(float64(t[i+1])/float64(t[0]), c.name+"/hand")
	}
}

// BenchmarkJSONv2Decode decodes each wire form of the vectors, and a
// genesis document, with decodeStrict and with the candidate.
func BenchmarkJSONv2Decode(b *testing.B) {
	type input struct {
		name string
		what string
		b    []byte
		t    reflect.Type
	}
	var inputs []input
	for _, kind := range []string{"dataset", "attribution", "derivation", "rotation"} {
		env := readVector(b, kind+"-envelope")
		payload := readVector(b, kind+"-payload")
		var st Statement
		if err := decodeStrict("statement", payload, &st); err != nil {
			b.Fatal(err)
		}
		pt := map[string]reflect.Type{"dataset": reflect.TypeFor[Dataset](), "attribution": reflect.TypeFor[Attribution](),
			"derivation": reflect.TypeFor[Derivation](), "rotation": reflect.TypeFor[Rotation]()}[kind]
		inputs = append(inputs,
			input{kind + "/envelope", "envelope", env, reflect.TypeFor[wireEnvelope]()},
			input{kind + "/statement", "statement", payload, reflect.TypeFor[Statement]()},
			input{kind + "/predicate", "predicate", st.Predicate, pt})
	}
	inputs = append(inputs, input{"genesis", "genesis", []byte(v2Genesis), reflect.TypeFor[wireGenesis]()})
	for _, in := range inputs {
		b.Run(in.name, func(b *testing.B) {
			b.SetBytes(int64(len(in.b)))
			benchAgainst(b, func(dec decodeFunc) error { return dec(in.what, in.b, reflect.New(in.t).Interface()) })
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
			benchAgainst(b, func(dec decodeFunc) error { _, err := doorWith(env, dec); return err })
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
		for name, dec := range map[string]decodeFunc{"decodeStrict": decodeStrict, "jsonv2": decodeJSONv2, "jsonv2+checkKeys": decodeJSONv2Checked} {
			got, err := doorWith(env, dec)
			if err != nil || !reflect.DeepEqual(got, want) {
				t.Errorf("%s with %s: %+v, %v; VerifyObject: %+v", kind, name, got, err, want)
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
