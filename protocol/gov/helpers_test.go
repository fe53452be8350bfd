package gov_test

import (
	"testing"
	"time"

	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/protocol/gov"
)

// govKeys are the keys of the governance tests, named A to H: the seed of
// key i is the 32 bytes 32i, 32i+1, …, so A is vectorKey and B otherKey.
var govKeys = func() []*protocol.Key {
	keys := make([]*protocol.Key, 8)
	for i := range keys {
		keys[i] = mustKey(seq(byte(32 * i)))
	}
	return keys
}()

// govKey returns the key named name, "A" to "H".
func govKey(name string) *protocol.Key {
	if len(name) != 1 || name[0] < 'A' || int(name[0]-'A') >= len(govKeys) {
		panic("no governance test key " + name)
	}
	return govKeys[name[0]-'A']
}

// govKeyName returns the name of a test key's DID, or its text.
func govKeyName(d protocol.DID) string {
	for i, k := range govKeys {
		if k.DID() == d {
			return string(rune('A' + i))
		}
	}
	return d.String()
}

// govNet is a commons for governance tests.
type govNet struct {
	g   *protocol.Genesis
	net protocol.NetworkID
}

// newGovNet founds a commons with stewards (key names), threshold and
// params, created on day 1 of 2026; its network ID is the ID of the bytes
// EncodeGenesis writes.
func newGovNet(t testing.TB, stewards string, threshold int, params map[string]string) govNet {
	t.Helper()
	g := &protocol.Genesis{Name: "Governance test", Threshold: threshold, Params: params, Created: day(1)}
	for _, name := range stewards {
		g.Stewards = append(g.Stewards, govKey(string(name)).DID())
	}
	raw, err := protocol.EncodeGenesis(g)
	if err != nil {
		t.Fatal(err)
	}
	return govNet{g, protocol.NetworkIDOf(raw)}
}

// genesis returns the parents of an update that knows no other: the
// network ID alone.
func (n govNet) genesis() []protocol.ID { return []protocol.ID{n.net.ID()} }

func (n govNet) propose(t testing.TB, author string, parents []protocol.ID, at time.Time, p gov.Proposal) *gov.Update {
	t.Helper()
	u, err := gov.NewUpdate(n.net, govKey(author), parents, at, &p, nil)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func (n govNet) vote(t testing.TB, author string, parents []protocol.ID, at time.Time, proposal protocol.ID, yes bool) *gov.Update {
	t.Helper()
	u, err := gov.NewUpdate(n.net, govKey(author), parents, at, nil, &gov.Vote{Proposal: proposal, Yes: yes})
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// ids returns the IDs of updates.
func ids(us ...*gov.Update) []protocol.ID {
	out := make([]protocol.ID, len(us))
	for i, u := range us {
		out[i] = u.ID
	}
	return out
}

// hour returns day 2 of 2026 plus h hours.
func hour(h int) time.Time { return day(2).Add(time.Duration(h) * time.Hour) }

// addAll adds updates one at a time and fails t on an error.
func addAll(t testing.TB, dag *gov.DAG, us ...*gov.Update) {
	t.Helper()
	for _, u := range us {
		if _, err := dag.Add(u); err != nil {
			t.Fatal(err)
		}
	}
}

// rotation returns the rotation of key from to key to (key names), dated
// at, signed by both keys.
func rotation(from, to string, at time.Time) *protocol.Envelope {
	return mustEnvelope(protocol.KindRotation, protocol.KeySubject(govKey(from).DID()), protocol.Rotation{
		From: govKey(from).DID(), To: govKey(to).DID(), Created: at,
	}, govKey(from), govKey(to))
}

// rotate is the update by author that hands its seat on to key to.
func (n govNet) rotate(t testing.TB, author string, parents []protocol.ID, at time.Time, to string) *gov.Update {
	t.Helper()
	u, err := gov.NewRotation(n.net, govKey(author), parents, at, rotation(author, to, at))
	if err != nil {
		t.Fatal(err)
	}
	return u
}
