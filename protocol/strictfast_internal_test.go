package protocol

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"
)

// fastTypes are the types decodeStrict is used with, for the fast path.
var fastTypes = append(slices.Clone(strictTypes), []struct {
	what string
	t    reflect.Type
}{
	{"predicate", reflect.TypeFor[Endorsement]()},
	{"predicate", reflect.TypeFor[Revocation]()},
	{"predicate", reflect.TypeFor[Rotation]()},
	{"genesis", reflect.TypeFor[wireGenesis]()},
}...)

// checkFastAgrees fails t if decodeFast accepts b as a value of some type
// that the reference path refuses or reads otherwise. It returns the names
// of the types the fast path accepted b as.
func checkFastAgrees(t *testing.T, b []byte) (accepted []string) {
	t.Helper()
	if !utf8.Valid(b) || checkEscapes(b) != nil {
		return nil // decodeStrict refuses these before either path
	}
	for _, ft := range fastTypes {
		fast := reflect.New(ft.t)
		if !decodeFast(b, fast.Interface()) {
			continue
		}
		accepted = append(accepted, ft.t.Name())
		ref := reflect.New(ft.t)
		if err := decodeReference(ft.what, b, ref.Interface()); err != nil {
			t.Fatalf("%s: the fast path accepts %q, the reference refuses it: %v", ft.t, b, err)
		}
		if !reflect.DeepEqual(fast.Interface(), ref.Interface()) {
			t.Fatalf("%s: %q reads as\n%+v on the fast path,\n%+v on the reference path", ft.t, b, fast.Elem(), ref.Elem())
		}
	}
	return accepted
}

// fastSeeds are inputs near the edges of what the fast path takes.
var fastSeeds = []string{
	`{"payloadType":"t","payload":"e30=","signatures":[{"keyid":"k","sig":"s"}]}`,
	`{"payloadType":"t\n\"\u00e9\ud83d\ude00","payload":"e30=","signatures":[]}`,
	`{"payloadType":"t","payload":"e30=","signatures":null}`,
	`{"_type":"x","subject":[{"name":"a","digest":{"sha256":"00"},"annotations":{"size":1}}],"predicateType":"p","predicate":{"a":{"b":[1,{"c":2,"c":3}]}}}`,
	`{"_type":"x","subject":[{"name":"a","digest":{},"annotations":{"size":-0}}],"predicateType":"p","predicate":null}`,
	`{"_type":"x","subject":[],"predicateType":"p","predicate":[true,false,null,-1.5e+3,"s",{}]}`,
	`{"_type":"x","subject":[{"name":"a","digest":{"sha256":"00","sha256":"11"}}],"predicateType":"p","predicate":{}}`,
	`{"_type":"x","subject":[{"name":"a","digest":{"sha256":1}}],"predicateType":"p","predicate":{}}`,
	`{"_type":"x","subject":[{"name":"a","digest":{"sha256":"0"},"annotations":{"size":1.0}}],"predicateType":"p","predicate":{}}`,
	`{"_type":"x","subject":[{"name":"a","digest":{"sha256":"0"},"annotations":{"size":9223372036854775808}}],"predicateType":"p","predicate":{}}`,
	`{"_type":"x","subject":[{"name":"a","digest":{"sha256":"0"},"annotations":null}],"predicateType":"p","predicate":{"k":[[[[[[]]]]]]}}`,
	`{"_type":"x","subject":[],"predicateType":"p","predicate":{"a":1,"b":2,"c":3,"d":4,"e":5,"f":6,"g":7,"h":8,"i":9,"a":10}}`,
	`{"name":"n","license":"MIT","publisher":"did:key:z6MkehRgf7yJbgaGfYsdoAsKdBPE3dj2CYhowQdcjqSJgvVd","created":"2026-01-01T00:00:00Z","parents":[],"croissant":{"x":1,"x\u0031":2,"x1":3}}`,
	`{"name":"n","license":"MIT","publisher":"did:key:z6MkehRgf7yJbgaGfYsdoAsKdBPE3dj2CYhowQdcjqSJgvVd","created":"2026-01-01T00:00:00.5+01:00","parents":["bagaaiera2wpqpzpfxcs3fgroullrnikdqfogwyxcp5euun44e7njsffdc5hq"]}`,
	`{"name":"n","license":"MIT","publisher":"did:key:z6MkehRgf7yJbgaGfYsdoAsKdBPE3dj2CYhowQdcjqSJgvVd","created":"2026-01-01T00:00:00Z","parents":["BAGAAIERA2WPQPZPFXCS3FGROULLRNIKDQFOGWYXCP5EUUN44E7NJSFFDC5HQ"]}`,
	`{"name":"n","license":"MIT","publisher":"did:key:z6MkehRgf7yJbgaGfYsdoAsKdBPE3dj2CYhowQdcjqSJgvV\u0064","created":"2026-01-01T00:00:00Z","rai":{}}`,
	`{"name":"n","license":"MIT","publisher":"did:key:z6MkehRgf7yJbgaGfYsdoAsKdBPE3dj2CYhowQdcjqSJgvVd","created":"2026-01-01T00:00:00,5Z"}`,
	`{"name":"n","license":"MIT","publisher":"did:key:z6MkehRgf7yJbgaGfYsdoAsKdBPE3dj2CYhowQdcjqSJgvVd","created":"2026-02-30T00:00:00Z"}`,
	`{"name":"n","license":"MIT","publisher":"did:key:z6MkehRgf7yJbgaGfYsdoAsKdBPE3dj2CYhowQdcjqSJgvVd","created":"2026-01-07T00:00:00Z","manifest":{"root":"bafkreifyauucz574vocmvjyddgohwtbccb5i3pfr5mkmgte2kedipj7xgu","count":4,"bytes":27}}`,
	`{"name":"n","license":"MIT","publisher":"did:key:z6MkehRgf7yJbgaGfYsdoAsKdBPE3dj2CYhowQdcjqSJgvVd","created":"2026-01-07T00:00:00Z","manifest":null}`,
	`{"name":"n","license":"MIT","publisher":"p","created":"c","manifest":{"root":null,"count":1.0,"bytes":-1,"bytes":2}}`,
	`{"name":"n","license":"MIT","publisher":"p","created":"c","manifest":{"root":"BAFKREIFYAUUCZ574VOCMVJYDDGOHWTBCCB5I3PFR5MKMGTE2KEDIPJ7XGU","count":1}}`,
	`{"name":"n","license":"MIT","publisher":"p","created":"c","manifest":{},"manifest":null}`,
	`{"issuer":"did:key:z6MkehRgf7yJbgaGfYsdoAsKdBPE3dj2CYhowQdcjqSJgvVd","contributor":"did:key:z6MkehRgf7yJbgaGfYsdoAsKdBPE3dj2CYhowQdcjqSJgvVd","role":"r","weight":0.5,"created":"2026-01-01T00:00:00Z","note":""}`,
	`{"issuer":"did:key:z6MkehRgf7yJbgaGfYsdoAsKdBPE3dj2CYhowQdcjqSJgvVd","contributor":"did:key:z1","role":"r","weight":1e999,"created":"2026-01-01T00:00:00Z"}`,
	`{"issuer":"","contributor":"","role":"r","weight":01,"created":"2026-01-01T00:00:00Z"}`,
	`{"publisher":"did:key:z6MkehRgf7yJbgaGfYsdoAsKdBPE3dj2CYhowQdcjqSJgvVd","inputs":["bagaaiera2wpqpzpfxcs3fgroullrnikdqfogwyxcp5euun44e7njsffdc5hq","bagaaiera2wpqpzpfxcs3fgroullrnikdqfogwyxcp5euun44e7njsffdc5hq"],"activity":"a","created":"2026-01-01T00:00:00Z"}`,
	`{"publisher":"p","inputs":[],"activity":"a","created":"c","created":"d"}`,
	`{"type":"t","name":"n","stewards":["did:key:z6MkehRgf7yJbgaGfYsdoAsKdBPE3dj2CYhowQdcjqSJgvVd"],"threshold":1,"params":{"a":"b"},"created":"2026-01-01T00:00:00Z"}`,
	`{"type":"t","name":"n","stewards":[],"threshold":-9223372036854775808,"created":"2026-01-01T00:00:00Z"}`,
	` {"issuer":"i"} `, `{"issuer":"i"} x`, `{"issuer":"i"}{}`, ` [ ] `, `null`, `"s"`, `{"n\u0061me":1}`, `{"name":"\u0000"}`, `{"name":"a` + "\x01" + `"}`,
}

func FuzzDecodeFast(f *testing.F) {
	for _, s := range fastSeeds {
		f.Add(s)
	}
	for _, b := range vectorFiles(f) {
		f.Add(string(b))
	}
	f.Fuzz(func(t *testing.T, s string) { checkFastAgrees(t, []byte(s)) })
}

// FuzzScanEnvelope checks the one-pass envelope reader against
// decodeStrict: what it accepts, decodeStrict accepts with the same texts.
func FuzzScanEnvelope(f *testing.F) {
	for _, s := range fastSeeds[:3] {
		f.Add(s)
	}
	for _, b := range vectorFiles(f) {
		f.Add(string(b))
	}
	f.Fuzz(func(t *testing.T, s string) {
		b := []byte(s)
		fast, ok := scanEnvelope(b)
		if !ok {
			return
		}
		var w wireEnvelope
		if err := decodeReference("envelope", b, &w); err != nil || !utf8.Valid(b) || checkEscapes(b) != nil {
			t.Fatalf("scanEnvelope accepts %q, decodeStrict refuses it: %v", b, err)
		}
		same := string(fast.payloadType) == w.PayloadType && string(fast.payload) == w.Payload && len(fast.signatures) == len(w.Signatures)
		for i := 0; same && i < len(w.Signatures); i++ {
			same = string(fast.signatures[i].keyID) == w.Signatures[i].KeyID && string(fast.signatures[i].sig) == w.Signatures[i].Sig
		}
		if !same {
			t.Fatalf("%q reads as %+v in one pass, %+v by decodeStrict", b, fast, w)
		}
	})
}

// vectorFiles returns the JSON of the test vectors (SPEC.md §9): envelopes
// and payloads.
func vectorFiles(t testing.TB) [][]byte {
	t.Helper()
	names, err := filepath.Glob(filepath.Join("testdata", "vector-*.json"))
	if err != nil || len(names) == 0 {
		t.Fatalf("no vectors: %v", err)
	}
	var out [][]byte
	for _, n := range names {
		b, err := os.ReadFile(n)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}

// TestFastPathAgrees runs the seeds of FuzzDecodeFast without the fuzzer.
func TestFastPathAgrees(t *testing.T) {
	for _, s := range fastSeeds {
		checkFastAgrees(t, []byte(s))
	}
}

// TestFastPathTakesVectors: the vectors, and JSON written with escapes,
// white space and empty collections, are read on the fast paths, so that
// the benchmarks measure them and a change that quietly sends everything
// to the reference path fails here.
func TestFastPathTakesVectors(t *testing.T) {
	for _, b := range vectorFiles(t) {
		if bytes.HasPrefix(b, []byte(`{"payloadType"`)) {
			if _, ok := scanEnvelope(b); !ok {
				t.Errorf("scanEnvelope gives up on %s", b)
			}
			continue
		}
		var st Statement
		if !decodeFast(b, &st) {
			t.Fatalf("decodeFast gives up on the statement %s", b)
		}
		if got := checkFastAgrees(t, st.Predicate); len(got) == 0 {
			t.Errorf("decodeFast gives up on the predicate %s", st.Predicate)
		}
	}
	for _, s := range []string{
		`{"_type":"x\n\"\u00e9\ud83d\ude00\/","subject":[],"predicateType":"p","predicate":{"a":[1,-2.5e3,true,null,"\t"]}}`,
		" {\n\t\"_type\" : \"x\" ,\r\n \"subject\" : [ { \"name\" : \"a\" , \"digest\" : { } } ] , \"predicateType\":\"p\",\"predicate\":{ } } \n",
	} {
		if got := checkFastAgrees(t, []byte(s)); !slices.Contains(got, "Statement") {
			t.Errorf("decodeFast gives up on %s", s)
		}
	}
}

// TestDIDCacheBound: the cache of parsed DIDs stays within its size, and
// what it returns is what ParseDID returns.
func TestDIDCacheBound(t *testing.T) {
	for i := 0; i < didCacheSize+100; i++ {
		var pub [32]byte
		pub[0], pub[1], pub[2] = byte(i), byte(i>>8), 0x55
		want, err := DIDFromPublicKey(pub[:])
		if err != nil {
			t.Fatal(err)
		}
		got, err := parseDIDText([]byte(want.String()))
		if err != nil || got != want {
			t.Fatalf("parseDIDText(%s) = %s, %v", want, got, err)
		}
	}
	didCache.RLock()
	n := len(didCache.m)
	didCache.RUnlock()
	if n > didCacheSize {
		t.Errorf("%d DIDs cached, over %d", n, didCacheSize)
	}
	if _, err := parseDIDText([]byte("did:key:z1")); err == nil || !strings.Contains(err.Error(), "did:key:z1") {
		t.Errorf("bad DID: error %v", err)
	}
}

// TestPlainRun checks the eight-bytes-at-a-time scan of plainRun against
// the table it speeds up, for every byte at every place in a word.
func TestPlainRun(t *testing.T) {
	for c := 0; c < 256; c++ {
		for at := 0; at < 20; at++ {
			b := bytes.Repeat([]byte{'a', 0xc3, 0xa9, '~', 0x7f}, 5)[:20]
			b[at] = byte(c)
			want := 0
			for want < len(b) && plainInString[b[want]] {
				want++
			}
			if got := plainRun(b); got != want {
				t.Fatalf("plainRun(%q) = %d, want %d", b, got, want)
			}
		}
	}
}

// FuzzParseCanonicalID checks parseCanonicalID against what it replaces:
// ParseID, then a comparison with the ID's canonical text.
func FuzzParseCanonicalID(f *testing.F) {
	for _, s := range []string{
		"bagaaiera2wpqpzpfxcs3fgroullrnikdqfogwyxcp5euun44e7njsffdc5hq",
		"bafkreicysg23kiwv34eg2d7qweipxwosdo2py4ldv42nbauguluen5v6am",
		"bagaaiera2wpqpzpfxcs3fgroullrnikdqfogwyxcp5euun44e7njsffdc5hr",
		"bafkreicysg23kiwv34eg2d7qweipxwosdo2py4ldv42nbauguluen5v6an",
		"BAGAAIERA2WPQPZPFXCS3FGROULLRNIKDQFOGWYXCP5EUUN44E7NJSFFDC5HQ",
		"bafyreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy",
		"bagaaiera2wpqpzpfxcs3fgroullrnikdqfogwyxcp5euun44e7njsffdc5h\n",
		"sha256:5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03", "",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		fast, ferr := parseCanonicalID(s)
		ref, rerr := ParseID(s)
		if rerr == nil && ref.String() != s {
			rerr = errNotCanonical
		}
		if (ferr == nil) != (rerr == nil) || fast != ref && ferr == nil {
			t.Fatalf("parseCanonicalID(%q) = %s, %v; ParseID and String say %s, %v", s, fast, ferr, ref, rerr)
		}
		if b, err := parseCanonicalID([]byte(s)); b != fast || (err == nil) != (ferr == nil) {
			t.Fatalf("parseCanonicalID of bytes and of a string differ on %q", s)
		}
	})
}

// TestDIDCacheConcurrent: parseDIDText is safe for concurrent use while the
// cache evicts (run with -race).
func TestDIDCacheConcurrent(t *testing.T) {
	dids := make([]string, 2*didCacheSize)
	for i := range dids {
		var pub [32]byte
		pub[0], pub[1], pub[2] = byte(i), byte(i>>8), 0xaa
		d, err := DIDFromPublicKey(pub[:])
		if err != nil {
			t.Fatal(err)
		}
		dids[i] = d.String()
	}
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range dids {
				s := dids[(i*(g+1))%len(dids)]
				if d, err := parseDIDText([]byte(s)); err != nil || d.String() != s {
					t.Errorf("parseDIDText(%s) = %s, %v", s, d, err)
					return
				}
			}
		}()
	}
	wg.Wait()
}
