package protocol_test

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"testing"

	"github.com/commons-p2p/commons/protocol"
)

// withParents is the vector dataset naming two parents (any object IDs:
// parsing does not look them up).
func withParents(t *testing.T, weights any, set bool) []byte {
	t.Helper()
	ds := vectorByName("dataset").Payload
	a, b := vectorByName("attribution").ID().String(), vectorByName("derivation").ID().String()
	return edit(t, ds, func(st map[string]any) {
		pred(st)["parents"] = []any{a, b}
		if set {
			pred(st)["parent_weights"] = weights
		}
	})
}

func withInputWeights(t *testing.T, weights any) []byte {
	t.Helper()
	return edit(t, vectorByName("derivation").Payload, func(st map[string]any) { pred(st)["input_weights"] = weights })
}

// TestWeightRefusals: parent_weights and input_weights (SPEC.md §3.4) are
// absent, or one Weight per parent or input; anything else is refused as
// invalid, naming the member.
func TestWeightRefusals(t *testing.T) {
	ds := vectorByName("dataset").Payload
	var cases []refusal
	add := func(name string, payload []byte, words ...string) {
		cases = append(cases, refusal{name: name, payload: payload, kind: protocol.Invalid, words: words})
	}
	add("parent_weights null", withParents(t, nil, true), "predicate.parent_weights: null is refused")
	add("parent_weights empty", withParents(t, []any{}, true), "parent_weights: empty array")
	add("parent_weights short", withParents(t, []any{0.5}, true), "parent_weights: 1 weights for 2 parents")
	add("parent_weights long", withParents(t, []any{0.5, 0.5, 0.5}, true), "parent_weights: 3 weights for 2 parents")
	add("parent_weights without parents", setPred(t, ds, "parent_weights", []any{1}), "parent_weights: 1 weights for 0 parents")
	add("parent_weights a number", withParents(t, 1, true), "predicate.parent_weights")
	add("parent_weights an object", withParents(t, map[string]any{"a": 1}, true), "predicate.parent_weights")
	add("parent_weights of strings", withParents(t, []any{"1", "1"}, true), "predicate.parent_weights")
	add("parent_weights with null", withParents(t, []any{1, nil}, true), "parent_weights[1]", "outside (0,1]")
	for _, w := range []any{0, -0.5, json.Number("-0"), 1.0000001, 2, json.Number("1e-400")} {
		add(fmt.Sprintf("parent weight %v", w), withParents(t, []any{1, w}, true), "parent_weights[1]", "outside (0,1]")
	}
	add("parent weight 1e400", withParents(t, []any{json.Number("1e400"), 1}, true), "predicate.parent_weights")
	add("input_weights null", withInputWeights(t, nil), "predicate.input_weights: null is refused")
	add("input_weights empty", withInputWeights(t, []any{}), "input_weights: empty array")
	add("input_weights long", withInputWeights(t, []any{1, 1}), "input_weights: 2 weights for 1 inputs")
	add("input weight 0", withInputWeights(t, []any{0}), "input_weights[0]", "outside (0,1]")
	add("input weight over 1", withInputWeights(t, []any{1.5}), "input_weights[0]", "outside (0,1]")
	add("input_weights on a dataset", setPred(t, ds, "input_weights", []any{1}), `unknown field "input_weights" in predicate`)
	add("parent_weights on a derivation", edit(t, vectorByName("derivation").Payload, func(st map[string]any) { pred(st)["parent_weights"] = []any{1} }), `unknown field "parent_weights" in predicate`)
	runRefusals(t, cases)
}

// TestWeightsAccepted: the forms the rule allows are read as written, and
// a record without weights weighs each parent or input 1.
func TestWeightsAccepted(t *testing.T) {
	for _, tc := range []struct {
		name    string
		payload []byte
		want    []float64
	}{
		{"no parent_weights", withParents(t, nil, false), []float64{1, 1}},
		{"parent_weights", withParents(t, []any{0.25, 1}, true), []float64{0.25, 1}},
		{"smallest double", withParents(t, []any{json.Number("5e-324"), 1}, true), []float64{math.SmallestNonzeroFloat64, 1}},
		{"no input_weights", vectorByName("derivation").Payload, []float64{1}},
		{"input_weights", withInputWeights(t, []any{0.75}), []float64{0.75}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o, err := protocol.VerifyObject(signed(tc.payload, vectorKey))
			if err != nil {
				t.Fatal(err)
			}
			if got := o.Weights(); !slices.Equal(got, tc.want) {
				t.Errorf("Weights() = %v, want %v", got, tc.want)
			}
		})
	}
}

// FuzzWeights: whatever list of numbers a record carries as parent_weights,
// it is accepted exactly when it has one weight in (0,1] per parent, and
// then read back as written.
func FuzzWeights(f *testing.F) {
	f.Add(uint8(2), 0.5, 1.0, 0.25)
	f.Add(uint8(1), 0.0, 1.0, 1.0)
	f.Add(uint8(3), 1.0, -1.0, 2.0)
	f.Add(uint8(0), 1.0, 1.0, 1.0)
	f.Fuzz(func(t *testing.T, n uint8, a, b, c float64) {
		if math.IsNaN(a) || math.IsNaN(b) || math.IsNaN(c) || math.IsInf(a, 0) || math.IsInf(b, 0) || math.IsInf(c, 0) {
			return // JSON holds no such number
		}
		ws := []float64{a, b, c}[:n%4]
		o, err := protocol.VerifyObject(signed(withParents(t, ws, true), vectorKey))
		ok := len(ws) == 2 && a > 0 && a <= 1 && b > 0 && b <= 1
		if ok != (err == nil) {
			t.Fatalf("weights %v: err %v, want accepted %v", ws, err, ok)
		}
		if err != nil {
			if !protocol.IsKind(err, protocol.Invalid) {
				t.Fatalf("weights %v: %v, want invalid", ws, err)
			}
			return
		}
		if got := o.Weights(); !slices.Equal(got, ws) {
			t.Fatalf("Weights() = %v, want %v", got, ws)
		}
	})
}
