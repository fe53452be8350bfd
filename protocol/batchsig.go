package protocol

import (
	"sync"

	"github.com/oasisprotocol/curve25519-voi/curve"
	"github.com/oasisprotocol/curve25519-voi/curve/scalar"
	voi "github.com/oasisprotocol/curve25519-voi/primitives/ed25519"
)

// Batch verification of Ed25519 signatures (SPEC.md §2.6).
//
// The rule is crypto/ed25519's: S < L, A decodes, and [S]B − [k]A must
// encode to exactly the 32 bytes of R (the cofactorless equation, compared
// as bytes). A batch equation cannot check that: summed over many
// signatures with random weights z_i, it is sound only when multiplied by
// the cofactor 8 (the cofactored equation of RFC 8032), because a torsion
// component T_i of order 2, 4 or 8 in R_i or A_i survives in Σ z_i T_i, and
// vanishes whenever the weights happen to kill it — for a component of
// order 2, whenever its weight is even: half the time. curve25519-voi says as much: its
// VerifyOptionsStdLib preset asks for the cofactorless equation, and its
// batch verifier then refuses to batch at all and verifies one by one.
//
// The cofactored equation accepts more than the stdlib does: a signature
// whose R is an honest nonce point plus a point of small order, or whose
// key carries a torsion component, or whose R is spelled non-canonically,
// satisfies [8]([S]B − [k]A − R) = 0 while the bytes compare unequal. So a
// signature enters a batch only when the two equations cannot differ on
// it: S is canonical, A and R are canonical encodings of points of the
// prime-order subgroup. When the batch equation holds, each signature's
// cofactored equation holds (but with probability about 2^-128, the
// weights being 128 random bits); D = [S]B − [k]A − R lies in that
// subgroup, so [8]D = 0 forces D = 0, and R, being canonical, is exactly the encoding of
// [S]B − [k]A: the stdlib accepts. Conversely the stdlib accepts only
// signatures for which the cofactored equation holds. Every other
// signature, and every signature of a batch whose equation fails, is
// verified by crypto/ed25519 itself, so every envelope gets the stdlib's
// answer. The differential tests (batch_attack_test.go) hold this.
//
// Checking that R is in the prime-order subgroup costs one variable-time
// scalar multiplication per signature, about 40% of a stdlib verification;
// the check of A is remembered per key (keyChecks), since a few keys sign
// most of what a node receives.

// batchOptions is the cofactored equation of RFC 8032 and FIPS 186-5. The
// gates of batchable already refuse what its small-order allowances let
// through.
var batchOptions = &voi.Options{Verify: voi.VerifyOptionsFIPS_186_5}

// lMinusOne is L − 1 as a scalar: [L−1]P + P = [L]P, which is the identity
// exactly when P is in the prime-order subgroup (L itself reduces to 0).
var lMinusOne = func() scalar.Scalar {
	var s scalar.Scalar
	s.Sub(scalar.NewFromUint64(0), scalar.NewFromUint64(1))
	return s
}()

// primeOrder reports whether p is in the prime-order subgroup, in variable
// time (p is public).
func primeOrder(p *curve.EdwardsPoint) bool {
	var zero scalar.Scalar
	var q curve.EdwardsPoint
	q.DoubleScalarMulBasepointVartime(&lMinusOne, p, &zero)
	return q.Add(&q, p).IsIdentity()
}

// canonicalPrimeOrderPoint decodes b and reports whether it is the
// canonical encoding of a point of the prime-order subgroup.
func canonicalPrimeOrderPoint(b []byte) bool {
	var c curve.CompressedEdwardsY
	if _, err := c.SetBytes(b); err != nil || !c.IsCanonicalVartime() {
		return false
	}
	var p curve.EdwardsPoint
	if _, err := p.SetCompressedY(&c); err != nil {
		return false
	}
	return primeOrder(&p)
}

// keyCheckSize bounds the keys keyChecks remembers; a flood of new keys
// only evicts.
const keyCheckSize = 1024

// keyChecks remembers, per key, its expanded form when the key may enter a
// batch (canonical, of prime order) and nil when it may not. Like
// didCache it is a memo of a pure function: it changes how fast a
// signature is verified, never the answer.
var keyChecks = struct {
	sync.RWMutex
	m map[DID]*voi.ExpandedPublicKey
}{m: make(map[DID]*voi.ExpandedPublicKey)}

// batchKey returns the expanded key of d, or nil when d's signatures must
// be verified one by one.
func batchKey(d DID) *voi.ExpandedPublicKey {
	keyChecks.RLock()
	k, ok := keyChecks.m[d]
	keyChecks.RUnlock()
	if ok {
		return k
	}
	k = nil
	if canonicalPrimeOrderPoint(d.pub[:]) {
		k, _ = voi.NewExpandedPublicKey(d.pub[:])
	}
	keyChecks.Lock()
	if len(keyChecks.m) >= keyCheckSize {
		for old := range keyChecks.m { // an arbitrary one: map order is random
			delete(keyChecks.m, old)
			break
		}
	}
	keyChecks.m[d] = k
	keyChecks.Unlock()
	return k
}

// sigBatch is one batch equation over signatures that passed the gates of
// add.
type sigBatch struct {
	v *voi.BatchVerifier
	n int
}

// batchable returns the expanded key of s when s may be judged by a batch
// equation, and nil when it must be verified by crypto/ed25519 alone.
func batchable(s Signature) *voi.ExpandedPublicKey {
	if len(s.Sig) != 64 || !scalar.ScMinimalVartime(s.Sig[32:]) || !canonicalPrimeOrderPoint(s.Sig[:32]) {
		return nil
	}
	return batchKey(s.KeyID)
}

// add puts the signature sig by k over msg into the batch.
func (b *sigBatch) add(k *voi.ExpandedPublicKey, msg, sig []byte) {
	if b.v == nil {
		b.v = voi.NewBatchVerifier()
	}
	b.v.AddExpandedWithOptions(k, msg, sig, batchOptions)
	b.n++
}

// verify reports whether every signature added holds; an empty batch
// holds nothing and reports false. The weights come from crypto/rand.
func (b *sigBatch) verify() bool {
	return b.n > 0 && b.v.VerifyBatchOnly(nil)
}
