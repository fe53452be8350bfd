package govsync

import (
	"crypto/rand"
	"encoding/json"
	"testing"
	"time"

	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/protocol/gov"
)

// FuzzDecodeMessage: whatever arrives on the governance topic, the
// decoder answers the bytes of an update (for the door), heads within
// bounds, or an error; never a panic.
func FuzzDecodeMessage(f *testing.F) {
	key, err := protocol.GenerateKey(rand.Reader)
	if err != nil {
		f.Fatal(err)
	}
	net := protocol.NetworkIDOf([]byte("fuzz"))
	now := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	u, err := gov.NewUpdate(net, key, []protocol.ID{net.ID()}, now,
		&gov.Proposal{Action: gov.ActSetParam, Name: "a", Value: "b", Expires: now.Add(time.Hour)}, nil)
	if err != nil {
		f.Fatal(err)
	}
	heads, _ := json.Marshal(HeadsMsg{Heads: []protocol.ID{u.ID, net.ID()}})
	f.Add(append([]byte{MsgUpdate}, u.Encode()...))
	f.Add(append([]byte{MsgHeads}, heads...))
	f.Add([]byte{MsgHeads})
	f.Add(append([]byte{MsgHeads}, `{"heads":[]}`...))
	f.Add(append([]byte{MsgHeads}, `{"heads":["x"],"more":1}`...))
	f.Add([]byte{0x03, '{'})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		raw, heads, err := decodeMessage(data)
		switch {
		case err != nil:
			if raw != nil || heads != nil {
				t.Fatal("an error with a result")
			}
		case raw != nil:
			if heads != nil || len(raw) == 0 {
				t.Fatal("an update with heads, or empty")
			}
			if u, err := gov.DecodeUpdate(raw); err == nil {
				again, err := gov.DecodeUpdate(u.Encode())
				if err != nil || again.ID != u.ID {
					t.Fatalf("a decoded update does not decode again alike: %v", err)
				}
			}
		default:
			if len(heads) == 0 || len(heads) > gov.MaxParents {
				t.Fatalf("%d heads", len(heads))
			}
		}
	})
}
