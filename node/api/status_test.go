package api

import (
	"net/http"
	"strings"
	"testing"

	"github.com/commons-p2p/commons/protocol"
)

// TestStatusRoundTrip: every kind the table holds travels as its status
// and comes back as itself, by name and by status alone; a kind it lacks
// is a failure of the server (500), which comes back as other.
func TestStatusRoundTrip(t *testing.T) {
	inTable := 0
	for k := protocol.Kind(0); !strings.HasPrefix(k.String(), "kind("); k++ {
		if got, ok := KindNamed(k.String()); !ok || got != k {
			t.Errorf("KindNamed(%q) = %v, %v; want %v", k.String(), got, ok, k)
		}
		status, ok := StatusOf(k)
		if !ok {
			if status != http.StatusInternalServerError {
				t.Errorf("%v is not in the table, answered %d, want 500", k, status)
			}
			if k != protocol.Other {
				t.Errorf("%v has no status of its own: a client would read it back as other", k)
			}
			continue
		}
		inTable++
		if got := KindOfStatus(status); got != k {
			t.Errorf("%v → %d → %v", k, status, got)
		}
		if got := clientKind(k.String(), http.StatusInternalServerError); got != k {
			t.Errorf("%v by name on a 500 comes back as %v", k, got)
		}
	}
	if inTable != len(statuses) {
		t.Errorf("%d kinds found in the table of %d rows: a row names a kind twice, or one that does not exist", inTable, len(statuses))
	}
	if got := KindOfStatus(http.StatusInternalServerError); got != protocol.Other {
		t.Errorf("500 comes back as %v, want other", got)
	}
	if _, ok := KindNamed(""); ok {
		t.Errorf(`KindNamed("") names a kind`)
	}
}
