package store

import (
	"crypto/sha256"
	"strings"
	"testing"
	"time"

	"github.com/commons-p2p/commons/protocol"
)

// TestBatchFilledToTheLimit stores a batch whose first transaction fills
// to within a few bytes of Badger's limit, where Badger's check at commit
// (which adds the transaction's marker entry) would refuse what every Set
// accepted.
func TestBatchFilledToTheLimit(t *testing.T) {
	s, err := Open(Options{InMemory: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	seed := sha256.Sum256([]byte("limit issuer"))
	issuer, _ := protocol.KeyFromSeed(seed[:])
	subject := protocol.ObjectID([]byte("some dataset"))
	at := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	claim := func(i int, note string) *protocol.Object {
		env, err := protocol.NewEnvelope(protocol.KindAttribution, protocol.ReferenceSubject(subject), protocol.Attribution{
			Issuer: issuer.DID(), Contributor: issuer.DID(), Role: "author", Weight: 1, Note: note,
			Created: at.Add(time.Duration(i) * time.Second),
		})
		if err != nil {
			t.Fatal(err)
		}
		issuer.Sign(env)
		o, err := protocol.VerifyObject(env.Encode())
		if err != nil {
			t.Fatal(err)
		}
		return o
	}
	threshold := s.db.Opts().ValueThreshold
	estimate := func(o *protocol.Object) int64 {
		ts := newTxnState(s.db, &knownIDs{}, &rotatedKeys{})
		defer ts.discard()
		p := newPending(ts)
		if _, refused, err := p.put(o); err != nil || refused != nil {
			t.Fatal(err, refused)
		}
		size, _ := p.estimate(threshold)
		return size
	}

	// The count of attributions is written once, at the end of the
	// transaction.
	limit := s.db.MaxBatchSize() - entrySize(len(countKey(protocol.KindAttribution)), 8, threshold)
	var batch []*protocol.Object
	var size int64
	note := strings.Repeat("n", 200)
	for {
		o := claim(len(batch), note)
		e := estimate(o)
		if size+e >= limit-2000 {
			break
		}
		batch, size = append(batch, o), size+e
	}
	// The last claim's note is sized so that the transaction's entries end
	// between limit-21 and limit-1 bytes: inside the room that Badger
	// counts for the commit marker from the start.
	found := false
	for n := 0; n < 2000 && !found; n++ {
		o := claim(len(batch), strings.Repeat("m", n))
		if e := estimate(o); size+e < limit && size+e >= limit-int64(txnMarkerSize) {
			batch, found = append(batch, o), true
		}
	}
	if !found {
		t.Fatal("no note length lands in the window")
	}
	res, err := s.PutBatch(batch)
	if err != nil {
		t.Fatalf("PutBatch of %d claims: %v", len(batch), err)
	}
	for i, r := range res {
		if !r.New || r.Err != nil {
			t.Fatalf("result %d: %+v", i, r)
		}
	}
}
