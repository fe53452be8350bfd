package protocol

import (
	"bytes"
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"time"
)

// GenesisType is the "type" of every genesis document.
const GenesisType = "https://commons.network/genesis/v1"

// Limits on a genesis document. SPEC.md §7.1.
const (
	MaxGenesisSize   = 64 << 10 // bytes of a genesis file
	MaxStewards      = 256      // founding stewards
	MaxParams        = 64       // entries of params
	MaxParamValueLen = 1024     // bytes of one param value
)

// Genesis founds a commons: its name, its founding stewards and the number
// of their votes a proposal needs, and parameters that governance reads.
// The ID of its bytes is the network ID.
type Genesis struct {
	Name      string
	Stewards  []DID // in the order the document lists them, unique
	Threshold int   // in [1, len(Stewards)]
	Params    map[string]string
	Created   time.Time
}

// wireGenesis is the JSON form of Genesis.
type wireGenesis struct {
	Type      string            `json:"type"`
	Name      string            `json:"name"`
	Stewards  []DID             `json:"stewards"`
	Threshold int               `json:"threshold"`
	Params    map[string]string `json:"params,omitempty"`
	Created   time.Time         `json:"created"`
}

// NetworkID names a commons: the ID of its genesis bytes, a CIDv1 with the
// json codec over the sha2-256 of the file exactly as written. It is
// comparable and usable as a map key; the zero NetworkID names no network.
type NetworkID struct {
	id ID
}

// NetworkIDOf returns the network ID of a genesis file's bytes. It does not
// check that b is a valid genesis: DecodeGenesis does.
func NetworkIDOf(b []byte) NetworkID { return NetworkID{ObjectID(b)} }

// NetworkIDFromID is the network whose genesis has ID id. It does not
// check that id is an object ID.
func NetworkIDFromID(id ID) NetworkID { return NetworkID{id} }

// ParseNetworkID parses a network ID in any multibase; it must be a CIDv1
// with the json codec and a sha2-256 multihash.
func ParseNetworkID(s string) (NetworkID, error) {
	const op = "parse network id"
	if strings.HasPrefix(s, "sha256:") {
		return NetworkID{}, E(op, Invalid, "%q is a digest, want the CID of a genesis (bagaaiera…)", clip(s))
	}
	id, err := ParseID(s)
	if err != nil {
		return NetworkID{}, E(op, Invalid, "%w", err)
	}
	if !id.IsObject() {
		return NetworkID{}, E(op, Invalid, "%q has the raw codec, want json (0x200): a network ID is the CID of a genesis", clip(s))
	}
	return NetworkID{id}, nil
}

// MustParseNetworkID is ParseNetworkID for constants in tests; it panics on
// error.
func MustParseNetworkID(s string) NetworkID {
	n, err := ParseNetworkID(s)
	if err != nil {
		panic(err)
	}
	return n
}

// String returns the CID in base32 ("bagaaiera…"), or "" for the zero
// NetworkID.
func (n NetworkID) String() string { return n.id.String() }

// ID returns the network ID as an ID.
func (n NetworkID) ID() ID { return n.id }

// IsZero reports whether n names no network.
func (n NetworkID) IsZero() bool { return n.id.IsZero() }

// ProtocolPrefix is the prefix of the network's DHT protocols,
// "/commons/<network-id>": nodes of different networks never form one DHT.
func (n NetworkID) ProtocolPrefix() string { return "/commons/" + n.String() }

// AnnounceTopic is the gossip topic of new objects on the network.
func (n NetworkID) AnnounceTopic() string { return n.ProtocolPrefix() + "/announce/1" }

// GovernanceTopic is the gossip topic of governance updates and heads.
func (n NetworkID) GovernanceTopic() string { return n.ProtocolPrefix() + "/governance/1" }

// MarshalText implements encoding.TextMarshaler.
func (n NetworkID) MarshalText() ([]byte, error) { return []byte(n.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (n *NetworkID) UnmarshalText(b []byte) error {
	p, err := ParseNetworkID(string(b))
	if err != nil {
		return err
	}
	*n = p
	return nil
}

// DecodeGenesis reads a genesis file and returns it with its network ID,
// the ID of b exactly as given. It refuses, with an error of kind Invalid
// naming the field (TooLarge for a file over MaxGenesisSize), anything
// SPEC.md §7.1 does not allow.
func DecodeGenesis(b []byte) (*Genesis, NetworkID, error) {
	const op = "decode genesis"
	if len(b) > MaxGenesisSize {
		return nil, NetworkID{}, E(op, TooLarge, "genesis is %d bytes, over the limit of %d", len(b), MaxGenesisSize)
	}
	var w wireGenesis
	if err := decodeStrict("genesis", b, &w); err != nil {
		return nil, NetworkID{}, E(op, Invalid, "malformed JSON: %v", err)
	}
	if w.Type != GenesisType {
		return nil, NetworkID{}, E(op, Invalid, "type %q, want %q", clip(w.Type), GenesisType)
	}
	g := &Genesis{Name: w.Name, Stewards: w.Stewards, Threshold: w.Threshold, Params: w.Params, Created: w.Created}
	if len(g.Params) == 0 {
		g.Params = nil // "params": {} and no params say the same
	}
	if err := g.Validate(); err != nil {
		return nil, NetworkID{}, E(op, Invalid, "%w", err)
	}
	return g, NetworkIDOf(b), nil
}

// EncodeGenesis returns the bytes `commons genesis new` writes for g:
// indented JSON and a final newline. The network ID is the ID of these
// bytes; a file written otherwise is as valid, and has another ID. It
// refuses a g that DecodeGenesis would refuse.
func EncodeGenesis(g *Genesis) ([]byte, error) {
	if err := g.Validate(); err != nil {
		return nil, E("encode genesis", Invalid, "%w", err)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	w := wireGenesis{Type: GenesisType, Name: g.Name, Stewards: g.Stewards, Threshold: g.Threshold, Params: g.Params, Created: g.Created}
	if err := enc.Encode(w); err != nil {
		return nil, E("encode genesis", Invalid, "%v", err)
	}
	if buf.Len() > MaxGenesisSize {
		return nil, E("encode genesis", TooLarge, "genesis is %d bytes, over the limit of %d", buf.Len(), MaxGenesisSize)
	}
	return buf.Bytes(), nil
}

// Validate checks g against the rules of SPEC.md §7.1; errors name the
// field.
func (g *Genesis) Validate() error {
	if err := checkText("name", g.Name, nameText); err != nil {
		return err
	}
	if err := checkStewards(g.Stewards); err != nil {
		return err
	}
	if g.Threshold < 1 || g.Threshold > len(g.Stewards) {
		return E("", Invalid, "threshold %d is outside [1, %d], the number of stewards", g.Threshold, len(g.Stewards))
	}
	if err := checkParams(g.Params); err != nil {
		return err
	}
	return checkCreated(g.Created)
}

// Policy is the policy of the commons before governance has spoken: the
// founding stewards, no key revoked.
func (g *Genesis) Policy() Stewards {
	p := make(Stewards, len(g.Stewards))
	for _, d := range g.Stewards {
		p[d] = true
	}
	return p
}

// CommonsOfOne is the genesis a node writes when it is started without
// one: itself as the only steward, threshold 1, named after its DID.
// created is the node's clock, which the caller reads.
func CommonsOfOne(node DID, created time.Time) *Genesis {
	return &Genesis{
		Name:      "commons of " + shortDID(node),
		Stewards:  []DID{node},
		Threshold: 1,
		Created:   created.UTC().Truncate(time.Second),
	}
}

// shortDID is the first 12 characters of d after "did:key:" ("z6Mk" and
// eight more), enough to tell nodes apart in a name.
func shortDID(d DID) string {
	s := strings.TrimPrefix(d.String(), "did:key:")
	if len(s) > 12 {
		s = s[:12]
	}
	return s
}

func checkStewards(stewards []DID) error {
	if len(stewards) == 0 {
		return E("", Invalid, "missing stewards: at least one is required")
	}
	if len(stewards) > MaxStewards {
		return E("", Invalid, "%d stewards, over %d", len(stewards), MaxStewards)
	}
	seen := make(map[DID]struct{}, len(stewards))
	for i, d := range stewards {
		if d.IsZero() {
			return E("", Invalid, "stewards[%d]: missing DID", i)
		}
		if _, dup := seen[d]; dup {
			return E("", Invalid, "stewards[%d]: %s appears twice", i, d)
		}
		seen[d] = struct{}{}
	}
	return nil
}

// checkParams accepts up to MaxParams entries whose keys are tokens and
// whose values are UTF-8 text of at most MaxParamValueLen bytes.
func checkParams(params map[string]string) error {
	if len(params) > MaxParams {
		return E("", Invalid, "%d params, over %d", len(params), MaxParams)
	}
	for _, k := range slices.Sorted(maps.Keys(params)) { // sorted: the same error every time
		if err := checkToken("params key", k); err != nil {
			return err
		}
		if err := checkText("params."+k, params[k], paramText); err != nil {
			return err
		}
	}
	return nil
}
