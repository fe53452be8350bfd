package node

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/commons-p2p/commons/protocol"
)

// TestIngestRefusesFutureClaims: a claim dated beyond the clock's skew is
// refused by bulk ingest, as at every door (SPEC §3.7), and not stored.
func TestIngestRefusesFutureClaims(t *testing.T) {
	n := newTestNode(t)
	k, _ := protocol.KeyFromSeed(bytes.Repeat([]byte{7}, 32))
	env, err := protocol.NewEnvelope(protocol.KindAttribution, protocol.ReferenceSubject(protocol.ObjectID([]byte("a dataset"))), protocol.Attribution{
		Issuer: k.DID(), Contributor: k.DID(), Role: "annotator", Weight: 0.5,
		Created: time.Now().Add(time.Hour).UTC().Truncate(time.Second),
	})
	if err != nil {
		t.Fatal(err)
	}
	k.Sign(env)
	raws := append(claimEnvelopes(t, 100), env.Encode())
	results := n.IngestBatch(raws)
	if err := results[100].Err; !protocol.IsKind(err, protocol.Invalid) || !strings.Contains(err.Error(), "in the future") {
		t.Fatalf("future claim: %v, want refused as dated in the future", err)
	}
	if _, err := n.store.Envelope(env.ID()); err == nil {
		t.Fatal("the future claim was stored")
	}
	for i, r := range results[:100] {
		if r.Err != nil || !r.New {
			t.Fatalf("claim %d: %+v", i, r)
		}
	}
}
