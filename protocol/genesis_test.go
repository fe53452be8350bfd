package protocol_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/commons-p2p/commons/protocol"
)

// genesisDoc is a valid genesis with two stewards, as a person might write
// it by hand: compact, not as EncodeGenesis spells it.
var genesisDoc = fmt.Sprintf(`{"type":"https://commons.network/genesis/v1","name":"Test commons","stewards":[%q,%q],"threshold":2,"params":{"max-claims":"100"},"created":"2026-01-01T00:00:00Z"}`,
	vectorDID, otherKey.DID())

func genesisWith(old, new string) []byte {
	if !strings.Contains(genesisDoc, old) {
		panic("genesisWith: " + old + " is not in the document")
	}
	return []byte(strings.Replace(genesisDoc, old, new, 1))
}

func TestDecodeGenesis(t *testing.T) {
	g, nid, err := protocol.DecodeGenesis([]byte(genesisDoc))
	if err != nil {
		t.Fatal(err)
	}
	want := &protocol.Genesis{
		Name:      "Test commons",
		Stewards:  []protocol.DID{vectorKey.DID(), otherKey.DID()},
		Threshold: 2,
		Params:    map[string]string{"max-claims": "100"},
		Created:   day(1),
	}
	if !reflect.DeepEqual(g, want) {
		t.Errorf("got %+v, want %+v", g, want)
	}
	if got, want := nid, protocol.NetworkIDOf([]byte(genesisDoc)); got != want {
		t.Errorf("network id = %s, want %s", got, want)
	}
	if got, want := nid.ID(), protocol.ObjectID([]byte(genesisDoc)); got != want {
		t.Errorf("network id = %s, want the object ID of the bytes %s", got, want)
	}
	// The ID is over the bytes, not the meaning: a newline more is another network.
	_, nid2, err := protocol.DecodeGenesis(append([]byte(genesisDoc), '\n'))
	if err != nil {
		t.Fatal(err)
	}
	if nid2 == nid {
		t.Errorf("two different files have one network ID %s", nid)
	}
}

func TestDecodeGenesisRefuses(t *testing.T) {
	d1, d2 := vectorDID, otherKey.DID().String()
	many := func(n int) string {
		var b strings.Builder
		for i := range n {
			if i > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, `"k%d":"v"`, i)
		}
		return b.String()
	}
	tests := []struct {
		name string
		doc  []byte
		want string // in the message
	}{
		{"not json", []byte(`{"type":`), "decode genesis: malformed JSON"},
		{"trailing data", append([]byte(genesisDoc), '{', '}'), "decode genesis: malformed JSON"},
		{"not utf-8", genesisWith("Test commons", "Test \xff"), "not UTF-8"},
		{"array", []byte(`[]`), "want a JSON object"},
		{"wrong type", genesisWith("genesis/v1", "genesis/v2"), `type "https://commons.network/genesis/v2"`},
		{"missing type", genesisWith(`"type":"https://commons.network/genesis/v1",`, ""), `missing field "type"`},
		{"unknown field", genesisWith(`"threshold":2`, `"threshold":2,"quorum":1`), `unknown field "quorum"`},
		{"field twice", genesisWith(`"threshold":2`, `"threshold":2,"threshold":1`), `"threshold" appears twice`},
		{"field in capitals", genesisWith(`"name"`, `"Name"`), `unknown field "Name"`},
		{"missing name", genesisWith(`"name":"Test commons",`, ""), `missing field "name"`},
		{"blank name", genesisWith("Test commons", "  "), "missing name"},
		{"long name", genesisWith("Test commons", strings.Repeat("n", 257)), "name is 257 bytes, over 256"},
		{"no stewards", genesisWith(fmt.Sprintf("[%q,%q]", d1, d2), "[]"), "missing stewards"},
		{"null stewards", genesisWith(fmt.Sprintf("[%q,%q]", d1, d2), "null"), "missing stewards"},
		{"bad steward", genesisWith(d2, "did:web:example.org"), "genesis.stewards[1]"},
		{"steward twice", genesisWith(d2, d1), "stewards[1]: " + d1 + " appears twice"},
		{"threshold 0", genesisWith(`"threshold":2`, `"threshold":0`), "threshold 0 is outside [1, 2]"},
		{"threshold over stewards", genesisWith(`"threshold":2`, `"threshold":3`), "threshold 3 is outside [1, 2]"},
		{"negative threshold", genesisWith(`"threshold":2`, `"threshold":-1`), "threshold -1"},
		{"fractional threshold", genesisWith(`"threshold":2`, `"threshold":1.5`), "genesis.threshold"},
		{"threshold in exponent form", genesisWith(`"threshold":2`, `"threshold":2e0`), "genesis.threshold"},
		{"threshold as string", genesisWith(`"threshold":2`, `"threshold":"2"`), "genesis.threshold"},
		{"missing created", genesisWith(`,"created":"2026-01-01T00:00:00Z"`, ""), `missing field "created"`},
		{"null created", genesisWith(`"2026-01-01T00:00:00Z"`, "null"), "missing created"},
		{"created before 2000", genesisWith("2026-01-01", "1999-12-31"), "before 2000"},
		{"created not RFC 3339", genesisWith("2026-01-01T00:00:00Z", "2026-01-01 00:00:00Z"), "genesis.created"},
		{"param key not a token", genesisWith(`"max-claims"`, `"Max Claims"`), `params key "Max Claims"`},
		{"param key empty", genesisWith(`"max-claims"`, `""`), "missing params key"},
		{"param value not a string", genesisWith(`"100"`, `100`), "genesis.params"},
		{"param value too long", genesisWith(`"100"`, `"`+strings.Repeat("x", 1025)+`"`), "params.max-claims is 1025 bytes, over 1024"},
		{"param key twice", genesisWith(`"max-claims":"100"`, `"max-claims":"100","max-claims":"1"`), `"max-claims" appears twice`},
		{"too many params", genesisWith(`"max-claims":"100"`, many(65)), "65 params, over 64"},
		{"params not an object", genesisWith(`{"max-claims":"100"}`, `["x"]`), "genesis.params"},
		{"too large", genesisWith("Test commons", "Test commons"+strings.Repeat(" ", 64<<10)), "over the limit of 65536"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, nid, err := protocol.DecodeGenesis(tt.doc)
			if err == nil {
				t.Fatalf("accepted: %+v", g)
			}
			if g != nil || !nid.IsZero() {
				t.Errorf("refused, yet returned %+v, %s", g, nid)
			}
			wantKind := protocol.Invalid
			if tt.name == "too large" {
				wantKind = protocol.TooLarge
			}
			if got := protocol.KindOf(err); got != wantKind {
				t.Errorf("kind = %s, want %s (%v)", got, wantKind, err)
			}
			if !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "decode genesis: ") {
				t.Errorf("error %q does not say %q", err, tt.want)
			}
		})
	}
}

func TestDecodeGenesisAccepts(t *testing.T) {
	tests := []struct {
		name string
		doc  []byte
	}{
		{"no params", genesisWith(`"params":{"max-claims":"100"},`, "")},
		{"empty params", genesisWith(`{"max-claims":"100"}`, "{}")},
		{"null params", genesisWith(`{"max-claims":"100"}`, "null")},
		{"empty param value", genesisWith(`"100"`, `""`)},
		{"threshold 1", genesisWith(`"threshold":2`, `"threshold":1`)},
		{"members in another order", genesisWith(`"type":"https://commons.network/genesis/v1","name":"Test commons"`, `"name":"Test commons","type":"https://commons.network/genesis/v1"`)},
		{"white space", bytes.ReplaceAll([]byte(genesisDoc), []byte(","), []byte(",\n  "))},
		{"created with offset", genesisWith("00:00:00Z", "01:00:00+01:00")},
		{"name of 256 bytes", genesisWith("Test commons", strings.Repeat("é", 128))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, nid, err := protocol.DecodeGenesis(tt.doc)
			if err != nil {
				t.Fatal(err)
			}
			if nid != protocol.NetworkIDOf(tt.doc) {
				t.Errorf("network id %s is not the ID of the bytes", nid)
			}
			if len(g.Params) == 0 && g.Params != nil {
				t.Errorf("no params decode as %#v, want nil", g.Params)
			}
			if !g.Created.Equal(day(1)) {
				t.Errorf("created = %s", g.Created)
			}
		})
	}
}

func TestEncodeGenesis(t *testing.T) {
	g := &protocol.Genesis{
		Name:      "A <commons> & co",
		Stewards:  []protocol.DID{otherKey.DID(), vectorKey.DID()},
		Threshold: 1,
		Params:    map[string]string{"b": "2", "a": "1"},
		Created:   day(2),
	}
	b, err := protocol.EncodeGenesis(g)
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf(`{
  "type": "https://commons.network/genesis/v1",
  "name": "A <commons> & co",
  "stewards": [
    %q,
    %q
  ],
  "threshold": 1,
  "params": {
    "a": "1",
    "b": "2"
  },
  "created": "2026-01-02T00:00:00Z"
}
`, otherKey.DID(), vectorKey.DID())
	if string(b) != want {
		t.Errorf("got\n%s\nwant\n%s", b, want)
	}
	got, nid, err := protocol.DecodeGenesis(b)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, g) {
		t.Errorf("round trip: got %+v, want %+v", got, g)
	}
	if nid != protocol.NetworkIDOf(b) {
		t.Errorf("network id %s, want %s", nid, protocol.NetworkIDOf(b))
	}

	g.Threshold = 3
	if _, err := protocol.EncodeGenesis(g); !protocol.IsKind(err, protocol.Invalid) || !strings.Contains(err.Error(), "threshold 3") {
		t.Errorf("encoding an invalid genesis: %v", err)
	}
}

func TestNetworkID(t *testing.T) {
	nid := protocol.NetworkIDOf([]byte(genesisDoc))
	s := nid.String()
	if !strings.HasPrefix(s, "bagaaiera") {
		t.Errorf("network id %s is not a base32 json CID", s)
	}
	got, err := protocol.ParseNetworkID(s)
	if err != nil || got != nid {
		t.Errorf("ParseNetworkID(%s) = %s, %v", s, got, err)
	}
	b58 := mustBase58(s)
	if got, err := protocol.ParseNetworkID(b58); err != nil || got != nid {
		t.Errorf("ParseNetworkID(%s) = %s, %v", b58, got, err)
	}
	for _, bad := range []string{"", "x", vectorArtifactID, "sha256:" + strings.Repeat("ab", 32), vectorDID} {
		if _, err := protocol.ParseNetworkID(bad); !protocol.IsKind(err, protocol.Invalid) {
			t.Errorf("ParseNetworkID(%q) = %v, want an invalid error", bad, err)
		}
	}
	if got, want := nid.ProtocolPrefix(), "/commons/"+s; got != want {
		t.Errorf("protocol prefix %s, want %s", got, want)
	}
	if got, want := nid.AnnounceTopic(), "/commons/"+s+"/announce/1"; got != want {
		t.Errorf("announce topic %s, want %s", got, want)
	}
	if got, want := nid.GovernanceTopic(), "/commons/"+s+"/governance/1"; got != want {
		t.Errorf("governance topic %s, want %s", got, want)
	}
	text, _ := nid.MarshalText()
	var back protocol.NetworkID
	if err := back.UnmarshalText(text); err != nil || back != nid {
		t.Errorf("text round trip: %s, %v", back, err)
	}
	if !(protocol.NetworkID{}).IsZero() || nid.IsZero() {
		t.Error("IsZero is wrong")
	}
}

func TestCommonsOfOne(t *testing.T) {
	at := time.Date(2026, 3, 4, 5, 6, 7, 890, time.FixedZone("x", 3600))
	g := protocol.CommonsOfOne(vectorKey.DID(), at)
	if got, want := g.Name, "commons of z6MkehRgf7yJ"; got != want {
		t.Errorf("name = %q, want %q", got, want)
	}
	if len(g.Stewards) != 1 || g.Stewards[0] != vectorKey.DID() || g.Threshold != 1 {
		t.Errorf("stewards %v, threshold %d", g.Stewards, g.Threshold)
	}
	if want := time.Date(2026, 3, 4, 4, 6, 7, 0, time.UTC); g.Created != want {
		t.Errorf("created = %s, want %s", g.Created, want)
	}
	if err := g.Validate(); err != nil {
		t.Fatal(err)
	}
	p := g.Policy()
	if !p.IsSteward(vectorKey.DID()) || p.IsSteward(otherKey.DID()) {
		t.Errorf("policy: %v", p)
	}
}

// FuzzDecodeGenesis: no input panics the decoder; what it accepts is
// valid, has the ID of its bytes, and encodes to bytes that decode to the
// same genesis.
func FuzzDecodeGenesis(f *testing.F) {
	f.Add([]byte(genesisDoc))
	f.Add(genesisWith(`"params":{"max-claims":"100"},`, ""))
	f.Add(genesisWith(`"threshold":2`, `"threshold":3`))
	f.Add(genesisWith(`"threshold":2`, `"threshold":1e0`))
	f.Add(genesisWith(`"max-claims":"100"`, `"max-claims":"100","max-claims":"1"`))
	f.Add(genesisWith("00:00:00Z", "01:00:00+01:00"))
	f.Add(genesisWith("Test commons", `Test \ud800 commons`))
	if b, err := protocol.EncodeGenesis(protocol.CommonsOfOne(vectorKey.DID(), day(1))); err == nil {
		f.Add(b)
	}
	f.Add([]byte(`{}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, b []byte) {
		g, nid, err := protocol.DecodeGenesis(b)
		if err != nil {
			if k := protocol.KindOf(err); k != protocol.Invalid && k != protocol.TooLarge {
				t.Fatalf("error of kind %s: %v", k, err)
			}
			return
		}
		if nid != protocol.NetworkIDOf(b) {
			t.Fatalf("network id %s is not the ID of the bytes", nid)
		}
		if err := g.Validate(); err != nil {
			t.Fatalf("accepted an invalid genesis: %v", err)
		}
		enc, err := protocol.EncodeGenesis(g)
		if err != nil {
			t.Fatalf("accepted genesis does not encode: %v", err)
		}
		again, _, err := protocol.DecodeGenesis(enc)
		if err != nil {
			t.Fatalf("re-encoded genesis refused: %v\n%s", err, enc)
		}
		if !again.Created.Equal(g.Created) {
			t.Fatalf("round trip changed created: %s, %s", g.Created, again.Created)
		}
		again.Created = g.Created
		if !reflect.DeepEqual(again, g) {
			t.Fatalf("round trip changed the genesis:\n%+v\n%+v", g, again)
		}
	})
}

// TestSpecGenesis checks that SPEC.md §7.1 quotes the example genesis and
// its network ID as the code makes them.
func TestSpecGenesis(t *testing.T) {
	spec, err := os.ReadFile(filepath.Join("..", "SPEC.md"))
	if err != nil {
		t.Skipf("no SPEC.md beside the module: %v", err)
	}
	b, err := protocol.EncodeGenesis(&protocol.Genesis{Name: "Example commons", Stewards: []protocol.DID{vectorKey.DID()}, Threshold: 1, Created: day(1)})
	if err != nil {
		t.Fatal(err)
	}
	const wantID = "bagaaierawsb7ipm2vsmied5257hzquitv4vowcgsuvf5adlrhtjuipkffqiq"
	if got := protocol.NetworkIDOf(b).String(); got != wantID {
		t.Errorf("network id = %s, want %s", got, wantID)
	}
	for _, want := range []string{"```json\n" + string(b) + "```", wantID} {
		if !bytes.Contains(spec, []byte(want)) {
			t.Errorf("SPEC.md §7.1 lacks %q", want)
		}
	}
}
