package govsync

import (
	"strings"
	"testing"

	"github.com/commons-p2p/commons/protocol"
)

// TestHeadsMessageRefusals: a heads message is read under the rules every
// record of the protocol is (SPEC.md §2.1, §8.9), so that no two nodes read
// one message differently; each refusal says what was wrong.
func TestHeadsMessageRefusals(t *testing.T) {
	id := protocol.NetworkIDOf([]byte("heads")).ID().String()
	cases := []struct{ name, body, want string }{
		{"a member twice", `{"heads":["` + id + `"],"heads":["` + id + `"]}`, "heads"},
		{"an unknown member", `{"heads":["` + id + `"],"more":1}`, "more"},
		{"a member spelled otherwise", `{"Heads":["` + id + `"]}`, "Heads"},
		{"not UTF-8", `{"heads":["` + id + "\xff" + `"]}`, "UTF-8"},
		{"data after the value", `{"heads":["` + id + `"]} {}`, "heads"},
		{"no heads", `{"heads":[]}`, "0 IDs"},
		{"not an ID", `{"heads":["x"]}`, "heads"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			raw, heads, err := decodeMessage(append([]byte{MsgHeads}, c.body...))
			if err == nil || raw != nil || heads != nil {
				t.Fatalf("accepted: %v %v %v", raw, heads, err)
			}
			if protocol.KindOf(err) != protocol.Invalid || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q (kind %s), want kind invalid naming %q", err, protocol.KindOf(err), c.want)
			}
		})
	}
	if _, heads, err := decodeMessage(append([]byte{MsgHeads}, `{"heads":["`+id+`"]}`...)); err != nil || len(heads) != 1 {
		t.Fatalf("a well-formed heads message: %v, %v", heads, err)
	}
}
