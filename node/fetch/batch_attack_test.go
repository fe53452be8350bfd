package fetch

import (
	"context"
	"crypto/sha512"
	"fmt"
	"math/big"
	"slices"
	"strings"
	"testing"

	voi "github.com/oasisprotocol/curve25519-voi/primitives/ed25519"

	"github.com/commons-p2p/commons/protocol"
	"github.com/commons-p2p/commons/store/storetest"
)

var (
	fieldP    = new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 255), big.NewInt(19))
	groupL, _ = new(big.Int).SetString("7237005577332262213973186563042994240857116359379907606001950938285454250989", 10)
)

// fromLE reads little-endian bytes as a number.
func fromLE(b []byte) *big.Int {
	be := slices.Clone(b)
	slices.Reverse(be)
	return new(big.Int).SetBytes(be)
}

// toLE writes n as 32 little-endian bytes.
func toLE(n *big.Int) []byte {
	b := n.FillBytes(make([]byte, 32))
	slices.Reverse(b)
	return b
}

// torsionSigned re-signs o by its issuer k with a signature whose R is the
// honest nonce point plus the point of order 2, (0, −1): (x, y) becomes
// (−x, −y). [S]B − [h]A is the honest R, not this one, so crypto/ed25519
// refuses it; eight times both sides agree, so a cofactored batch
// equation accepts it.
func torsionSigned(t *testing.T, k *protocol.Key, o *protocol.Object) []byte {
	t.Helper()
	seed := k.Private().Seed()
	h := sha512.Sum512(seed)
	h[0] &= 248
	h[31] &= 127
	h[31] |= 64
	a := fromLE(h[:32])
	pub := k.DID().PublicKey()
	msg := protocol.PAE(o.Envelope.PayloadType, o.Envelope.Payload)
	honest := sigOf(t, o.Envelope, k.DID())

	rb := slices.Clone(honest[:32])
	sign := rb[31] >> 7
	rb[31] &= 0x7f
	y := fromLE(rb)
	rb = toLE(new(big.Int).Sub(fieldP, y)) // −y
	rb[31] |= (sign ^ 1) << 7              // −x: x ≠ 0 for a point of prime order
	hr := sha512.Sum512(append(slices.Clone(h[32:]), msg...))
	r := new(big.Int).Mod(fromLE(hr[:]), groupL)
	hk := sha512.New()
	hk.Write(rb)
	hk.Write(pub)
	hk.Write(msg)
	kk := new(big.Int).Mod(fromLE(hk.Sum(nil)), groupL)
	s := new(big.Int).Mod(new(big.Int).Add(r, new(big.Int).Mul(kk, a)), groupL)

	env := *o.Envelope
	env.Signatures = []protocol.Signature{{KeyID: k.DID(), Sig: append(rb, toLE(s)...)}}
	return env.Encode()
}

func sigOf(t *testing.T, env *protocol.Envelope, d protocol.DID) []byte {
	for _, s := range env.Signatures {
		if s.KeyID == d {
			return s.Sig
		}
	}
	t.Fatalf("no signature by %s", d)
	return nil
}

// TestClientRefusesTorsionSignatureInBatch: a hostile peer answers 100
// objects, the 71st re-signed by its issuer with a torsion component in R.
// A cofactored batch equation over the answer holds; the client still
// refuses that object as crypto/ed25519 does, keeps the 70 before it, and
// penalises the peer.
func TestClientRefusesTorsionSignatureInBatch(t *testing.T) {
	k := storetest.Key(t, "publisher")
	objs := make([]*protocol.Object, 100)
	ids := make([]protocol.ID, len(objs))
	var answer [][]byte
	for i := range objs {
		objs[i] = storetest.NewDataset(t, k, fmt.Sprintf("d%d", i))
		ids[i] = objs[i].ID
		answer = append(answer, objectFrame(objs[i]))
	}
	bad := torsionSigned(t, k, objs[70])
	if _, err := protocol.VerifyObject(bad); err == nil || !strings.Contains(err.Error(), "does not verify") {
		t.Fatalf("crypto/ed25519 says %v of the crafted signature, want does not verify", err)
	}
	cofactored := voi.NewBatchVerifier()
	for i, o := range objs {
		env := o.Envelope
		if i == 70 {
			env, _ = protocol.DecodeEnvelope(bad)
		}
		cofactored.AddWithOptions(voi.PublicKey(env.Signatures[0].KeyID.PublicKey()), protocol.PAE(env.PayloadType, env.Payload), env.Signatures[0].Sig, &voi.Options{Verify: voi.VerifyOptionsFIPS_186_5})
	}
	if !cofactored.VerifyBatchOnly(nil) {
		t.Fatal("the cofactored batch equation refuses the answer: the crafted signature does not test what it should")
	}
	answer[70] = appendFrame(nil, frameObject, bad)
	answer = append(answer, endFrame)

	srv, cli := hostileServer(t, func(*Request) []byte { return frames(answer...) }, false), newHost(t)
	connect(t, cli, srv)
	pen := &penalties{}
	got, _, err := NewClient(cli, testNetwork, ClientOptions{Penalty: pen.hook}).Objects(context.Background(), srv.ID(), ids)
	if !protocol.IsKind(err, protocol.Invalid) || !strings.Contains(err.Error(), "answer 70") || !strings.Contains(err.Error(), "does not verify") {
		t.Fatalf("got %v; want answer 70 refused as not verifying", err)
	}
	if !slices.Equal(idsOf(got), ids[:70]) {
		t.Errorf("returned %d objects with the error, want the 70 before it", len(got))
	}
	pen.wait(t, srv.ID(), "does not verify")
}
