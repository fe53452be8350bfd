package protocol

import (
	"encoding/json"
	"reflect"
	"testing"
	"unicode/utf8"
)

// strictTypes are the types decodeStrict is used with.
var strictTypes = []struct {
	what string
	t    reflect.Type
}{
	{"envelope", reflect.TypeFor[wireEnvelope]()},
	{"statement", reflect.TypeFor[Statement]()},
	{"predicate", reflect.TypeFor[Dataset]()},
	{"predicate", reflect.TypeFor[Attribution]()},
	{"predicate", reflect.TypeFor[Derivation]()},
}

// checkKeysSeeds are the seeds of FuzzCheckKeys.
var checkKeysSeeds = []string{
	`{"payloadType":"t","payload":"e30=","signatures":[{"keyid":"k","sig":"s"}]}`,
	`{"_type":"x","subject":[{"name":"a","digest":{"sha256":"00"},"annotations":{"size":1}}],"predicateType":"p","predicate":{"a":{"b":[1,{"c":2,"c":3}]}}}`,
	`{"name":"n","license":"MIT","publisher":"p","created":"c","parents":["a",null],"croissant":{"x":1,"x\u0031":2,"x1":3}}`,
	`{"issuer":"i","contributor":"c","role":"r","weight":0.5,"created":"c","Note":"x"}`,
	`{"publisher":"p","inputs":{},"activity":"a","created":"c"}`,
	`{"publisher":"p","inputs":[],"activity":"a","created":"c","created":"d"}`,
	`{"name":"n","license":"MIT","publisher":"p","created":"2026-01-01T00:00:00,5Z"}`,
	`{"name":"n","license":"MIT","publisher":"p","created":"2026-01-01T00:00:00.5+23:59","created":1}`,
	`{"name":"n","license":"MIT","publisher":"p","created":"2026\u002d01-01T00:00:00Z"}`,
	`{"name":"n","manifest":null}`, `{"name":"n","manifest" : null ,"manifest":{}}`, `{"manifest":{"root":null,"count":null,"bytes":null}}`,
	`{"manifest":"x"}`, `{"manifest":[]}`, `{"manifest":{"root":"r","count":1,"bytes":2,"extra":3}}`,
	` [ ] `, `null`, `"s"`, `{"subject":5}`, `{"_type":"x","subject":[[]]}`, `{"n\u0061me":1}`,
}

// FuzzCheckKeys checks the fast key scanner against the token walker it
// replaces on the success path: on valid JSON they agree, to the message.
func FuzzCheckKeys(f *testing.F) {
	for _, s := range checkKeysSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		b := []byte(s)
		if !json.Valid(b) || !utf8.Valid(b) {
			return // decodeStrict sends these to the walker, never to checkKeys
		}
		for _, st := range strictTypes {
			fast := checkKeys(b, st.t, st.what)
			slow := checkShapeSlow(b, st.t, st.what, false)
			if (fast == nil) != (slow == nil) || fast != nil && fast.Error() != slow.Error() {
				t.Fatalf("%s %s: checkKeys says %v, the token walker %v", st.t, s, fast, slow)
			}
		}
	})
}
