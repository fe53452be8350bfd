package repo

import (
	"crypto/rand"
	"slices"
	"testing"

	"github.com/commons-p2p/commons/protocol"
)

// Has answers from the DID an encrypted file names, without the
// passphrase: scrypt for every key on the gossip path would cost 128 MiB
// and a fraction of a second each. Retired keys count as the keystore's.
// The keystore is rotated here as node.RotateKey rotates it.
func TestKeystoreHasNeedsNoPassphrase(t *testing.T) {
	r, alice := encryptedRepo(t, "correct horse")
	next, err := protocol.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Keys.WriteNext("alice", next); err != nil {
		t.Fatal(err)
	}
	if err := r.Keys.Retire("alice", alice); err != nil {
		t.Fatal(err)
	}
	if err := r.Keys.PromoteNext("alice"); err != nil {
		t.Fatal(err)
	}
	ks := &Keystore{dir: r.Keys.dir} // no passphrase: nothing can be decrypted
	for _, d := range []protocol.DID{alice.DID(), next.DID()} {
		if !ks.Has(d) {
			t.Errorf("Has(%s) = false without the passphrase", d)
		}
	}
	if dids := ks.DIDs(); !slices.Contains(dids, alice.DID()) || !slices.Contains(dids, next.DID()) {
		t.Errorf("DIDs without the passphrase = %v, want alice's two keys among them", dids)
	}
	if other, _ := protocol.GenerateKey(rand.Reader); ks.Has(other.DID()) {
		t.Error("Has answers true for a key the keystore does not hold")
	}
	// After the rotation the name holds the new key, the old one retired.
	again, err := Open(r.Dir)
	if err != nil {
		t.Fatal(err)
	}
	if k, err := again.Keys.Get("alice"); err != nil || k.DID() != next.DID() {
		t.Errorf("alice after the rotation: %v, %v; want %s", k, err, next.DID())
	}
	if k, ok, err := again.Keys.RetiredByDID(alice.DID()); err != nil || !ok || k.DID() != alice.DID() {
		t.Errorf("retired alice: %v %v %v", k, ok, err)
	}
}
